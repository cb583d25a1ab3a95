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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.Requirements;

/**
 * A network lab in namespaces for the datapath: a client, a router, the balancer and real servers
 * running real HTTP servers ({@link LabHttpServer}), joined by veth pairs and Linux bridges, with
 * addresses from the documentation ranges only. Every interface keeps the offloads veth comes with
 * (transmit checksum offload, TSO and GSO on), as a deployment would.
 *
 * <pre>
 * ONE_ARM: c 203.0.113.10 -- r 203.0.113.1 | br0 192.0.2.1 -+- lb eth0 192.0.2.2 (VIP 192.0.2.100, SNAT 192.0.2.3)
 *                                                           +- s1 192.0.2.11, s2 .12, s3 .13 (gateway r, or lb for S6.1a)
 *          IPv6: c 2001:db8:1::10, r 2001:db8:1::1 | 2001:db8:2::1, lb 2001:db8:2::2 (VIP 2001:db8:2::100,
 *          SNAT 2001:db8:2::3), s1..s3 2001:db8:2::11..13
 * INLINE:  c -- r 203.0.113.1 | br1 192.0.2.1 -+- lb eth0 192.0.2.2 (VIP 192.0.2.100)
 *                                              +- o 192.0.2.50 (an on-link client)
 *          lb eth1 198.51.100.1 -- sw br0 -+- s1 198.51.100.11, .12, .13 (gateway lb eth1)
 *          IPv6: r 2001:db8:2::1, lb eth0 2001:db8:2::2 (VIP 2001:db8:2::100), o 2001:db8:2::50,
 *          lb eth1 2001:db8:3::1, s1..s3 2001:db8:3::11..13
 *          with a VLAN trunk: r br1 -- vsw (access VLAN 10) ... vsw trunk -- lb eth0, and x 192.0.2.60 on
 *          access VLAN 20 ({@link LabVlanSwitch}: this kernel has no 8021q module)
 * BRIDGE:  c -- r 203.0.113.1 | eth1 192.0.2.1 -- lb eth0 ~ lb eth1 192.0.2.2 -- sw br0 -+- s1 192.0.2.11, .12, .13
 *          (inline transparent: one network through the balancer; servers' gateway r), IPv6 as ONE_ARM
 * </pre>
 *
 * <p>Namespaces are named {@code lb4j<random>-<role>}, so runs never collide; {@link #close} (and a
 * shutdown hook, for a killed run) stops every process and deletes every namespace, which deletes
 * their links. One thread (the test's); blocks while commands run.
 */
final class Lab implements AutoCloseable {

  static final String VIP = "192.0.2.100";
  static final String SNAT = "192.0.2.3";
  static final String LB = "192.0.2.2";
  static final String ROUTER = "192.0.2.1";
  static final String CLIENT = "203.0.113.10";
  static final String ON_LINK_CLIENT = "192.0.2.50";
  static final String OTHER_VLAN_CLIENT = "192.0.2.60";
  static final String INLINE_LB_SERVER_SIDE = "198.51.100.1";
  static final int HTTP = 8080;
  /** The bulk server's port on every server: downloads and uploads of full-size segments. */
  static final int BULK = 8081;
  static final String VIP6 = "2001:db8:2::100";
  static final String SNAT6 = "2001:db8:2::3";
  static final String LB6 = "2001:db8:2::2";
  static final String ROUTER6 = "2001:db8:2::1";
  static final String CLIENT6 = "2001:db8:1::10";
  static final String ON_LINK_CLIENT6 = "2001:db8:2::50";
  static final String INLINE_LB_SERVER_SIDE6 = "2001:db8:3::1";
  /** The VLAN of the clients' side on the balancer's trunk, and another one it does not serve. */
  static final int CLIENT_VLAN = 10;
  static final int OTHER_VLAN = 20;

  /** Which way the balancer is wired. */
  enum Layout { ONE_ARM, INLINE, BRIDGE }

  /** The address family a test runs over; the lab has both everywhere. */
  enum Family {
    IPV4, IPV6;

    /** {@code host:port}, IPv6 in brackets. */
    String endpoint(String host, int port) {
      return this == IPV6 ? "[" + host + "]:" + port : host + ":" + port;
    }
  }

  String vip(Family f) {
    return f == Family.IPV4 ? VIP : VIP6;
  }

