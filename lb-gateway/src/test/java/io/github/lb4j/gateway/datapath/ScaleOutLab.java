package io.github.lb4j.gateway.datapath;

import io.github.lb4j.testing.FrrRouter;
import io.github.lb4j.testing.NamespaceLab;
import io.github.lb4j.testing.Shell;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;

/**
 * The scale-out lab: several {@code lb datapath} balancers behind one router, with the same
 * scheduler seed and table, in front of real servers, with addresses from the documentation ranges
 * only.
 *
 * <pre>
 *  c 203.0.113.10 -- r 203.0.113.1 | r br0 192.0.2.1 -+- lb1 192.0.2.2, lb2 .3, lb3 .4   (BGP AS 64513, or VRRP)
 *                   FRR AS 64512, ECMP               +- s1 192.0.2.11 .. s4 .14          (VIP on lo, DSR)
 *  VIP 198.51.100.100:8080, routed by r to the balancers that announce it (BGP, ECMP with L4 hashing)
 *  or to the VRRP address 192.0.2.254 that keepalived moves between two balancers
 * </pre>
 *
 * <p>The router runs FRR ({@link FrrRouter}: bgpd with {@code maximum-paths 8}, bfdd, zebra
 * installing multipath routes) with {@code fib_multipath_hash_policy=1} for IPv4 and IPv6, so each
 * flow's five-tuple picks its balancer. Balancers peer with it from a listen range, so they come and
 * go freely. Namespaces are {@code lb4j<random>-<role>}; {@link #close} stops every process and
 * deletes them. One thread (the test's); blocks while commands run.
 */
final class ScaleOutLab implements AutoCloseable {

  static final String VIP = "198.51.100.100";
  static final int PORT = 8080;
  static final String CLIENT = "203.0.113.10";
  static final String ROUTER = "192.0.2.1";
  static final String VRRP_ADDRESS = "192.0.2.254";
  static final long ROUTER_AS = 64512;
  static final long BALANCER_AS = 64513;
  static final int DSCP = 10;

  /** How the router reaches the VIP. */
  enum Routing {
    /** Every balancer announces the VIP by BGP; the router spreads flows over them by ECMP. */
    BGP,
    /** A static route to the VRRP address that keepalived gives the active balancer. */
    VRRP
  }

  static final String BGPD = """
      frr defaults datacenter
      hostname scale-out-router
      router bgp 64512
       bgp router-id 192.0.2.1
       no bgp ebgp-requires-policy
       no bgp default ipv4-unicast
       neighbor LB peer-group
       neighbor LB remote-as 64513
       neighbor LB timers 3 9
       neighbor LB bfd profile fast
       bgp listen range 192.0.2.0/24 peer-group LB
       address-family ipv4 unicast
        neighbor LB activate
        maximum-paths 8
       exit-address-family
      """;
  static final String BFDD = """
      bfd
       profile fast
        receive-interval 100
        transmit-interval 100
        detect-multiplier 3
      """;

  private final String prefix = "lb4j" + NamespaceLab.uniqueSuffix(6);
  private final int balancers;
  private final int servers;
  private final Routing routing;
  private final Path dir;
  private final List<String> namespaces = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final Map<Integer, Process> datapaths = new LinkedHashMap<>();
  private final Map<Integer, Process> serverProcesses = new LinkedHashMap<>();
  private final Thread hook;
  private @Nullable FrrRouter router;

