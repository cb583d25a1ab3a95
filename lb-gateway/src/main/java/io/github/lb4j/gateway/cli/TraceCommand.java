package io.github.lb4j.gateway.cli;

import io.github.lb4j.api.Addresses;
import io.github.lb4j.api.Backend;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.nat.NatConfig;
import io.github.lb4j.nat.NatPort;
import io.github.lb4j.nat.NatTrace;
import io.github.lb4j.nat.NatTranslators;
import io.github.lb4j.nat.NeighborTable;
import io.github.lb4j.nat.PacketTranslator;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code lb trace --mode MODE}: lb-nat's packet walk of one TCP request (SYN) and its reply through a
 * forwarding mode (seed S5, S6), hop by hop, on a fixed example topology with documentation
 * addresses; optionally the same frames as a pcap for Wireshark or tshark.
 */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    description = {
      "Shows the packet walk of one request and its reply through a forwarding mode of lb4j's packet core (lb-nat).",
      "Example topology, an inline balancer: clients' side 198.51.100.0/24 (balancer 198.51.100.2, router 198.51.100.1,"
          + " an on-link client 198.51.100.50), VIP 198.51.100.10:80; servers' side 192.0.2.0/24 (balancer 192.0.2.1,"
          + " real servers 192.0.2.11 and 192.0.2.12, source-NAT pool 192.0.2.2); the default client 203.0.113.10 is"
          + " behind the router.",
      "With --ipv6: 2001:db8:1::/64 (balancer ::2, router ::1, on-link client ::50), VIP 2001:db8:1::10;"
          + " 2001:db8:3::/64 (balancer ::1, servers ::11 and ::12, pool ::2); default client 2001:db8:2::10."
    })
final class TraceCommand implements Callable<Integer> {

  private static final MacAddress ROUTER_MAC = MacAddress.parse("02:00:5e:00:00:01");
  private static final MacAddress CLIENTS_SIDE_MAC = MacAddress.parse("02:00:5e:00:00:02");
  private static final MacAddress SERVERS_SIDE_MAC = MacAddress.parse("02:00:5e:00:00:03");
  private static final MacAddress ON_LINK_CLIENT_MAC = MacAddress.parse("02:00:5e:00:00:50");
  private static final int DSCP = 10;

  @Spec CommandSpec spec;

  @Option(names = {"-m", "--mode"}, paramLabel = "MODE", required = true,
      description = "Forwarding mode: transparent, router, dsr-l2, dsr-ipip, dsr-dscp or full-nat.")
  String mode = "";

  @Option(names = "--pcap", paramLabel = "FILE", description = "Also write the frames of the walk as a pcap file.")
  @Nullable Path pcap;

  @Option(names = "--ipv6", description = "Walk an IPv6 flow instead of IPv4.")
  boolean ipv6;

  @Option(names = {"-a", "--algorithm"}, paramLabel = "NAME", description = "Scheduler that picks the real server (default ${DEFAULT-VALUE}).")
  String algorithm = "maglev";

  @Option(names = "--client", paramLabel = "IP",
      description = "The client's address (default 203.0.113.10, or 2001:db8:2::10 with --ipv6); 198.51.100.50 or"
          + " 2001:db8:1::50 is on-link on the clients' side.")
  @Nullable String clientAddress;

