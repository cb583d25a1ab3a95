package io.github.lb4j.gateway.cli;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.nat.NatConfig;
import io.github.lb4j.nat.NatTrace;
import io.github.lb4j.nat.NatTranslators;
import io.github.lb4j.nat.PacketTranslator;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

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
      "Example topology: client 203.0.113.10 behind a router, VIP 198.51.100.10:80 on the balancer "
          + "(198.51.100.2), real servers 192.0.2.11 and 192.0.2.12 (source-NAT pool 192.0.2.2);",
      "with --ipv6: client 2001:db8:2::10, VIP 2001:db8:1::10, balancer 2001:db8:1::2, servers 2001:db8:3::11 and ::12."
    })
final class TraceCommand implements Callable<Integer> {

  private static final MacAddress ROUTER_MAC = MacAddress.parse("02:00:5e:00:00:01");
  private static final MacAddress BALANCER_MAC = MacAddress.parse("02:00:5e:00:00:02");
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

  @Override
  public Integer call() throws Exception {
    ForwardingMode m = ForwardingMode.parse(mode);
    // A fixed seed: the walk of the fixed example topology is the same on every run (and in the README).
    Scheduler scheduler = Schedulers.create(algorithm, SchedulerConfig.builder().seed(0).build());
    InetAddress client = InetAddress.getByName(ipv6 ? "2001:db8:2::10" : "203.0.113.10");
    InetAddress vip = InetAddress.getByName(ipv6 ? "2001:db8:1::10" : "198.51.100.10");
    scheduler.update(List.of(
        Backend.of("rs-1", InetAddress.getByName(ipv6 ? "2001:db8:3::11" : "192.0.2.11"), 80)
            .withMac(MacAddress.parse("02:00:5e:00:00:11")),
        Backend.of("rs-2", InetAddress.getByName(ipv6 ? "2001:db8:3::12" : "192.0.2.12"), 80)
            .withMac(MacAddress.parse("02:00:5e:00:00:12"))));
    NatConfig.Builder b = NatConfig.builder(m, scheduler)
        .vip(new NatConfig.Vip(vip, 6, 80, m == ForwardingMode.DSR_DSCP ? DSCP : -1))
        .balancer(BALANCER_MAC, InetAddress.getByName("198.51.100.2"), InetAddress.getByName("2001:db8:1::2"))
        .clientGateway(ROUTER_MAC)
        .serverSubnet(InetAddress.getByName(ipv6 ? "2001:db8:3::" : "192.0.2.0"), ipv6 ? 64 : 24)
        .ports(0, 1);
    if (m == ForwardingMode.FULL_NAT) {
      b.snatAddress(InetAddress.getByName(ipv6 ? "2001:db8:3::2" : "192.0.2.2"));
    }
    PacketTranslator translator = NatTranslators.create(b.build());
    NatTrace trace = NatTrace.walk(translator, client, 40_000, ROUTER_MAC, vip, 80);
    PrintWriter out = spec.commandLine().getOut();
    out.print(trace.format());
    if (pcap != null) {
      trace.writePcap(pcap);
      out.println("wrote " + trace.hops().size() + " frames to " + pcap);
    }
    out.flush();
    return 0;
  }
}
