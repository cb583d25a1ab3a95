package io.github.lb4j.gateway.cli;

import io.github.lb4j.announce.BgpConfig;
import io.github.lb4j.api.Backend;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.gateway.datapath.Datapath;
import io.github.lb4j.gateway.datapath.DatapathConfig;
import io.github.lb4j.gateway.datapath.StartCancelledException;
import io.github.lb4j.linux.PacketSocket;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lb datapath}: the packet-level balancer ({@link Datapath}) on one interface (one-arm) or
 * two (inline), in any forwarding mode; prints its counters periodically and on stop (SIGINT,
 * SIGTERM). With {@code --bgp-speaker} it announces the VIP by BGP while it can serve it, and a stop
 * withdraws the VIP, drains, then stops.
 */
@Command(
    name = "datapath",
    mixinStandardHelpOptions = true,
    description = {
      "Packet-level balancer on AF_PACKET sockets: owns a VIP, rewrites every frame per forwarding mode (needs CAP_NET_RAW).",
      "Example: lb datapath --mode full-nat --interface eth0 --vip 192.0.2.100:8080 --gateway 192.0.2.1"
          + " --snat 192.0.2.3 --backend 192.0.2.11:8080 --backend 192.0.2.12:8080"
    })
final class DatapathCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--mode", paramLabel = "MODE", required = true,
      description = "transparent, router, dsr-l2, dsr-ipip, dsr-dscp or full-nat.")
  String mode = "";

  @Option(names = "--interface", paramLabel = "IF", description = "One-arm: the one interface towards clients and servers.")
  @Nullable String oneArm;

  @Option(names = "--client-interface", paramLabel = "IF", description = "Inline: the interface towards the clients.")
  @Nullable String clientInterface;

  @Option(names = "--server-interface", paramLabel = "IF", description = "Inline: the interface towards the servers.")
  @Nullable String serverInterface;

  @Option(names = "--vlan", paramLabel = "ID", description = "One-arm: serve 802.1Q VLAN ID (1..4094) instead of untagged frames.")
  int vlan = -1;

  @Option(names = "--client-vlan", paramLabel = "ID", description = "Inline: the VLAN of the clients' side (default untagged).")
  int clientVlan = -1;

  @Option(names = "--server-vlan", paramLabel = "ID", description = "Inline: the VLAN of the servers' side (default untagged).")
  int serverVlan = -1;

  @Option(names = "--vip", paramLabel = "IP[:PORT]", required = true,
      description = "The virtual IP, and the TCP port it serves: 192.0.2.100:80, [2001:db8::80]:80, 192.0.2.100 or [2001:db8::80] (every port).")
  String vip = "";

  @Option(names = {"-b", "--backend"}, paramLabel = "[ID=]IP:PORT", required = true, description = "A real server; repeatable.")
  List<String> backends = new ArrayList<>();

  @Option(names = "--gateway", paramLabel = "IP", converter = Converters.LiteralAddressConverter.class,
      description = "Next hop towards the clients (router, full-nat, one-arm transparent).")
  @Nullable InetAddress gateway;

  @Option(names = "--snat", paramLabel = "IP", converter = Converters.LiteralAddressConverter.class,
      description = "Source-NAT address (full-nat, --hairpin-snat); repeatable.")
  List<InetAddress> snat = new ArrayList<>();

  @Option(names = "--hairpin-snat", description = "Source-NAT a server that calls the VIP (the S6.2 fix).")
  boolean hairpinSnat;

  @Option(names = "--server-subnet", paramLabel = "CIDR", description = "Subnet of the servers (hairpin detection); repeatable.")
  List<String> serverSubnets = new ArrayList<>();

  @Option(names = "--dscp", paramLabel = "N", description = "dsr-dscp: the DSCP value (1..63) that names the VIP.")
  int dscp = -1;

  @Option(names = {"-a", "--algorithm"}, paramLabel = "NAME", description = "Scheduler (default: ${DEFAULT-VALUE}).")
  String algorithm = "maglev";

  @Option(names = "--check", paramLabel = "NAME", description = "Health check: tcp, http, ... or none (default: ${DEFAULT-VALUE}).")
  String check = "tcp";

  @Option(names = "--check-option", paramLabel = "KEY=VALUE", description = "Option of the health check; repeatable.")
  Map<String, String> checkOptions = new LinkedHashMap<>();

  @Option(names = "--check-interval", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Gap between checks (default 1s).")
  Duration checkInterval = Duration.ofSeconds(1);

  @Option(names = "--rise", paramLabel = "N", description = "Passes that make a server up (default: ${DEFAULT-VALUE}).")
  int rise = 2;

  @Option(names = "--fall", paramLabel = "N", description = "Failures that make a server down (default: ${DEFAULT-VALUE}).")
  int fall = 2;

  @Option(names = "--seed", paramLabel = "N", description = "Scheduler seed; balancers behind one ECMP group use the same (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--second-chance", description = "DSR modes: a mid-stream packet without state goes to the current owner"
      + " tagged (source MAC) with its owner before the last change of the backend set; the servers' nftables rules"
      + " (DATAPATH.md) pass it on when they do not hold the connection.")
  boolean secondChance;

  @Option(names = "--algorithm-option", paramLabel = "KEY=VALUE", description = "Scheduler option, e.g. table-size=65537; repeatable.")
  Map<String, String> algorithmOptions = new LinkedHashMap<>();

  @Option(names = "--bgp-speaker", paramLabel = "NAME", description = "Announce the VIP by BGP with this speaker: bird or gobgp.")
  @Nullable String bgpSpeaker;

  @Option(names = "--bgp-local-as", paramLabel = "ASN", description = "This balancer's AS number.")
  long bgpLocalAs;

  @Option(names = "--bgp-peer", paramLabel = "IP", converter = Converters.LiteralAddressConverter.class,
      description = "A router to announce the VIP to (single hop); repeatable.")
  List<InetAddress> bgpPeers = new ArrayList<>();

  @Option(names = "--bgp-peer-as", paramLabel = "ASN", description = "The routers' AS number.")
  long bgpPeerAs;

  @Option(names = "--bgp-local-address", paramLabel = "IP", converter = Converters.LiteralAddressConverter.class,
      description = "Source of the sessions (default: the client interface's address of the peers' family).")
  @Nullable InetAddress bgpLocalAddress;

  @Option(names = "--bgp-router-id", paramLabel = "IPV4", converter = Converters.LiteralAddressConverter.class,
      description = "BGP identifier (default: the local address when IPv4).")
  @Nullable InetAddress bgpRouterId;

  @Option(names = "--bgp-next-hop", paramLabel = "IP", converter = Converters.LiteralAddressConverter.class,
      description = "Next hop announced for the VIP (default: the session's own address).")
  @Nullable InetAddress bgpNextHop;

  @Option(names = "--bgp-hold-time", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "BGP hold time, 0 or 3s..65535s; keepalives every third (default 9s).")
  Duration bgpHoldTime = Duration.ofSeconds(9);

  @Option(names = "--bgp-bfd-interval", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Run BFD on the sessions with this interval, e.g. 100ms (bird only; default 0: off).")
  Duration bgpBfdInterval = Duration.ZERO;

  @Option(names = "--bgp-bfd-multiplier", paramLabel = "N", description = "BFD detection multiplier (default: ${DEFAULT-VALUE}).")
  int bgpBfdMultiplier = 3;

  @Option(names = "--bgp-dir", paramLabel = "DIR", description = "Directory of the speaker's configuration, socket and log (default: a new temporary one).")
  @Nullable Path bgpDir;

  @Option(names = "--drain-timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Longest drain after the VIP is withdrawn on stop (default 30s).")
  Duration drainTimeout = Duration.ofSeconds(30);

  @Option(names = "--drain-quiet", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Silence at the VIP that ends the drain (default 1s).")
  Duration drainQuiet = Duration.ofSeconds(1);

  @Option(names = "--resolve-timeout", paramLabel = "DURATION",
      converter = Converters.DurationConverter.class,
      description = "How long the start waits for the gateway's and servers' MAC addresses (default 3s).")
  Duration resolveTimeout = Duration.ofSeconds(3);

  @Option(names = "--status-file", paramLabel = "FILE", description = "Write the status and counters here twice a second.")
  @Nullable Path statusFile;

  @Option(names = "--stats-interval", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Print the counters this often, 0 never (default 10s).")
  Duration statsInterval = Duration.ofSeconds(10);

  @Option(names = "--workers", paramLabel = "N",
      description = "Packet workers, each with its own thread, sockets and flow table (default: ${DEFAULT-VALUE}).")
  int workers = 1;

  @Option(names = "--offloads", paramLabel = "carry|undo",
      description = "carry: partial checksums and super-frames are sent on for the kernel to finish; undo: completed and segmented here "
          + "(default: ${DEFAULT-VALUE}).")
  String offloads = "carry";
  @Option(names = "--metrics", paramLabel = "HOST:PORT", converter = Converters.EndpointConverter.class,
      description = "Serve Prometheus metrics at http://HOST:PORT/metrics.")
  @Nullable InetSocketAddress metrics;

  @Override
  public Integer call() throws Exception {
    DatapathConfig config = config();
    Duration stats = statsInterval;
    PrintWriter out = spec.commandLine().getOut();
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    long waitSeconds = 15 + config.drainTimeout().toSeconds();
    Thread command = Thread.currentThread();
    Thread hook = new Thread(() -> {
      stop.countDown();
      // Ends a start that still waits for the next hops' MAC addresses; the loop below takes an
      // interrupt as the stop it is.
      command.interrupt();
      try {
        stopped.await(waitSeconds, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "lb-datapath-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Datapath started;
      try {
        started = Datapath.start(config);
      } catch (StartCancelledException e) {
        out.println("lb datapath: " + e.getMessage() + "; stopped before forwarding anything");
        out.flush();
        return 0;
      }
      try (Datapath d = started;
          MetricsEndpoint m = metrics == null ? null : MetricsEndpoint.datapath(d, config.mode().modeName(), metrics)) {
        out.println("lb datapath: " + config.mode().modeName() + " on " + side(config.clientInterface(), config.clientVlan())
            + (config.oneArm() ? "" : " -> " + side(config.serverInterface(), config.serverVlan()))
            + ", vip " + Endpoints.format(config.vip(), config.vipPort()) + ", " + config.backends().size() + " backends");
        if (m != null) {
          out.println("lb datapath: metrics at " + m.url());
        }
        out.flush();
        long next = System.nanoTime() + stats.toNanos();
        while (!stopRequested(stop)) {
          if (!d.running()) {
            Throwable t = d.failure();
            throw new IllegalStateException("datapath stopped: " + (t == null ? "unknown error" : t));
          }
          if (!stats.isZero() && System.nanoTime() - next >= 0) {
            next += stats.toNanos();
            out.println("lb datapath: " + d.summary());
            out.flush();
          }
        }
        Thread.interrupted();
        if (config.bgp() != null) {
          out.println("lb datapath: withdrawing the VIP and draining");
          out.flush();
          Datapath.Drain drain = d.drainAndClose();
          out.println("lb datapath: " + (drain.withdrawn() ? "withdrawn" : "withdrawal not confirmed") + ", "
              + (drain.drained() ? "drained" : "drain timed out") + " after " + drain.drainMillis() + " ms ("
              + drain.framesDuringDrain() + " frames to the VIP meanwhile)");
        } else {
          d.close();
        }
        out.println("lb datapath: stopped");
        d.printStatus(out);
        return 0;
      }
    } finally {
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running: it is why we stop.
      }
    }
  }

  /** Waits up to 200 ms for a stop; an interrupt of this thread is one. */
  private static boolean stopRequested(CountDownLatch stop) {
    try {
      return stop.await(200, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      return true;
    }
  }

  private DatapathConfig config() {
    ForwardingMode m;
    try {
      m = ForwardingMode.parse(mode);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--mode must be one of transparent, router, dsr-l2, dsr-ipip, dsr-dscp, full-nat; was '"
          + mode + "'");
    }
    DatapathConfig.Builder b = DatapathConfig.builder(m);
    if (oneArm != null) {
      if (clientInterface != null || serverInterface != null) {
        throw new IllegalArgumentException("--interface (one-arm) excludes --client-interface and --server-interface (inline)");
      }
      b.oneArm(oneArm);
    } else if (clientInterface != null && serverInterface != null) {
      b.inline(clientInterface, serverInterface);
    } else {
      throw new IllegalArgumentException("give --interface (one-arm), or both --client-interface and --server-interface (inline)");
    }
    if (oneArm != null) {
      if (clientVlan != -1 || serverVlan != -1) {
        throw new IllegalArgumentException("--client-vlan and --server-vlan are for inline; one-arm takes --vlan");
      }
      if (vlan != -1) {
        b.clientVlan(vlan);
      }
    } else {
      if (vlan != -1) {
        throw new IllegalArgumentException("--vlan is for one-arm (--interface); inline takes --client-vlan and --server-vlan");
      }
      if (clientVlan != -1) {
        b.clientVlan(clientVlan);
      }
      if (serverVlan != -1) {
        b.serverVlan(serverVlan);
      }
    }
    String[] vipParts = hostAndPort("--vip", vip, false);
    InetAddress v = literal("--vip", vipParts[0]);
    b.vip(v, vipParts[1].isEmpty() ? 0 : port("--vip", vipParts[1]));
    int n = 0;
    Map<InetSocketAddress, String> byAddress = new LinkedHashMap<>();
    for (String spec : backends) {
      n++;
      String id = "backend-" + n;
      String at = spec;
      int eq = spec.indexOf('=');
      if (eq > 0) {
        id = spec.substring(0, eq);
        at = spec.substring(eq + 1);
      }
      String[] hostPort = hostAndPort("--backend", at, true);
      Backend backend = Backend.of(id, literal("--backend", hostPort[0]), port("--backend", hostPort[1]));
      String same = byAddress.putIfAbsent(backend.socketAddress(), id);
      if (same != null) {
        // As IPVS refuses a real server twice in one service: two entries would double its share.
        throw new IllegalArgumentException("--backend " + spec + " has the address of backend " + same
            + ": one server is one backend");
      }
      b.backend(backend);
    }
    if (gateway != null) {
      b.gateway(gateway);
    }
    snat.forEach(b::snat);
    b.hairpinSnat(hairpinSnat);
    serverSubnets.forEach(b::serverSubnet);
    if (dscp != -1) {
      b.dscp(dscp);
    }
    b.algorithm(algorithm);
    b.check(check, checkOptions, checkInterval, rise, fall);
    b.statusFile(statusFile);
    b.resolveTimeout(resolveTimeout);
    b.workers(workers);
    b.offloads(switch (offloads) {
      case "carry" -> PacketSocket.OffloadMode.CARRY;
      case "undo" -> PacketSocket.OffloadMode.UNDO;
      default -> throw new IllegalArgumentException("--offloads must be carry or undo, was '" + offloads + "'");
    });
    b.seed(seed);
    b.secondChance(secondChance);
    algorithmOptions.forEach(b::algorithmOption);
    b.drain(drainTimeout, drainQuiet);
    b.announce(bgp(v, oneArm != null ? oneArm : clientInterface));
    return b.build();
  }

  private @Nullable BgpConfig bgp(InetAddress vipAddress, @Nullable String iface) {
    if (bgpSpeaker == null) {
      if (!bgpPeers.isEmpty() || bgpLocalAs != 0) {
        throw new IllegalArgumentException("--bgp-peer and --bgp-local-as need --bgp-speaker (bird or gobgp)");
      }
      return null;
    }
    if (bgpPeers.isEmpty()) {
      throw new IllegalArgumentException("--bgp-speaker needs at least one --bgp-peer");
    }
    if (bgpLocalAs == 0 || bgpPeerAs == 0) {
      throw new IllegalArgumentException("--bgp-speaker needs --bgp-local-as and --bgp-peer-as");
    }
    BgpConfig.Builder g = BgpConfig.builder(BgpConfig.Speaker.parse(bgpSpeaker), bgpLocalAs);
    for (InetAddress p : bgpPeers) {
      g.peer(p, bgpPeerAs);
    }
    InetAddress local = bgpLocalAddress != null ? bgpLocalAddress : interfaceAddress(iface, bgpPeers.get(0));
    if (local != null) {
      g.localAddress(local);
    }
    if (bgpRouterId != null) {
      g.routerId(bgpRouterId);
    }
    if (bgpNextHop != null) {
      g.nextHop(bgpNextHop);
    }
    g.vip(vipAddress);
    g.holdTime(bgpHoldTime);
    if (!bgpBfdInterval.isZero()) {
      g.bfd(bgpBfdInterval, bgpBfdMultiplier);
    }
    if (bgpDir != null) {
      g.directory(bgpDir);
    }
    return g.build();
  }

  /** The interface's first address of the peer's family: the default source of the BGP sessions. */
  private static @Nullable InetAddress interfaceAddress(@Nullable String iface, InetAddress peer) {
    if (iface == null) {
      return null;
    }
    try {
      NetworkInterface ni = NetworkInterface.getByName(iface);
      if (ni == null) {
        return null;
      }
      for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
        InetAddress a = ia.getAddress();
        if ((a instanceof Inet4Address) == (peer instanceof Inet4Address) && !a.isLinkLocalAddress()) {
          return a;
        }
      }
    } catch (SocketException e) {
      return null;
    }
    return null;
  }

  /**
   * Splits {@code 192.0.2.1:80}, {@code [2001:db8::1]:80}, {@code 192.0.2.1}, {@code [2001:db8::1]}
   * or {@code 2001:db8::1} into address text and port text (empty when there is none).
   */
  static String[] hostAndPort(String option, String text, boolean portRequired) {
    String form = portRequired ? "[ID=]IP:PORT or [ID=][IPv6]:PORT" : "IP, IP:PORT, [IPv6] or [IPv6]:PORT";
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException(option + " has no ']' after its IPv6 address, was '" + text + "' (" + form + ")");
      }
      host = text.substring(1, close);
      String rest = text.substring(close + 1);
      if (!rest.isEmpty() && !rest.startsWith(":")) {
        throw new IllegalArgumentException(option + " must be " + form + ", was '" + text + "'");
      }
      port = rest.isEmpty() ? "" : rest.substring(1);
      if (!rest.isEmpty() && port.isEmpty()) {
        throw new IllegalArgumentException(option + " has ':' but no port after it, was '" + text + "'");
      }
    } else if (text.indexOf(':') != text.lastIndexOf(':')) {
      // two colons or more: an IPv6 address without brackets, so without a port
      host = text;
      port = "";
    } else {
      int colon = text.indexOf(':');
      host = colon < 0 ? text : text.substring(0, colon);
      port = colon < 0 ? "" : text.substring(colon + 1);
      if (colon >= 0 && port.isEmpty()) {
        throw new IllegalArgumentException(option + " has ':' but no port after it, was '" + text + "'");
      }
    }
    if (portRequired && port.isEmpty()) {
      throw new IllegalArgumentException(option + " must be " + form + ", was '" + text + "'"
          + (host.indexOf(':') >= 0 && !text.startsWith("[") ? ": write an IPv6 address with a port in brackets" : ""));
    }
    return new String[] {host, port};
  }

  private static String side(@Nullable String iface, int vlan) {
    return vlan == -1 ? String.valueOf(iface) : iface + " VLAN " + vlan;
  }

  private static InetAddress literal(String option, String text) {
    String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    boolean literal = !t.isEmpty() && (t.indexOf(':') >= 0 || t.chars().allMatch(ch -> ch == '.' || Character.isDigit(ch)))
        && t.indexOf('%') < 0;
    if (!literal) {
      throw new IllegalArgumentException(option + " needs a literal IPv4 or IPv6 address, was '" + text + "'");
    }
    return Endpoints.literal(option, t);
  }

  private static int port(String option, String text) {
    try {
      int p = Integer.parseInt(text);
      if (p >= 1 && p <= 65_535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    }
    throw new IllegalArgumentException(option + " port must be in 1..65535, was '" + text + "'");
  }
}