  String snat(Family f) {
    return f == Family.IPV4 ? SNAT : SNAT6;
  }

  /** The router's address on the balancer's network: the clients' gateway argument. */
  String router(Family f) {
    return f == Family.IPV4 ? ROUTER : ROUTER6;
  }

  String server(Family f, int i) {
    return f == Family.IPV4 ? server(i) : server6(i);
  }

  String serverSubnet(Family f) {
    return f == Family.IPV4 ? serverSubnet() : serverSubnet6();
  }

  String balancerServerSide(Family f) {
    return f == Family.IPV4 ? balancerServerSide() : balancerServerSide6();
  }

  String onLinkClient(Family f) {
    return f == Family.IPV4 ? ON_LINK_CLIENT : ON_LINK_CLIENT6;
  }

  /** Points every server's default route of the family at {@code gateway}. */
  void serversGateway(Family f, String gateway) throws IOException, InterruptedException {
    if (f == Family.IPV4) {
      serversGateway(gateway);
    } else {
      serversGateway6(gateway);
    }
  }

  /** Both families' default routes of every server back to the lab's own (router, or the balancer inline). */
  void resetServersGateways() throws IOException, InterruptedException {
    serversGateway(layout == Layout.INLINE ? INLINE_LB_SERVER_SIDE : ROUTER);
    serversGateway6(layout == Layout.INLINE ? INLINE_LB_SERVER_SIDE6 : ROUTER6);
  }

  /** What a client run printed. */
  record Load(long ok, long failed, Map<String, Long> perServer, List<String> errors, String raw) {
    long of(String server) {
      return perServer.getOrDefault(server, 0L);
    }
  }

  private final String prefix;
  private final Layout layout;
  private final boolean vlanTrunk;
  private final int servers;
  private final List<String> namespaces = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final Map<String, Process> serverProcesses = new LinkedHashMap<>();
  private final Path dir;
  private final Thread hook;
  private Process datapath;
  private Path datapathLog;

