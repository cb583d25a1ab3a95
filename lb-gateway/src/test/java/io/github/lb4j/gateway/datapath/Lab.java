package io.github.lb4j.gateway.datapath;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A network lab in namespaces for the datapath: a client, a router, the balancer and real servers
 * running real HTTP servers ({@link LabHttpServer}), joined by veth pairs and a Linux bridge, with
 * addresses from the documentation ranges only.
 *
 * <pre>
 * one-arm:  c (203.0.113.10) -- r (203.0.113.1 | br0 192.0.2.1) -+- lb eth0 192.0.2.2 (VIP 192.0.2.100, SNAT 192.0.2.3)
 *                                                                +- s1 192.0.2.11, s2 .12, s3 .13
 * inline:   c (203.0.113.10) -- r (203.0.113.1 | 192.0.2.1) -- lb eth0 192.0.2.2 (VIP 192.0.2.100)
 *                                                              lb eth1 198.51.100.1 -- sw br0 -+- s1 198.51.100.11, s2 .12, s3 .13
 * one-arm IPv6: c 2001:db8:1::10 -- r 2001:db8:1::1 | 2001:db8:2::1 -- lb 2001:db8:2::2 (VIP 2001:db8:2::100,
 *                SNAT 2001:db8:2::3), s1 2001:db8:2::11, s2 ::12, s3 ::13
 * </pre>
 *
 * <p>Namespaces are named {@code lb4j<random>-<role>}, so runs never collide; {@link #close} (and a
 * shutdown hook, for a killed run) stops every process and deletes every namespace, which deletes
 * their links. Transmit checksum offload is off on every veth, so frames an AF_PACKET socket sees
 * carry complete checksums; GRO is off on the balancer's interfaces, so it never sees merged
 * segments larger than the MTU. One thread (the test's); blocks while commands run.
 */
final class Lab implements AutoCloseable {

  static final String VIP = "192.0.2.100";
  static final String SNAT = "192.0.2.3";
  static final String LB = "192.0.2.2";
  static final String ROUTER = "192.0.2.1";
  static final String CLIENT = "203.0.113.10";
  static final String INLINE_LB_SERVER_SIDE = "198.51.100.1";
  static final int HTTP = 8080;
  /** One-arm only: the IPv6 VIP, SNAT address, balancer and router on the servers' network. */
  static final String VIP6 = "2001:db8:2::100";
  static final String SNAT6 = "2001:db8:2::3";
  static final String ROUTER6 = "2001:db8:2::1";

  /** Which way the balancer is wired. */
  enum Layout { ONE_ARM, INLINE }

  /** What a client run printed. */
  record Load(long ok, long failed, Map<String, Long> perServer, List<String> errors, String raw) {
    long of(String server) {
      return perServer.getOrDefault(server, 0L);
    }
  }

  private final String prefix;
  private final Layout layout;
  private final int servers;
  private final List<String> namespaces = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final Map<String, Process> serverProcesses = new LinkedHashMap<>();
  private final Path dir;
  private final Thread hook;
  private Process datapath;
  private Path datapathLog;

  private Lab(Layout layout, int servers) throws IOException {
    this.prefix = "lb4j" + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
    this.layout = layout;
    this.servers = servers;
    this.dir = Files.createTempDirectory(prefix);
    this.hook = new Thread(this::cleanup, "lab-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Why the lab cannot run here, if it cannot: not root, or a tool missing.
   *
   * @return the reason, or empty when it can run
   */
  static Optional<String> unavailable() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("the datapath lab needs root (network namespaces, AF_PACKET)");
    }
    for (String tool : List.of("ip", "ethtool", "nft")) {
      if (!onPath(tool)) {
        return Optional.of("the datapath lab needs '" + tool + "' on the PATH");
      }
    }
    return Optional.empty();
  }

  /** Skips the calling test with the reason, or fails it when {@code LB_REQUIRE_PRIVILEGED=1}. */
  static void assumeAvailable(String... extraTools) {
    Optional<String> why = unavailable();
    for (String t : extraTools) {
      if (why.isEmpty() && !onPath(t)) {
        why = Optional.of("this test needs '" + t + "' on the PATH");
      }
    }
    if (why.isPresent()) {
      if ("1".equals(System.getenv("LB_REQUIRE_PRIVILEGED"))) {
        Assertions.fail(why.get() + " (LB_REQUIRE_PRIVILEGED=1 forbids skipping)");
      }
      System.out.println("SKIPPED: " + why.get());
      Assumptions.abort(why.get());
    }
  }

  static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
  }

  /**
   * Builds a lab and starts an HTTP server named {@code s1}, {@code s2}, ... on port 8080 of each
   * real server.
   *
   * @param layout one-arm or inline
   * @param servers how many real servers, 1..9
   * @return the lab
   */
  static Lab create(Layout layout, int servers) throws IOException, InterruptedException {
    Lab lab = new Lab(layout, servers);
    try {
      lab.build();
      for (int i = 1; i <= servers; i++) {
        lab.startServer(i);
      }
      for (int i = 1; i <= servers; i++) {
        lab.awaitListening(i);
      }
      return lab;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      lab.close();
      throw e;
    }
  }

  String ns(String role) {
    return prefix + "-" + role;
  }

  Layout layout() {
    return layout;
  }

  Path dir() {
    return dir;
  }

  /** Address of server {@code i} (1-based). */
  String server(int i) {
    return (layout == Layout.ONE_ARM ? "192.0.2." : "198.51.100.") + (10 + i);
  }

  /** IPv6 address of server {@code i} (1-based), one-arm only. */
  String server6(int i) {
    return "2001:db8:2::" + (10 + i);
  }

  /** The balancer's address on the servers' side, the servers' gateway in the S6.1a fix. */
  String balancerServerSide() {
    return layout == Layout.ONE_ARM ? LB : INLINE_LB_SERVER_SIDE;
  }

  /** The servers' subnet. */
  String serverSubnet() {
    return layout == Layout.ONE_ARM ? "192.0.2.0/24" : "198.51.100.0/24";
  }

  int servers() {
    return servers;
  }

  private void build() throws IOException, InterruptedException {
    for (String role : roles()) {
      run("ip", "netns", "add", ns(role));
      namespaces.add(ns(role));
      in(role, "ip", "link", "set", "lo", "up");
    }
    veth("c", "eth0", "r", "eth0");
    in("c", "ip", "addr", "add", CLIENT + "/24", "dev", "eth0");
    in("r", "ip", "addr", "add", "203.0.113.1/24", "dev", "eth0");
    sysctl("r", "net/ipv4/ip_forward", "1");
    String lan = layout == Layout.ONE_ARM ? "r" : "sw";
    in(lan, "ip", "link", "add", "br0", "type", "bridge");
    in(lan, "ip", "link", "set", "br0", "type", "bridge", "forward_delay", "0");
    if (layout == Layout.ONE_ARM) {
      in("r", "ip", "addr", "add", ROUTER + "/24", "dev", "br0");
      veth("lb", "eth0", "r", "plb");
      in("r", "ip", "link", "set", "plb", "master", "br0");
      in("lb", "ip", "addr", "add", LB + "/24", "dev", "eth0");
    } else {
      veth("lb", "eth0", "r", "eth1");
      in("r", "ip", "addr", "add", ROUTER + "/24", "dev", "eth1");
      in("lb", "ip", "addr", "add", LB + "/24", "dev", "eth0");
      veth("lb", "eth1", "sw", "plb");
      in("sw", "ip", "link", "set", "plb", "master", "br0");
      in("lb", "ip", "addr", "add", INLINE_LB_SERVER_SIDE + "/24", "dev", "eth1");
    }
    for (int i = 1; i <= servers; i++) {
      String s = "s" + i;
      veth(s, "eth0", lan, "p" + s);
      in(lan, "ip", "link", "set", "p" + s, "master", "br0");
      in(s, "ip", "addr", "add", server(i) + "/24", "dev", "eth0");
    }
    in(lan, "ip", "link", "set", "br0", "up");
    in("c", "ip", "route", "add", "default", "via", "203.0.113.1");
    if (layout == Layout.ONE_ARM) {
      // nodad: the addresses are usable at once instead of after duplicate address detection.
      in("c", "ip", "addr", "add", "2001:db8:1::10/64", "dev", "eth0", "nodad");
      in("c", "ip", "-6", "route", "add", "default", "via", "2001:db8:1::1");
      in("r", "ip", "addr", "add", "2001:db8:1::1/64", "dev", "eth0", "nodad");
      in("r", "ip", "addr", "add", ROUTER6 + "/64", "dev", "br0", "nodad");
      sysctl("r", "net/ipv6/conf/all/forwarding", "1");
      in("lb", "ip", "addr", "add", "2001:db8:2::2/64", "dev", "eth0", "nodad");
      for (int i = 1; i <= servers; i++) {
        in("s" + i, "ip", "addr", "add", server6(i) + "/64", "dev", "eth0", "nodad");
        in("s" + i, "ip", "-6", "route", "add", "default", "via", ROUTER6);
      }
    }
    for (int i = 1; i <= servers; i++) {
      serversGateway(layout == Layout.ONE_ARM ? ROUTER : INLINE_LB_SERVER_SIDE, i);
    }
    for (String iface : layout == Layout.ONE_ARM ? List.of("eth0") : List.of("eth0", "eth1")) {
      in("lb", "ethtool", "-K", iface, "gro", "off", "rx", "off");
    }
  }

  private List<String> roles() {
    List<String> r = new ArrayList<>(List.of("c", "r", "lb"));
    if (layout == Layout.INLINE) {
      r.add("sw");
    }
    for (int i = 1; i <= servers; i++) {
      r.add("s" + i);
    }
    return r;
  }

  private void veth(String a, String ifA, String b, String ifB) throws IOException, InterruptedException {
    run("ip", "-n", ns(a), "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", ns(b));
    in(a, "ethtool", "-K", ifA, "tx", "off");
    in(b, "ethtool", "-K", ifB, "tx", "off");
    in(a, "ip", "link", "set", ifA, "up");
    in(b, "ip", "link", "set", ifB, "up");
  }

  void sysctl(String role, String key, String value) throws IOException, InterruptedException {
    in(role, "sh", "-c", "echo " + value + " > /proc/sys/" + key);
  }

  /** Points every server's default route at {@code gateway}. */
  void serversGateway(String gateway) throws IOException, InterruptedException {
    for (int i = 1; i <= servers; i++) {
      serversGateway(gateway, i);
    }
  }

  private void serversGateway(String gateway, int i) throws IOException, InterruptedException {
    in("s" + i, "ip", "route", "replace", "default", "via", gateway);
  }

  /**
   * Puts the VIP on every server's loopback with ARP kept quiet about it (arp_ignore=1,
   * arp_announce=2), as the DSR modes need (seed S5.3a); or removes it.
   */
  void vipOnServersLoopback(boolean on) throws IOException, InterruptedException {
    for (int i = 1; i <= servers; i++) {
      String s = "s" + i;
      sysctl(s, "net/ipv4/conf/all/arp_ignore", on ? "1" : "0");
      sysctl(s, "net/ipv4/conf/all/arp_announce", on ? "2" : "0");
      sysctl(s, "net/ipv4/conf/eth0/arp_ignore", on ? "1" : "0");
      sysctl(s, "net/ipv4/conf/eth0/arp_announce", on ? "2" : "0");
      if (on) {
        in(s, "ip", "addr", "replace", VIP + "/32", "dev", "lo");
      } else {
        tryIn(s, "ip", "addr", "del", VIP + "/32", "dev", "lo");
      }
    }
  }

  /** Runs an nft script on every server ({@code flush ruleset} removes it). */
  void nftOnServers(String script) throws IOException, InterruptedException {
    for (int i = 1; i <= servers; i++) {
      Path f = dir.resolve("nft-s" + i);
      Files.writeString(f, script);
      in("s" + i, "nft", "-f", f.toString());
    }
  }

  void startServer(int i) throws IOException {
    String s = "s" + i;
    Process p = java(s, dir.resolve(s + ".log"), LabHttpServer.class.getName(), List.of("-Xmx48m"), s, "::", String.valueOf(HTTP));
    serverProcesses.put(s, p);
  }

  void awaitListening(int i) throws IOException, InterruptedException {
    Path log = dir.resolve("s" + i + ".log");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains("listening")) {
        return;
      }
      Process p = serverProcesses.get("s" + i);
      if (p != null && !p.isAlive()) {
        throw new IllegalStateException("server s" + i + " exited: " + Files.readString(log));
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("server s" + i + " did not start: " + Files.readString(log));
  }

  /** Starts again every server stopped by {@link #killServer}. */
  void restartStoppedServers() throws IOException, InterruptedException {
    for (int i = 1; i <= servers; i++) {
      if (!serverProcesses.containsKey("s" + i)) {
        Files.deleteIfExists(dir.resolve("s" + i + ".log"));
        startServer(i);
        awaitListening(i);
      }
    }
  }

  /** Stops server {@code i}'s HTTP server (SIGKILL: its port closes at once, as in a crash). */
  void killServer(int i) throws InterruptedException {
    Process p = serverProcesses.remove("s" + i);
    if (p != null) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Starts {@code lb datapath} in the balancer's namespace with a status file, and waits until
   * {@code eligible} servers are healthy and resolved.
   *
   * @return the status file
   */
  Path startDatapath(int eligible, String... args) throws IOException, InterruptedException {
    stopDatapath();
    Path status = dir.resolve("datapath.status");
    Files.deleteIfExists(status);
    List<String> all = new ArrayList<>(List.of("datapath", "--status-file", status.toString(), "--check-interval", "200ms",
        "--stats-interval", "0"));
    all.addAll(List.of(args));
    datapathLog = dir.resolve("datapath-" + System.nanoTime() + ".log");
    datapath = java("lb", datapathLog, "io.github.lb4j.gateway.cli.Lb", List.of("-Xmx256m"), all.toArray(String[]::new));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!datapath.isAlive()) {
        throw new IllegalStateException("lb datapath exited with " + datapath.exitValue() + ": " + Files.readString(datapathLog));
      }
      Map<String, String> s = status(status);
      if (s.containsKey("eligible") && Integer.parseInt(s.get("eligible")) >= eligible) {
        return status;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("lb datapath did not get " + eligible + " eligible servers: "
        + (Files.exists(status) ? Files.readString(status) : "") + Files.readString(datapathLog));
  }

  /** Stops the datapath with SIGTERM (its graceful stop) and returns what it printed. */
  String stopDatapath() throws IOException, InterruptedException {
    Process p = datapath;
    if (p == null) {
      return "";
    }
    datapath = null;
    p.destroy();
    if (!p.waitFor(15, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
    }
    return Files.readString(datapathLog);
  }

  String datapathLog() throws IOException {
    return datapathLog == null ? "" : Files.readString(datapathLog);
  }

  /** Reads a status file: {@code key value} per line; for backends {@code backend.ID} holds the rest. */
  static Map<String, String> status(Path file) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return m;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String[] kv = line.split(" ", 2);
      if (kv.length == 2) {
        if (kv[0].equals("backend")) {
          String[] rest = kv[1].split(" ", 2);
          m.put("backend." + rest[0], rest.length > 1 ? rest[1] : "");
        } else {
          m.put(kv[0], kv[1]);
        }
      }
    }
    return m;
  }

  static long counter(Path status, String key) throws IOException {
    return Long.parseLong(status(status).getOrDefault(key, "0"));
  }

  /** Runs the lab client in namespace {@code role} against {@code host:8080}. */
  Load load(String role, String host, int requests, int threads, int timeoutMillis) throws IOException, InterruptedException {
    Path log = dir.resolve("client-" + System.nanoTime() + ".log");
    Process p = java(role, log, LabHttpClient.class.getName(), List.of("-Xmx64m"), host, String.valueOf(HTTP),
        String.valueOf(requests), String.valueOf(threads), String.valueOf(timeoutMillis));
    if (!p.waitFor(240, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("client did not finish: " + Files.readString(log));
    }
    processes.remove(p);
    String out = Files.readString(log);
    long ok = 0;
    long failed = 0;
    Map<String, Long> per = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    for (String line : out.split("\n")) {
      String[] f = line.split(" ", 3);
      switch (f[0]) {
        case "ok" -> ok = Long.parseLong(f[1]);
        case "failed" -> failed = Long.parseLong(f[1]);
        case "server" -> per.put(f[1], Long.parseLong(f[2]));
        case "error" -> errors.add(line.substring(6));
        default -> { }
      }
    }
    return new Load(ok, failed, per, errors, out);
  }

  /** Starts a Java main of this class path in namespace {@code role}, output to {@code log}. */
  Process java(String role, Path log, String mainClass, List<String> jvmOptions, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(role), javaBinary(), "-cp", classPath(),
        "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"));
    cmd.addAll(jvmOptions);
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
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

  /** Runs a command in namespace {@code role}; throws with its output when it fails. */
  String in(String role, String... cmd) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
    all.addAll(List.of(cmd));
    return run(all.toArray(String[]::new));
  }

  /** Like {@link #in} but ignores a failure. */
  void tryIn(String role, String... cmd) throws IOException, InterruptedException {
    try {
      in(role, cmd);
    } catch (IllegalStateException e) {
      // best effort: the state to undo may not exist
    }
  }

  static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out: " + String.join(" ", cmd));
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException("'" + String.join(" ", cmd) + "' failed (" + p.exitValue() + "): " + text.strip());
    }
    return text;
  }

  private synchronized void cleanup() {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
    for (String n : namespaces) {
      // Whatever still runs inside this lab's namespaces was started by it (a grandchild, say).
      try {
        Process pids = new ProcessBuilder("ip", "netns", "pids", n).redirectErrorStream(true).start();
        for (String pid : new String(pids.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).split("\\s+")) {
          if (!pid.isBlank() && pid.chars().allMatch(Character::isDigit)) {
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
          }
        }
        pids.waitFor(10, TimeUnit.SECONDS);
      } catch (IOException | InterruptedException e) {
        // best effort on the way out
      }
    }
    for (String n : namespaces) {
      try {
        new ProcessBuilder("ip", "netns", "del", n).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
      } catch (IOException | InterruptedException e) {
        // best effort on the way out; the next cleanup sees what is left
      }
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
}
