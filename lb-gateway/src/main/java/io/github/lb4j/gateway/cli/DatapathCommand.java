package io.github.lb4j.gateway.cli;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.gateway.datapath.Datapath;
import io.github.lb4j.gateway.datapath.DatapathConfig;
import io.github.lb4j.gateway.datapath.StartCancelledException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
 * SIGTERM).
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

  @Option(names = "--resolve-timeout", paramLabel = "DURATION",
      converter = Converters.DurationConverter.class,
      description = "How long the start waits for the gateway's and servers' MAC addresses (default 3s).")
  Duration resolveTimeout = Duration.ofSeconds(3);

  @Option(names = "--status-file", paramLabel = "FILE", description = "Write the status and counters here twice a second.")
  @Nullable Path statusFile;

  @Option(names = "--stats-interval", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Print the counters this often, 0 never (default 10s).")
  Duration statsInterval = Duration.ofSeconds(10);

  @Override
  public Integer call() throws Exception {
    DatapathConfig config = config();
    Duration stats = statsInterval;
    PrintWriter out = spec.commandLine().getOut();
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread command = Thread.currentThread();
    Thread hook = new Thread(() -> {
      stop.countDown();
      // Ends a start that still waits for the next hops' MAC addresses; the loop below takes an
      // interrupt as the stop it is.
      command.interrupt();
      try {
        stopped.await(10, TimeUnit.SECONDS);
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
      try (Datapath d = started) {
        out.println("lb datapath: " + config.mode().modeName() + " on " + side(config.clientInterface(), config.clientVlan())
            + (config.oneArm() ? "" : " -> " + side(config.serverInterface(), config.serverVlan()))
            + ", vip " + Endpoints.format(config.vip(), config.vipPort()) + ", " + config.backends().size() + " backends");
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
        d.close();
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
    b.vip(literal("--vip", vipParts[0]), vipParts[1].isEmpty() ? 0 : port("--vip", vipParts[1]));
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
    return b.build();
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
