package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every one-arm forwarding mode end to end (seed S5, S6), over IPv4 and IPv6: the balancer hangs off
 * the servers' bridge, the router is the L3 gateway, three real HTTP servers answer; each test sends
 * 1,000 real HTTP requests from the client's namespace to the VIP, each on a new connection, and
 * checks every response and the share of each server. The interfaces keep veth's default offloads.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OneArmModesTest {

  static final int REQUESTS = 1000;
  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable();
    lab = Lab.create(Lab.Layout.ONE_ARM, 3);
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  @AfterEach
  void reset() throws Exception {
    if (lab != null) {
      lab.stopDatapath();
      lab.restartStoppedServers();
      lab.resetServersGateways();
      lab.vipOnServersLoopback(false);
      for (int i = 1; i <= 3; i++) {
        lab.in("s" + i, "nft", "flush", "ruleset");
      }
    }
  }

  List<String> datapathArgs(Lab.Family f, String mode, String... more) {
    List<String> a = new ArrayList<>(List.of("--mode", mode, "--interface", "eth0", "--vip", f.endpoint(lab.vip(f), Lab.HTTP),
        "--server-subnet", lab.serverSubnet(f)));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      // IPv6 servers are given in full (2001:0db8:0002:0000:...): the status prints them compressed
      a.add("s" + i + "=" + f.endpoint(f == Lab.Family.IPV6 ? expanded(lab.server(f, i)) : lab.server(f, i), Lab.HTTP));
    }
    a.addAll(List.of(more));
    return a;
  }

  /** An IPv6 address with all eight groups of four hex digits. */
  static String expanded(String v6) {
    try {
      byte[] b = java.net.InetAddress.getByName(v6).getAddress();
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 16; i += 2) {
        sb.append(i == 0 ? "" : ":").append(String.format("%02x%02x", b[i], b[i + 1]));
      }
      return sb.toString();
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  Path start(String mode, String... more) throws Exception {
    return start(Lab.Family.IPV4, mode, more);
  }

  Path start(Lab.Family f, String mode, String... more) throws Exception {
    if (f == Lab.Family.IPV6) {
      Lab.assumeIpv6();
    }
    return lab.startDatapath(3, datapathArgs(f, mode, more).toArray(String[]::new));
  }

  static void assertBalanced(Lab.Load load) {
    assertThat(load.failed()).as("failed requests; errors %s", load.errors()).isZero();
    assertThat(load.ok()).isEqualTo(REQUESTS);
    for (String s : List.of("s1", "s2", "s3")) {
      // Maglev over random client ports: each of three equal servers gets about a third.
      assertThat(load.of(s)).as("requests answered by %s in %s", s, load.perServer()).isBetween(200L, 470L);
    }
  }

  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void transparent_withTheServersGatewayOnTheBalancer_balancesEveryRequest_S5_1_S6_1a(Lab.Family f) throws Exception {
    lab.serversGateway(f, lab.balancerServerSide(f));
    Path status = start(f, "transparent", "--gateway", lab.router(f));

    Lab.Load load = lab.load("c", lab.vip(f), REQUESTS, 8, 3000);

    assertBalanced(load);
    // SIGTERM: a graceful stop that prints the final status
    assertThat(lab.stopDatapath()).contains("lb datapath: stopped", "counter.forwarded_requests ", "drop.no_flow ");
    assertThat(Lab.counter(status, "counter.forwarded_requests")).isGreaterThanOrEqualTo(REQUESTS * 3L);
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(REQUESTS * 2L);
  }

  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void fullNat_withTheServersGatewayOnTheRouter_balancesEveryRequest_S6_1b(Lab.Family f) throws Exception {
    Path status = start(f, "full-nat", "--gateway", lab.router(f), "--snat", lab.snat(f));

    Lab.Load load = lab.load("c", lab.vip(f), REQUESTS, 8, 3000);

    assertBalanced(load);
    String stopped = lab.stopDatapath();
    // endpoints as RFC 5952 writes them, IPv6 in brackets: [2001:db8:2::11]:8080
    assertThat(stopped).contains("vip " + f.endpoint(lab.vip(f), Lab.HTTP) + "\n",
        "backend s1 " + f.endpoint(lab.server(f, 1), Lab.HTTP) + " UP ");
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(REQUESTS * 2L);
  }

  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void dsrL2_withTheVipOnTheServersLoopback_repliesGoDirectlyToTheClient_S5_3a_S6_1c(Lab.Family f) throws Exception {
    lab.vipOnServersLoopback(true);
    Path status = start(f, "dsr-l2");

    Lab.Load load = lab.load("c", lab.vip(f), REQUESTS, 8, 3000);

    assertBalanced(load);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.forwarded_requests")).isGreaterThanOrEqualTo(REQUESTS * 3L);
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isZero();
  }

  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void dsrDscp_withTheVipRestoredByAStatelessNftRule_balancesEveryRequest_S5_3b(Lab.Family f) throws Exception {
    lab.vipOnServersLoopback(true);
    // Stateless restore before conntrack (priority raw): packets tagged with the VIP's DSCP get
    // the VIP back as destination; nft fixes the TCP checksum for the pseudo-header change. The
    // server's socket then answers from the VIP, directly to the client.
    String family = f == Lab.Family.IPV4 ? "ip" : "ip6";
    lab.nftOnServers("""
        table %1$s lb4j_dscp {
          chain restore {
            type filter hook prerouting priority -300; policy accept;
            %1$s dscp 10 %1$s daddr set %2$s
          }
        }
        """.formatted(family, lab.vip(f)));
    Path status = start(f, "dsr-dscp", "--dscp", "10");

    Lab.Load load = lab.load("c", lab.vip(f), REQUESTS, 8, 3000);

    assertBalanced(load);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isZero();
  }

  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void dsrIpip_encapsulatesRequestsAsTsharkDecodesThem(Lab.Family f) throws Exception {
    Lab.assumeAvailable("tcpdump", "tshark");
    // This kernel has no ipip or ip6_tunnel module, so the servers cannot decapsulate: the frames are
    // captured on server s1 and decoded by tshark instead, outer and inner headers as the balancer wrote them.
    start(f, "dsr-ipip");
    boolean v4 = f == Lab.Family.IPV4;
    Lab.Capture capture = lab.capture("s1", "eth0", v4 ? "ip proto 4" : "ip6 proto 41");

    lab.load("c", lab.vip(f), 24, 8, 1500);

    List<String> lines = v4
        ? capture.decode("ip.src", "ip.dst", "ip.proto", "tcp.dstport", "tcp.checksum.status", "ip.checksum.status")
        : capture.decode("ipv6.src", "ipv6.dst", "ipv6.nxt", "tcp.dstport", "tcp.checksum.status");
    lines = lines.stream().filter(l -> Character.isDigit(l.charAt(0))).toList();
    assertThat(lines).as("IP-in-IP frames captured on s1").isNotEmpty();
    for (String line : lines) {
      if (v4) {
        // outer 192.0.2.2 -> 192.0.2.11 protocol 4; inner client -> VIP, TCP to 8080; the TCP and
        // both IPv4 header checksums verify (tshark status 1 = good)
        assertThat(line).startsWith(Lab.LB + "," + Lab.CLIENT + ";" + lab.server(1) + "," + Lab.VIP + ";4,6;8080;");
        assertThat(line).endsWith(";1;1,1");
      } else {
        // outer 2001:db8:2::2 -> 2001:db8:2::11 next header 41 (RFC 2473); inner client -> VIP
        assertThat(line).isEqualTo(Lab.LB6 + "," + Lab.CLIENT6 + ";" + lab.server6(1) + "," + Lab.VIP6 + ";41,6;8080;1");
      }
    }
  }

  @Test
  void pitfall_S6_1_oneArmDnatWithTheGatewayOnTheRouterFails_andTheDatapathNamesIt() throws Exception {
    Path status = start("transparent", "--gateway", Lab.ROUTER);

    Lab.Load broken = lab.load("c", Lab.VIP, 16, 8, 2500);

    assertThat(broken.ok()).as("requests answered despite S6.1: %s", broken.raw()).isZero();
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.s6_1_asymmetric_return")).isPositive();

    lab.serversGateway(Lab.LB);
    start("transparent", "--gateway", Lab.ROUTER);
    Lab.Load fixed = lab.load("c", Lab.VIP, 300, 8, 3000);
    assertThat(fixed.ok()).as("S6.1a fix: %s", fixed.raw()).isEqualTo(300);
  }

  @Test
  void pitfall_S6_2_aServerCallingTheVipFailsWithoutSourceNat_andWorksWithIt() throws Exception {
    lab.serversGateway(Lab.LB);
    Path status = start("transparent", "--gateway", Lab.ROUTER);

    Lab.Load broken = lab.load("s1", Lab.VIP, 16, 8, 2000);

    assertThat(broken.ok()).as("hairpin requests answered without SNAT: %s", broken.raw()).isZero();
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.s6_2_hairpin")).isPositive();

    status = start("transparent", "--gateway", Lab.ROUTER, "--hairpin-snat", "--snat", Lab.SNAT);
    Lab.Load fixed = lab.load("s1", Lab.VIP, REQUESTS, 8, 3000);
    assertBalanced(fixed);
    lab.stopDatapath();
    // Every hairpin flow was source-NATed. A connection that reuses the source port of an ended flow
    // still in the table is a new flow (and counted again); one that reuses a live flow's is that flow.
    long hairpins = Lab.counter(status, "counter.s6_2_hairpin");
    assertThat(Lab.counter(status, "counter.hairpin_snat")).isEqualTo(hairpins);
    assertThat(hairpins).isGreaterThan(REQUESTS * 9L / 10);
  }

  @Test
  void failover_aStoppedServerIsMarkedDown_newRequestsGoToTheOthers_survivingFlowsContinue() throws Exception {
    Path status = start("full-nat", "--gateway", Lab.ROUTER, "--snat", Lab.SNAT, "--fall", "2");
    Path keepLog = lab.dir().resolve("keepalive.log");
    // 36 long connections, one request each 100 ms for 6 s: some land on each server (Maglev over
    // random client ports leaves one without any about once in 700,000 runs: 3 x (2/3)^36)
    Process keep = lab.java("c", keepLog, LabHttpClient.class.getName(), List.of("-Xmx64m"),
        "keepalive", Lab.VIP, String.valueOf(Lab.HTTP), String.valueOf(KEEPALIVE), "60", "100");
    // every connection established and answered before the server stops
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> firstAnswers(keepLog).size() == KEEPALIVE);
    assertThat(firstAnswers(keepLog)).as("servers of the long connections").contains("s1", "s2", "s3");

    lab.killServer(2);
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
        .until(() -> Lab.status(status).getOrDefault("backend.s2", "").contains("DOWN"));
    assertThat(Lab.status(status).get("eligible")).isEqualTo("2");

    Lab.Load after = lab.load("c", Lab.VIP, REQUESTS, 8, 3000);
    assertThat(after.failed()).as("errors %s", after.errors()).isZero();
    assertThat(after.of("s2")).isZero();
    assertThat(after.of("s1") + after.of("s3")).isEqualTo(REQUESTS);

    assertThat(keep.waitFor(60, TimeUnit.SECONDS)).isTrue();
    List<String> conns = Files.readAllLines(keepLog).stream().filter(l -> l.startsWith("conn ")).toList();
    assertThat(conns).hasSize(KEEPALIVE);
    lab.stopDatapath();
    String diagnosis = String.join("\n", conns) + "\n" + Files.readString(status);
    long survivors = 0;
    for (String c : conns) {
      String[] f = c.split(" ");
      if (!f[2].equals("s2")) {
        survivors++;
        assertThat(Integer.parseInt(f[4])).as("flow to a surviving server disturbed: %s\n%s", c, diagnosis).isZero();
        assertThat(Integer.parseInt(f[3])).isEqualTo(60);
      }
    }
    assertThat(survivors).isPositive();
  }

  static final int KEEPALIVE = 36;

  /** The server of each long connection that had its first answer, from the keep-alive client's log. */
  static List<String> firstAnswers(Path keepLog) throws java.io.IOException {
    if (!Files.exists(keepLog)) {
      return List.of();
    }
    return Files.readAllLines(keepLog).stream().filter(l -> l.startsWith("first ")).map(l -> l.split(" ")[2]).toList();
  }

  @Test
  void sigtermWhileTheGatewayIsSilent_endsTheStartWithOneClearLine() throws Exception {
    Lab.assumeAvailable("tcpdump");
    List<String> a = datapathArgs(Lab.Family.IPV4, "full-nat", "--gateway", "192.0.2.250", "--snat", Lab.SNAT,
        "--resolve-timeout", "60s");
    // The start is under way once its ARP requests for the silent gateway reach the bridge.
    Path arpLog = lab.dir().resolve("arp.log");
    Process arp = lab.spawn("r", arpLog, "tcpdump", "-c", "1", "-n", "-i", "plb", "arp and dst host 192.0.2.250");
    lab.launchDatapath(a.toArray(String[]::new));
    assertThat(arp.waitFor(30, TimeUnit.SECONDS)).as("an ARP request for the gateway: %s", Files.readString(arpLog)).isTrue();

    Process datapath = lab.datapathProcess();
    datapath.destroy();

    assertThat(datapath.waitFor(15, TimeUnit.SECONDS)).as("exits soon after SIGTERM").isTrue();
    assertThat(lab.datapathLog().lines().filter(l -> l.startsWith("lb datapath")).toList()).containsExactly(
        "lb datapath: stopped while waiting for --gateway 192.0.2.250 to answer ARP on eth0; stopped before forwarding anything");
  }
}