  private Lab(Layout layout, boolean vlanTrunk, int servers) throws IOException {
    this.prefix = "lb4j" + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
    this.layout = layout;
    this.vlanTrunk = vlanTrunk;
    this.servers = servers;
    this.dir = Files.createTempDirectory(prefix);
    this.hook = new Thread(this::cleanup, "lab-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * Skips the calling test with a printed reason when the lab cannot run here (capabilities, tools),
   * or fails it when {@code LB_REQUIRE_PRIVILEGED=1}.
   *
   * @param extraTools tools the test needs besides ip, ethtool and nft
   */
  static void assumeAvailable(String... extraTools) {
    Requirements.requireCapabilities("the datapath lab", Capability.NET_ADMIN, Capability.NET_RAW, Capability.SYS_ADMIN);
    List<String> tools = new ArrayList<>(List.of("ip", "ethtool", "nft"));
    tools.addAll(List.of(extraTools));
    Requirements.requireCommands("the datapath lab", tools.toArray(String[]::new));
  }

  /** Skips (or fails) an IPv6 test on a kernel without IPv6. */
  static void assumeIpv6() {
    Requirements.requireIpv6("the datapath lab over IPv6");
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
    return create(layout, false, servers);
  }

  /**
   * Builds an inline lab whose clients' side reaches the balancer over an 802.1Q trunk: VLAN {@link
   * #CLIENT_VLAN} from the router, VLAN {@link #OTHER_VLAN} from a host {@code x}.
   */
  static Lab createWithVlanTrunk(int servers) throws IOException, InterruptedException {
    return create(Layout.INLINE, true, servers);
  }

  private static Lab create(Layout layout, boolean vlanTrunk, int servers) throws IOException, InterruptedException {
    Lab lab = new Lab(layout, vlanTrunk, servers);
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
    return (layout == Layout.INLINE ? "198.51.100." : "192.0.2.") + (10 + i);
  }

  /** IPv6 address of server {@code i} (1-based). */
  String server6(int i) {
    return (layout == Layout.INLINE ? "2001:db8:3::" : "2001:db8:2::") + (10 + i);
  }

  /** The balancer's address on the servers' side, the servers' gateway in the S6.1a fix. */
  String balancerServerSide() {
    return layout == Layout.INLINE ? INLINE_LB_SERVER_SIDE : LB;
  }

  /** The balancer's IPv6 address on the servers' side. */
  String balancerServerSide6() {
    return layout == Layout.INLINE ? INLINE_LB_SERVER_SIDE6 : LB6;
  }

  /** The servers' subnet. */
  String serverSubnet() {
    return layout == Layout.INLINE ? "198.51.100.0/24" : "192.0.2.0/24";
  }

  /** The servers' IPv6 subnet. */
  String serverSubnet6() {
    return layout == Layout.INLINE ? "2001:db8:3::/64" : "2001:db8:2::/64";
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
    address("c", "eth0", CLIENT + "/24", "2001:db8:1::10/64");
    address("r", "eth0", "203.0.113.1/24", "2001:db8:1::1/64");
    sysctl("r", "net/ipv4/ip_forward", "1");
    sysctl("r", "net/ipv6/conf/all/forwarding", "1");
    in("c", "ip", "route", "add", "default", "via", "203.0.113.1");
    in("c", "ip", "-6", "route", "add", "default", "via", "2001:db8:1::1");
    String lan = layout == Layout.ONE_ARM ? "r" : "sw";
    bridge(lan, "br0");
    switch (layout) {
      case ONE_ARM -> {
        address("r", "br0", ROUTER + "/24", ROUTER6 + "/64");
        veth("lb", "eth0", "r", "plb");
        in("r", "ip", "link", "set", "plb", "master", "br0");
        address("lb", "eth0", LB + "/24", LB6 + "/64");
      }
      case INLINE -> {
        // the clients' side is a LAN of its own, so that a client can sit on-link with the balancer
        bridge("r", "br1");
        address("r", "br1", ROUTER + "/24", ROUTER6 + "/64");
        if (vlanTrunk) {
          veth("lb", "eth0", "vsw", "trunk");
          veth("r", "p10", "vsw", "a10");
          in("r", "ip", "link", "set", "p10", "master", "br1");
          veth("x", "eth0", "vsw", "a20");
          address("x", "eth0", OTHER_VLAN_CLIENT + "/24", "2001:db8:2::60/64");
        } else {
          veth("lb", "eth0", "r", "plb");
          in("r", "ip", "link", "set", "plb", "master", "br1");
        }
        veth("o", "eth0", "r", "po");
        in("r", "ip", "link", "set", "po", "master", "br1");
        address("o", "eth0", ON_LINK_CLIENT + "/24", ON_LINK_CLIENT6 + "/64");
        in("o", "ip", "route", "add", "default", "via", ROUTER);
        in("o", "ip", "-6", "route", "add", "default", "via", ROUTER6);
        address("lb", "eth0", LB + "/24", LB6 + "/64");
        veth("lb", "eth1", "sw", "plb");
        in("sw", "ip", "link", "set", "plb", "master", "br0");
        address("lb", "eth1", INLINE_LB_SERVER_SIDE + "/24", INLINE_LB_SERVER_SIDE6 + "/64");
      }
      case BRIDGE -> {
        veth("lb", "eth0", "r", "eth1");
        address("r", "eth1", ROUTER + "/24", ROUTER6 + "/64");
        veth("lb", "eth1", "sw", "plb");
        in("sw", "ip", "link", "set", "plb", "master", "br0");
        // the balancer's own address (health checks) is on the servers' side of the bridge
        address("lb", "eth1", LB + "/24", LB6 + "/64");
      }
      default -> throw new IllegalStateException();
    }
    for (int i = 1; i <= servers; i++) {
      String s = "s" + i;
      veth(s, "eth0", lan, "p" + s);
      in(lan, "ip", "link", "set", "p" + s, "master", "br0");
      address(s, "eth0", server(i) + "/24", server6(i) + "/64");
    }
    in(lan, "ip", "link", "set", "br0", "up");
    for (int i = 1; i <= servers; i++) {
      serversGateway(layout == Layout.INLINE ? INLINE_LB_SERVER_SIDE : ROUTER, i);
      serversGateway6(layout == Layout.INLINE ? INLINE_LB_SERVER_SIDE6 : ROUTER6, i);
    }
    if (vlanTrunk) {
      Path log = dir.resolve("vsw.log");
      java("vsw", log, LabVlanSwitch.class.getName(), List.of("-Xmx48m"), "trunk", "a10=" + CLIENT_VLAN, "a20=" + OTHER_VLAN);
      awaitLine(log, "switching", "the VLAN switch");
    }
  }

  /**
   * A bridge that forwards at once (no STP listening delay), and whose forwarded frames do not pass
   * the namespace's IP firewall (br_netfilter would show them to nft's forward hook, as if routed).
   */
  private void bridge(String role, String name) throws IOException, InterruptedException {
    in(role, "ip", "link", "add", name, "type", "bridge");
    in(role, "ip", "link", "set", name, "type", "bridge", "forward_delay", "0");
    in(role, "ip", "link", "set", name, "up");
    for (String table : List.of("iptables", "ip6tables", "arptables")) {
      if (Files.exists(Path.of("/proc/sys/net/bridge/bridge-nf-call-" + table))) {
        sysctl(role, "net/bridge/bridge-nf-call-" + table, "0");
      }
    }
  }

  /** Gives an interface an IPv4 and an IPv6 address; nodad: usable at once, without duplicate address detection. */
  private void address(String role, String iface, String v4, String v6) throws IOException, InterruptedException {
    in(role, "ip", "addr", "add", v4, "dev", iface);
    in(role, "ip", "addr", "add", v6, "dev", iface, "nodad");
  }

  private void awaitLine(Path log, String line, String what) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(line)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(what + " did not start: " + (Files.exists(log) ? Files.readString(log) : ""));
  }

  private List<String> roles() {
    List<String> r = new ArrayList<>(List.of("c", "r", "lb"));
    if (layout != Layout.ONE_ARM) {
      r.add("sw");
    }
    if (layout == Layout.INLINE) {
      r.add("o");
      if (vlanTrunk) {
        r.add("vsw");
        r.add("x");
      }
    }
    for (int i = 1; i <= servers; i++) {
      r.add("s" + i);
    }
    return r;
  }

  private void veth(String a, String ifA, String b, String ifB) throws IOException, InterruptedException {
    run("ip", "-n", ns(a), "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", ns(b));
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

  /** Points every server's IPv6 default route at {@code gateway}. */
  void serversGateway6(String gateway) throws IOException, InterruptedException {
    for (int i = 1; i <= servers; i++) {
      serversGateway6(gateway, i);
    }
  }

  private void serversGateway6(String gateway, int i) throws IOException, InterruptedException {
    in("s" + i, "ip", "-6", "route", "replace", "default", "via", gateway);
  }

  /**
   * Puts (or takes away) a hop with MTU 1280 between the router and the client: the router's side of
   * that link. The client's own MTU stays 1500, so it still asks for full-size segments. Forgets
   * every path MTU the servers learned either way, so that each test discovers it anew.
   */
  void pathMtuHop(boolean on) throws IOException, InterruptedException {
    mtu("r", "eth0", on ? 1280 : 1500);
    for (int i = 1; i <= servers; i++) {
      in("s" + i, "ip", "route", "flush", "cache");
      in("s" + i, "ip", "-6", "route", "flush", "cache");
    }
  }

  /** Sets the MTU of an interface in a namespace. */
  void mtu(String role, String iface, int mtu) throws IOException, InterruptedException {
    in(role, "ip", "link", "set", iface, "mtu", String.valueOf(mtu));
  }

  /** Sets offloads of every veth end of the lab ({@code ethtool -K IF settings...}), for example "tx", "off". */
  void offloads(String... settings) throws IOException, InterruptedException {
    for (String role : roles()) {
      for (String line : in(role, "ip", "-o", "link", "show", "type", "veth").split("\n")) {
        int colon = line.indexOf(": ");
        if (colon < 0) {
          continue;
        }
        String name = line.substring(colon + 2, line.indexOf(':', colon + 2));
        int at = name.indexOf('@');
        List<String> cmd = new ArrayList<>(List.of("ethtool", "-K", at < 0 ? name : name.substring(0, at)));
        cmd.addAll(List.of(settings));
        in(role, cmd.toArray(String[]::new));
      }
    }
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
        // IPv6 answers neighbor solicitations only for addresses of the interface they arrive on
        in(s, "ip", "addr", "replace", VIP6 + "/128", "dev", "lo");
      } else {
        tryIn(s, "ip", "addr", "del", VIP + "/32", "dev", "lo");
        tryIn(s, "ip", "addr", "del", VIP6 + "/128", "dev", "lo");
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
    Path status = launchDatapath(args);
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

  /** Starts {@code lb datapath} in the balancer's namespace with a status file, without waiting; returns the status file. */
  Path launchDatapath(String... args) throws IOException, InterruptedException {
    stopDatapath();
    Path status = dir.resolve("datapath.status");
    Files.deleteIfExists(status);
    List<String> all = new ArrayList<>(List.of("datapath", "--status-file", status.toString(), "--check-interval", "200ms",
        "--stats-interval", "0"));
    all.addAll(List.of(args));
    datapathLog = dir.resolve("datapath-" + System.nanoTime() + ".log");
    datapath = java("lb", datapathLog, "io.github.lb4j.gateway.cli.Lb", List.of("-Xmx256m"), all.toArray(String[]::new));
    return status;
  }

  /** The running datapath process. */
  Process datapathProcess() {
    return datapath;
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

  /**
   * Runs {@code count} downloads (or uploads) of {@code bytes} from namespace {@code role} to the bulk
   * port of {@code host}, one after the other on new connections ({@link LabHttpClient#transfers}).
   */
  Load transfers(String role, boolean download, String host, int bytes, int count, int timeoutMillis)
      throws IOException, InterruptedException {
    Path log = dir.resolve("transfer-" + System.nanoTime() + ".log");
    Process p = java(role, log, LabHttpClient.class.getName(), List.of("-Xmx128m"), download ? "download" : "upload", host,
        String.valueOf(BULK), String.valueOf(bytes), String.valueOf(count), String.valueOf(timeoutMillis));
    if (!p.waitFor(240, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("transfers did not finish: " + Files.readString(log));
    }
    processes.remove(p);
    String out = Files.readString(log);
    long ok = 0;
    long failed = 0;
    Map<String, Long> per = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    for (String line : out.split("\n")) {
      String[] f = line.split(" ", 4);
      switch (f[0]) {
        case "ok" -> ok = Long.parseLong(f[1]);
        case "failed" -> failed = Long.parseLong(f[1]);
        case "transfer" -> {
          if (f[2].equals("ok")) {
            per.merge(f[3], 1L, Long::sum);
          } else {
            errors.add(line);
          }
        }
        default -> { }
      }
    }
    return new Load(ok, failed, per, errors, out);
  }

  /** Pings {@code host} {@code count} times from namespace {@code role}; returns the replies received. */
  int ping(String role, String host, int count) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(role), "ping", "-n", "-c", String.valueOf(count), "-i", "0.2",
        "-W", "2", host));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) received").matcher(out);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  /** A tcpdump capture running in a namespace of the lab. */
  final class Capture implements AutoCloseable {
    private final Process process;
    private final Path file;
    private final Path log;

    private Capture(String role, String iface, String filter) throws IOException, InterruptedException {
      this.file = dir.resolve("capture-" + System.nanoTime() + ".pcap");
      this.log = dir.resolve("capture-" + System.nanoTime() + ".log");
      this.process = spawn(role, log, "tcpdump", "-U", "-n", "-e", "-i", iface, "-w", file.toString(), filter);
      awaitLine(log, "listening on", "tcpdump on " + role + " " + iface);
    }

    /**
     * Stops the capture and decodes it with tshark: one line per frame, the fields joined by ';'.
     *
     * @param fields tshark field names, for example {@code eth.dst}
     */
    List<String> decode(String... fields) throws IOException, InterruptedException {
      close();
      List<String> cmd = new ArrayList<>(List.of("tshark", "-r", file.toString(), "-o", "tcp.check_checksum:TRUE", "-o",
          "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=;"));
      for (String f : fields) {
        cmd.add("-e");
        cmd.add(f);
      }
      // tshark warns on stderr when run as root; only the field lines count.
      return Lab.run(cmd.toArray(String[]::new)).lines().filter(l -> !l.isBlank() && !l.startsWith("Running as")).toList();
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Starts tcpdump on an interface of a namespace, with a capture filter; decode with {@link Capture#decode}. */
  Capture capture(String role, String iface, String filter) throws IOException, InterruptedException {
    return new Capture(role, iface, filter);
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