  /** Fails before the walk, naming what is wrong, when the pcap cannot be written where asked. */
  private static void checkWritable(Path file) {
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException("--pcap " + file + ": is a directory; give a file name");
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new IllegalArgumentException("--pcap " + file + ": the folder " + parent + " does not exist");
    }
  }

  @Override
  public Integer call() throws Exception {
    ForwardingMode m = ForwardingMode.parse(mode);
    if (pcap != null) {
      checkWritable(pcap);
    }
    // A fixed seed: the walk of the fixed example topology is the same on every run (and in the README).
    Scheduler scheduler = Schedulers.create(algorithm, SchedulerConfig.builder().seed(0).build());
    InetAddress client = InetAddress.getByName(clientAddress != null ? clientAddress : ipv6 ? "2001:db8:2::10" : "203.0.113.10");
    if ((client instanceof java.net.Inet6Address) != ipv6) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--client " + clientAddress + " is not "
          + (ipv6 ? "an IPv6" : "an IPv4") + " address" + (ipv6 ? "" : " (add --ipv6 for IPv6)"));
    }
    InetAddress vip = InetAddress.getByName(ipv6 ? "2001:db8:1::10" : "198.51.100.10");
    InetAddress router = InetAddress.getByName(ipv6 ? "2001:db8:1::1" : "198.51.100.1");
    InetAddress onLink = InetAddress.getByName(ipv6 ? "2001:db8:1::50" : "198.51.100.50");
    InetAddress s1 = InetAddress.getByName(ipv6 ? "2001:db8:3::11" : "192.0.2.11");
    InetAddress s2 = InetAddress.getByName(ipv6 ? "2001:db8:3::12" : "192.0.2.12");
    MacAddress s1Mac = MacAddress.parse("02:00:5e:00:00:11");
    MacAddress s2Mac = MacAddress.parse("02:00:5e:00:00:12");
    scheduler.update(List.of(Backend.of("rs-1", s1, 80).withMac(s1Mac), Backend.of("rs-2", s2, 80).withMac(s2Mac)));
    NatPort clients = new NatPort(0, CLIENTS_SIDE_MAC, List.of(
        new NatPort.Address(InetAddress.getByName("198.51.100.2"), 24),
        new NatPort.Address(InetAddress.getByName("2001:db8:1::2"), 64)), 1500);
    NatPort servers = new NatPort(1, SERVERS_SIDE_MAC, List.of(
        new NatPort.Address(InetAddress.getByName("192.0.2.1"), 24),
        new NatPort.Address(InetAddress.getByName("2001:db8:3::1"), 64)), 1500);
    // the neighbours a datapath would have resolved by ARP and neighbor discovery
    NeighborTable neighbors = NeighborTable.of(java.util.Map.of(router, ROUTER_MAC, onLink, ON_LINK_CLIENT_MAC,
        s1, s1Mac, s2, s2Mac));
    NatConfig.Builder b = NatConfig.builder(m, scheduler)
        .vip(new NatConfig.Vip(vip, 6, 80, m == ForwardingMode.DSR_DSCP ? DSCP : -1))
        .balancer(CLIENTS_SIDE_MAC, InetAddress.getByName("192.0.2.1"), InetAddress.getByName("2001:db8:3::1"))
        .ports(clients, servers).neighbors(neighbors).clientGateway(router).clientGateway(ROUTER_MAC)
        .serverSubnet(InetAddress.getByName(ipv6 ? "2001:db8:3::" : "192.0.2.0"), ipv6 ? 64 : 24);
    if (m == ForwardingMode.FULL_NAT) {
      b.snatAddress(InetAddress.getByName(ipv6 ? "2001:db8:3::2" : "192.0.2.2"));
    }
    PacketTranslator translator = NatTranslators.create(b.build());
    MacAddress from = client.equals(onLink) ? ON_LINK_CLIENT_MAC : ROUTER_MAC;
    NatTrace trace = NatTrace.walk(translator, client, 40_000, from, vip, 80);
    PrintWriter out = spec.commandLine().getOut();
    out.print(trace.format());
    out.println("MAC addresses");
    out.println("  " + ROUTER_MAC + "  router on the clients' side, " + Addresses.format(router) + " ("
        + (ipv6 ? "2001:db8:2::10" : "203.0.113.10") + " is behind it)");
    out.println("  " + ON_LINK_CLIENT_MAC + "  on-link client " + Addresses.format(onLink));
    out.println("  " + CLIENTS_SIDE_MAC + "  balancer, clients' side " + (ipv6 ? "2001:db8:1::2" : "198.51.100.2")
        + " (VIP " + Addresses.format(vip) + ")");
    out.println("  " + SERVERS_SIDE_MAC + "  balancer, servers' side " + (ipv6 ? "2001:db8:3::1" : "192.0.2.1"));
    out.println("  " + s1Mac + "  rs-1 " + Addresses.format(s1));
    out.println("  " + s2Mac + "  rs-2 " + Addresses.format(s2));
    if (pcap != null) {
      try {
        trace.writePcap(pcap);
      } catch (IOException e) {
        throw new IllegalArgumentException("--pcap " + pcap + ": cannot write: " + e.getMessage(), e);
      }
      out.println("wrote " + trace.hops().size() + " frames to " + pcap);
    }
    out.flush();
    return 0;
  }
}