  private ScaleOutLab(int balancers, int servers, Routing routing) throws IOException {
    this.balancers = balancers;
    this.servers = servers;
    this.routing = routing;
    this.dir = Files.createTempDirectory(prefix);
    this.hook = new Thread(this::cleanup, "scale-out-lab-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Builds the lab, starts the router and a {@link LabStreamServer} on every server.
   *
   * @param balancers how many balancers, 1..9
   * @param servers how many servers, 1..9
   * @param routing BGP with ECMP, or VRRP
   * @return the lab
   */
  static ScaleOutLab create(int balancers, int servers, Routing routing) throws IOException {
    ScaleOutLab lab = new ScaleOutLab(balancers, servers, routing);
    try {
      lab.build();
      for (int i = 1; i <= servers; i++) {
        lab.startServer(i);
      }
      for (int i = 1; i <= servers; i++) {
        lab.awaitLog(lab.dir.resolve("s" + i + ".log"), "listening", lab.serverProcesses.get(i));
      }
      return lab;
    } catch (IOException | RuntimeException | Error e) {
      lab.close();
      throw e;
    }
  }

  String ns(String role) {
    return prefix + "-" + role;
  }

  Path dir() {
    return dir;
  }

  static String balancer(int i) {
    return "192.0.2." + (1 + i);
  }

  static String server(int i) {
    return "192.0.2." + (10 + i);
  }

  int balancers() {
    return balancers;
  }

  FrrRouter router() {
    FrrRouter r = router;
    if (r == null) {
      throw new IllegalStateException("the lab routes by " + routing);
    }
    return r;
  }

  private void build() throws IOException {
    List<String> roles = new ArrayList<>(List.of("c", "r"));
    for (int i = 1; i <= balancers; i++) {
      roles.add("lb" + i);
    }
    for (int i = 1; i <= servers; i++) {
      roles.add("s" + i);
    }
    for (String role : roles) {
      Shell.run("ip", "netns", "add", ns(role));
      namespaces.add(ns(role));
      in(role, "ip", "link", "set", "lo", "up");
    }
    veth("c", "eth0", "r", "eth0");
    in("c", "ip", "addr", "add", CLIENT + "/24", "dev", "eth0");
    in("c", "ip", "route", "add", "default", "via", "203.0.113.1");
    in("r", "ip", "addr", "add", "203.0.113.1/24", "dev", "eth0");
    in("r", "ip", "link", "add", "br0", "type", "bridge");
    in("r", "ip", "link", "set", "br0", "type", "bridge", "forward_delay", "0");
    in("r", "ip", "addr", "add", ROUTER + "/24", "dev", "br0");
    sysctl("r", "net/ipv4/ip_forward", "1");
    sysctl("r", "net/ipv6/conf/all/forwarding", "1");
    // ECMP by the five-tuple (policy 1: L4), not only the addresses: every client port is a new draw
    sysctl("r", "net/ipv4/fib_multipath_hash_policy", "1");
    sysctl("r", "net/ipv6/fib_multipath_hash_policy", "1");
    for (int i = 1; i <= balancers; i++) {
      String lb = "lb" + i;
      veth(lb, "eth0", "r", "p" + lb);
      in("r", "ip", "link", "set", "p" + lb, "master", "br0");
      in(lb, "ip", "addr", "add", balancer(i) + "/24", "dev", "eth0");
      in(lb, "ip", "route", "add", "default", "via", ROUTER);
      in(lb, "ethtool", "-K", "eth0", "gro", "off", "rx", "off");
    }
    for (int i = 1; i <= servers; i++) {
      String s = "s" + i;
      veth(s, "eth0", "r", "p" + s);
      in("r", "ip", "link", "set", "p" + s, "master", "br0");
      in(s, "ip", "addr", "add", server(i) + "/24", "dev", "eth0");
      in(s, "ip", "route", "add", "default", "via", ROUTER);
      // DSR: the VIP on loopback, ARP kept quiet about it (seed S5.3a); rp_filter off for IPIP
      sysctl(s, "net/ipv4/conf/all/arp_ignore", "1");
      sysctl(s, "net/ipv4/conf/all/arp_announce", "2");
      sysctl(s, "net/ipv4/conf/eth0/arp_ignore", "1");
      sysctl(s, "net/ipv4/conf/eth0/arp_announce", "2");
      sysctl(s, "net/ipv4/conf/all/rp_filter", "0");
      sysctl(s, "net/ipv4/conf/eth0/rp_filter", "0");
      in(s, "ip", "addr", "add", VIP + "/32", "dev", "lo");
    }
    in("r", "ip", "link", "set", "br0", "up");
    if (routing == Routing.BGP) {
      router = FrrRouter.start(ns("r"), BGPD, BFDD);
    } else {
      in("r", "ip", "route", "add", VIP + "/32", "via", VRRP_ADDRESS);
    }
  }

  private void veth(String a, String ifA, String b, String ifB) {
    Shell.run("ip", "-n", ns(a), "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", ns(b));
    // frames captured by AF_PACKET carry complete checksums only without transmit offload
    in(a, "ethtool", "-K", ifA, "tx", "off");
    in(b, "ethtool", "-K", ifB, "tx", "off");
    in(a, "ip", "link", "set", ifA, "up");
    in(b, "ip", "link", "set", ifB, "up");
  }

  void sysctl(String role, String key, String value) {
    in(role, "sh", "-c", "echo " + value + " > /proc/sys/" + key);
  }

  /** Runs an nft script on every server. */
  void nftOnServers(String script) throws IOException {
    for (int i = 1; i <= servers; i++) {
      Path f = dir.resolve("nft-s" + i);
      Files.writeString(f, script);
      in("s" + i, "nft", "-f", f.toString());
    }
  }

  /**
   * Lets the servers take IPIP (RFC 2003) from the balancers: this kernel has no {@code ipip}
   * module, so {@link LabIpipDecap} decapsulates in user space into a veth pair of each server,
   * and an nft rule keeps the kernel from answering the outer packets with "protocol unreachable".
   */
  void decapsulateIpipOnServers() throws IOException {
    List<String> targets = new ArrayList<>();
    for (int i = 1; i <= servers; i++) {
      String s = "s" + i;
      if (Shell.attempt("ip", "-n", ns(s), "link", "show", "dcp0").ok()) {
        continue;
      }
      in(s, "ip", "link", "add", "dcp0", "type", "veth", "peer", "name", "dcp1");
      in(s, "ethtool", "-K", "dcp0", "tx", "off");
      in(s, "ethtool", "-K", "dcp1", "tx", "off");
      in(s, "ip", "link", "set", "dcp0", "up");
      in(s, "ip", "link", "set", "dcp1", "up");
      sysctl(s, "net/ipv4/conf/dcp1/rp_filter", "0");
      targets.add(ns(s) + "=" + server(i));
    }
    if (!targets.isEmpty()) {
      Path log = dir.resolve("ipip-decap.log");
      List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-cp", classPath(), "--enable-native-access=ALL-UNNAMED",
          "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx64m", LabIpipDecap.class.getName()));
      cmd.addAll(targets);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      processes.add(p);
      awaitLog(log, "decapsulating", p);
    }
  }

  /** The nft rule that drops IPIP packets before the kernel's IP layer (the decapsulator has them). */
  static final String DROP_IPIP = """
      table ip lb4j_ipip {
        chain drop_outer {
          type filter hook prerouting priority -400; policy accept;
          ip protocol 4 drop
        }
      }
      """;

  void startServer(int i) throws IOException {
    Path log = dir.resolve("s" + i + ".log");
    Files.deleteIfExists(log);
    serverProcesses.put(i, java("s" + i, log, LabStreamServer.class.getName(), List.of("-Xmx48m"), "s" + i, "::", Integer.toString(PORT)));
  }

  void awaitServer(int i) throws IOException {
    awaitLog(dir.resolve("s" + i + ".log"), "listening", serverProcesses.get(i));
  }

  boolean serverRunning(int i) {
    Process p = serverProcesses.get(i);
    return p != null && p.isAlive();
  }

  /** Whether balancer {@code i}'s status file says backend {@code id} is up. */
  boolean backendUp(int i, String id) throws IOException {
    Path f = status(i);
    return Files.exists(f) && Files.readAllLines(f, StandardCharsets.UTF_8).stream()
        .anyMatch(l -> l.startsWith("backend " + id + " ") && l.contains(" UP "));
  }

  /** Kills server {@code i}'s process (its connections are reset, its port closes). */
  void killServer(int i) throws InterruptedException {
    Process p = serverProcesses.remove(i);
    if (p != null) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * The arguments every balancer shares: mode, VIP, servers, seed, table, fast health checks; and
   * {@code --workers N} when the system property {@code lb4j.lab.workers} asks for N (to run the
   * scale-out scenarios with several workers per balancer: {@code -Dlb4j.lab.workers=2}).
   */
  List<String> datapathArgs(String mode, int servers) {
    List<String> a = new ArrayList<>(List.of("datapath", "--mode", mode, "--interface", "eth0", "--vip", VIP + ":" + PORT,
        "--seed", "42", "--algorithm-option", "table-size=65537", "--check-interval", "200ms", "--stats-interval", "0"));
    String workers = System.getProperty("lb4j.lab.workers");
    if (workers != null && !workers.isBlank()) {
      a.addAll(List.of("--workers", workers.strip()));
    }
    if (mode.equals("dsr-dscp")) {
      a.addAll(List.of("--dscp", Integer.toString(DSCP)));
    }
    for (int i = 1; i <= servers; i++) {
      a.addAll(List.of("--backend", "s" + i + "=" + server(i) + ":" + PORT));
    }
    return a;
  }

  /** The BGP arguments of balancer {@code i}: BIRD, hold time 3 s, BFD 100 ms x 3. */
  List<String> bgpArgs(int i) {
    return List.of("--bgp-speaker", "bird", "--bgp-local-as", Long.toString(BALANCER_AS), "--bgp-peer", ROUTER,
        "--bgp-peer-as", Long.toString(ROUTER_AS), "--bgp-hold-time", "3s", "--bgp-bfd-interval", "100ms",
        "--bgp-bfd-multiplier", "3", "--bgp-dir", dir.resolve("bird-lb" + i).toString(), "--drain-quiet", "1s",
        "--drain-timeout", "20s");
  }

  Path status(int i) {
    return dir.resolve("lb" + i + ".status");
  }

  Path datapathLog(int i) {
    return dir.resolve("lb" + i + ".log");
  }

  /** Starts balancer {@code i} with these arguments (after {@code --status-file}) and waits until it serves. */
  void startDatapath(int i, List<String> args) throws IOException {
    Path status = status(i);
    Files.deleteIfExists(status);
    List<String> all = new ArrayList<>(args);
    all.addAll(List.of("--status-file", status.toString()));
    Process p = java("lb" + i, datapathLog(i), "io.github.lb4j.gateway.cli.Lb", List.of("-Xmx192m"), all.toArray(String[]::new));
    datapaths.put(i, p);
    Awaitility.await("lb" + i + " serves").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      if (!p.isAlive()) {
        throw new IllegalStateException("lb" + i + " exited with " + p.exitValue() + ": " + Files.readString(datapathLog(i)));
      }
      return "true".equals(status(status).get("serving"));
    });
  }

  Process datapath(int i) {
    return datapaths.get(i);
  }

  /** SIGKILL: the balancer dies at once, as in a crash (its speaker gets the parent-death signal). */
  void killDatapath(int i) throws InterruptedException {
    Process p = datapaths.remove(i);
    p.destroyForcibly();
    p.waitFor(10, TimeUnit.SECONDS);
  }

  /**
   * SIGSTOP to every process of balancer {@code i}'s namespace (the datapath and its speaker): a
   * hung host, whose BGP session stays open while its BFD falls silent.
   *
   * @return the stopped processes, for {@link #thaw}
   */
  List<Long> freezeBalancer(int i) {
    List<Long> pids = new ArrayList<>();
    for (String pid : Shell.run("ip", "netns", "pids", ns("lb" + i)).split("\\s+")) {
      if (!pid.isBlank()) {
        pids.add(Long.parseLong(pid.strip()));
      }
    }
    List<String> cmd = new ArrayList<>(List.of("kill", "-STOP"));
    pids.forEach(p -> cmd.add(Long.toString(p)));
    Shell.attempt(cmd.toArray(String[]::new));
    return pids;
  }

  /** SIGCONT to processes stopped by {@link #freezeBalancer}. */
  void thaw(List<Long> pids) {
    List<String> cmd = new ArrayList<>(List.of("kill", "-CONT"));
    pids.forEach(p -> cmd.add(Long.toString(p)));
    Shell.attempt(cmd.toArray(String[]::new));
  }

  /**
   * Starts keepalived (VRRPv3, RFC 5798) on balancer {@code i}: one VRRP instance on {@code eth0}
   * owning {@link #VRRP_ADDRESS}, advertisements every 100 ms, and a track script that puts the
   * instance in FAULT (so the standby takes over) when the balancer's datapath stops serving: its
   * status file must say {@code serving true} and be younger than a second (it is rewritten twice a
   * second, so a killed datapath goes stale).
   *
   * @param priority 1..254, the higher one is active
   */
  void startKeepalived(int i, int priority) throws IOException {
    Path check = dir.resolve("serving-lb" + i + ".sh");
    Files.writeString(check, """
        #!/bin/sh
        f=%s
        [ -f "$f" ] && grep -qx 'serving true' "$f" && [ -n "$(find "$f" -newermt '-1 seconds')" ]
        """.formatted(status(i)));
    Files.setPosixFilePermissions(check, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Path conf = dir.resolve("keepalived-lb" + i + ".conf");
    Files.writeString(conf, """
        global_defs {
          router_id lb%d
          vrrp_version 3
          script_user root
          enable_script_security
          vrrp_garp_master_delay 0
          vrrp_garp_master_repeat 3
        }
        vrrp_script lb_serving {
          script "%s"
          interval 1
          timeout 1
          fall 1
          rise 1
        }
        vrrp_instance lb4j {
          state BACKUP
          interface eth0
          virtual_router_id 51
          priority %d
          advert_int 0.1
          virtual_ipaddress {
            %s/24
          }
          track_script {
            lb_serving
          }
        }
        """.formatted(i, check, priority, VRRP_ADDRESS));
    spawn("lb" + i, dir.resolve("keepalived-lb" + i + ".log"), "keepalived", "--dont-fork", "--log-console", "--log-detail",
        "--vrrp", "--use-file", conf.toString(), "--pid", dir.resolve("keepalived-lb" + i + ".pid").toString(),
        "--vrrp_pid", dir.resolve("keepalived-vrrp-lb" + i + ".pid").toString(), "--config-id", "lb" + i);
  }

  /** The balancers whose {@code eth0} is up and holds the VRRP address now (1-based). */
  List<Integer> vrrpOwners() {
    List<Integer> owners = new ArrayList<>();
    for (int i = 1; i <= balancers; i++) {
      String out = Shell.attempt("ip", "-n", ns("lb" + i), "-4", "addr", "show", "dev", "eth0").output();
      String flags = out.contains("<") ? out.substring(out.indexOf('<'), out.indexOf('>') + 1) : "";
      if (flags.matches(".*[<,]UP[,>].*") && out.contains(" " + VRRP_ADDRESS + "/")) {
        owners.add(i);
      }
    }
    return owners;
  }

  /** The MAC address the router uses for the VRRP address, or empty. */
  String routerNeighbor() {
    String out = Shell.attempt("ip", "-n", ns("r"), "neigh", "show", VRRP_ADDRESS).output();
    int at = out.indexOf("lladdr ");
    return at < 0 ? "" : out.substring(at + 7).split("\\s+")[0];
  }

  /** The MAC address of balancer {@code i}'s {@code eth0}. */
  String mac(int i) {
    String out = Shell.run("ip", "-n", ns("lb" + i), "link", "show", "eth0");
    int at = out.indexOf("link/ether ");
    return out.substring(at + 11).split("\\s+")[0];
  }

  /**
   * The whole balancer host dies: SIGKILL to every process in its namespace (datapath, speaker,
   * keepalived) and its link down, so that it neither answers ARP nor sends anything again.
   */
  void killHost(int i) throws InterruptedException {
    datapaths.remove(i);
    List<String> cmd = new ArrayList<>(List.of("kill", "-KILL"));
    for (String pid : Shell.run("ip", "netns", "pids", ns("lb" + i)).split("\\s+")) {
      if (!pid.isBlank()) {
        cmd.add(pid.strip());
      }
    }
    Shell.attempt(cmd.toArray(String[]::new));
    in("lb" + i, "ip", "link", "set", "eth0", "down");
  }

  /** SIGTERM: the graceful stop (withdraw, drain, stop); returns without waiting. */
  void stopDatapath(int i) {
    datapaths.get(i).destroy();
  }

  /** Waits for a stopped balancer's exit and returns what it printed. */
  String awaitDatapathExit(int i, Duration timeout) throws IOException, InterruptedException {
    Process p = datapaths.remove(i);
    if (p != null && !p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("lb" + i + " did not stop within " + timeout + ": " + Files.readString(datapathLog(i)));
    }
    return Files.readString(datapathLog(i));
  }

  /** The router's next hops for the VIP (balancers' addresses), from its kernel table. */
  Set<String> nextHops() {
    return router().nextHops(VIP);
  }

  /** Starts the stream client in the client's namespace. */
  StreamClient streamClient(int connections, int intervalMillis) throws IOException {
    Path log = dir.resolve("client-" + System.nanoTime() + ".err");
    List<String> cmd = javaCommand("c", LabStreamClient.class.getName(), List.of("-Xmx128m"), VIP, Integer.toString(PORT),
        Integer.toString(connections), Integer.toString(intervalMillis));
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    processes.add(p);
    StreamClient c = new StreamClient(p, log);
    String hello = c.readLine();
    if (!hello.startsWith("started")) {
      throw new IllegalStateException("stream client: " + hello + " " + Files.readString(log));
    }
    return c;
  }

  /** The stream client's process: commands on its standard input, answers on its output. */
  static final class StreamClient {
    private final Process process;
    private final Path errors;
    private final BufferedReader out;
    private final OutputStream in;

    StreamClient(Process process, Path errors) {
      this.process = process;
      this.errors = errors;
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
      this.in = process.getOutputStream();
    }

    synchronized String ask(String command) throws IOException {
      in.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
      in.flush();
      return readLine();
    }

    String readLine() throws IOException {
      String line = out.readLine();
      if (line == null) {
        throw new IOException("the stream client ended: " + Files.readString(errors));
      }
      return line;
    }

    /** {@code progress}: connected, failed, fewest exchanges of a live connection. */
    long[] progress() throws IOException {
      String[] f = ask("progress").split(" ");
      return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])};
    }

    /** Stops every connection and returns the result lines. */
    List<String> stop() throws IOException, InterruptedException {
      List<String> lines = new ArrayList<>();
      lines.add(ask("stop"));
      for (String l; !(l = readLine()).equals("end"); ) {
        lines.add(l);
      }
      process.waitFor(10, TimeUnit.SECONDS);
      return lines;
    }
  }

  /** Starts a Java main of this class path in namespace {@code role}, output to {@code log}. */
  Process java(String role, Path log, String mainClass, List<String> jvmOptions, String... args) throws IOException {
    Process p = new ProcessBuilder(javaCommand(role, mainClass, jvmOptions, args)).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    processes.add(p);
    return p;
  }

  /** Starts any command in namespace {@code role}, output to {@code log}. */
  Process spawn(String role, Path log, String... cmd) throws IOException {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
    all.addAll(List.of(cmd));
    Process p = new ProcessBuilder(all).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    return p;
  }

  private List<String> javaCommand(String role, String mainClass, List<String> jvmOptions, String... args) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(role), javaBinary(), "-cp", classPath(),
        "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"));
    cmd.addAll(jvmOptions);
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    return cmd;
  }

  void awaitLog(Path log, String text, @Nullable Process p) {
    Awaitility.await(log.getFileName() + " says '" + text + "'").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> {
          if (p != null && !p.isAlive()) {
            throw new IllegalStateException(log.getFileName() + ": the process exited: " + read(log));
          }
          return read(log).contains(text);
        });
  }

  static String read(Path f) {
    try {
      return Files.exists(f) ? Files.readString(f) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs a command in namespace {@code role}; throws with its output when it fails. */
  String in(String role, String... cmd) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
    all.addAll(List.of(cmd));
    return Shell.run(all.toArray(String[]::new));
  }

  /** Every log of the lab, for failure messages. */
  String logs() {
    StringBuilder sb = new StringBuilder();
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
        String text = read(f);
        sb.append("\n--- ").append(f.getFileName()).append('\n').append(text.length() > 3000 ? text.substring(text.length() - 3000) : text);
      }
    } catch (IOException e) {
      sb.append(e);
    }
    FrrRouter r = router;
    if (r != null) {
      sb.append(r.logs());
    }
    return sb.toString();
  }

  private synchronized void cleanup() {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
    FrrRouter r = router;
    if (r != null) {
      r.close();
      router = null;
    }
    for (String n : namespaces) {
      // whatever still runs in this lab's namespaces was started by it (a speaker, keepalived)
      for (String pid : Shell.attempt("ip", "netns", "pids", n).output().split("\\s+")) {
        if (!pid.isBlank() && pid.chars().allMatch(Character::isDigit)) {
          ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
    }
    for (String n : namespaces) {
      Shell.attempt("ip", "netns", "del", n);
    }
    namespaces.clear();
  }

  @Override
  public void close() {
    cleanup();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook itself is cleaning up
    }
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static String classPath() {
    List<String> parts = new ArrayList<>();
    for (String prop : List.of("jdk.module.path", "java.class.path")) {
      String v = System.getProperty(prop);
      if (v != null && !v.isBlank()) {
        parts.add(v);
      }
    }
    return String.join(File.pathSeparator, parts);
  }

  /** Reads a datapath's status file: {@code key value} per line. */
  static Map<String, String> status(Path file) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return m;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String[] kv = line.split(" ", 2);
      if (kv.length == 2) {
        m.put(kv[0], kv[1]);
      }
    }
    return m;
  }

  static long counter(Path status, String key) throws IOException {
    return Long.parseLong(status(status).getOrDefault(key, "0"));
  }
}
