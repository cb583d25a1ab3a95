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

/**
 * Every one-arm forwarding mode end to end (seed S5, S6): the balancer hangs off the servers'
 * bridge, the router is the L3 gateway, three real HTTP servers answer; each test sends 1,000 real
 * HTTP requests from the client's namespace to the VIP, each on a new connection, and checks every
 * response and the share of each server.
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
      lab.serversGateway(Lab.ROUTER);
      lab.vipOnServersLoopback(false);
      for (int i = 1; i <= 3; i++) {
        lab.in("s" + i, "nft", "flush", "ruleset");
      }
    }
  }

  List<String> datapathArgs(String mode, String... more) {
    List<String> a = new ArrayList<>(List.of("--mode", mode, "--interface", "eth0", "--vip", Lab.VIP + ":" + Lab.HTTP,
        "--server-subnet", lab.serverSubnet()));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + lab.server(i) + ":" + Lab.HTTP);
    }
    a.addAll(List.of(more));
    return a;
  }

  Path start(String mode, String... more) throws Exception {
    return lab.startDatapath(3, datapathArgs(mode, more).toArray(String[]::new));
  }

  static void assertBalanced(Lab.Load load) {
    assertThat(load.failed()).as("failed requests; errors %s", load.errors()).isZero();
    assertThat(load.ok()).isEqualTo(REQUESTS);
    for (String s : List.of("s1", "s2", "s3")) {
      // Maglev over random client ports: each of three equal servers gets about a third.
      assertThat(load.of(s)).as("requests answered by %s in %s", s, load.perServer()).isBetween(200L, 470L);
    }
  }

  @Test
  void transparent_withTheServersGatewayOnTheBalancer_balancesEveryRequest_S5_1_S6_1a() throws Exception {
    lab.serversGateway(Lab.LB);
    Path status = start("transparent", "--gateway", Lab.ROUTER);

    Lab.Load load = lab.load("c", Lab.VIP, REQUESTS, 8, 3000);

    assertBalanced(load);
    // SIGTERM: a graceful stop that prints the final status
    assertThat(lab.stopDatapath()).contains("lb datapath: stopped", "counter.forwarded_requests ", "drop.no_flow ");
    assertThat(Lab.counter(status, "counter.forwarded_requests")).isGreaterThanOrEqualTo(REQUESTS * 3L);
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(REQUESTS * 2L);
  }

  @Test
  void fullNat_withTheServersGatewayOnTheRouter_balancesEveryRequest_S6_1b() throws Exception {
    Path status = start("full-nat", "--gateway", Lab.ROUTER, "--snat", Lab.SNAT);

    Lab.Load load = lab.load("c", Lab.VIP, REQUESTS, 8, 3000);

    assertBalanced(load);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(REQUESTS * 2L);
  }

  @Test
  void dsrL2_withTheVipOnTheServersLoopback_repliesGoDirectlyToTheClient_S5_3a_S6_1c() throws Exception {
    lab.vipOnServersLoopback(true);
    Path status = start("dsr-l2");

    Lab.Load load = lab.load("c", Lab.VIP, REQUESTS, 8, 3000);

    assertBalanced(load);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.forwarded_requests")).isGreaterThanOrEqualTo(REQUESTS * 3L);
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isZero();
  }

  @Test
  void dsrDscp_withTheVipRestoredByAStatelessNftRule_balancesEveryRequest_S5_3b() throws Exception {
    lab.vipOnServersLoopback(true);
    // Stateless restore before conntrack (priority raw): packets tagged with the VIP's DSCP get
    // the VIP back as destination; nft fixes the TCP checksum for the pseudo-header change. The
    // server's socket then answers from the VIP, directly to the client.
    lab.nftOnServers("""
        table ip lb4j_dscp {
          chain restore {
            type filter hook prerouting priority -300; policy accept;
            ip dscp 10 ip daddr set %s
          }
        }
        """.formatted(Lab.VIP));
    Path status = start("dsr-dscp", "--dscp", "10");

    Lab.Load load = lab.load("c", Lab.VIP, REQUESTS, 8, 3000);

    assertBalanced(load);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isZero();
  }

  @Test
  void dsrIpip_encapsulatesRequestsAsTsharkDecodesThem() throws Exception {
    Lab.assumeAvailable("tcpdump", "tshark");
    // This kernel has no ipip module, so the servers cannot decapsulate: the frames are captured on
    // server s1 and decoded by tshark instead, outer and inner headers as the balancer wrote them.
    start("dsr-ipip");
    Path pcap = lab.dir().resolve("ipip.pcap");
    Path dumpLog = lab.dir().resolve("tcpdump.log");
    Process dump = lab.spawn("s1", dumpLog, "tcpdump", "-U", "-n", "-i", "eth0", "-w", pcap.toString(), "ip proto 4");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(dumpLog).contains("listening on"));

    lab.load("c", Lab.VIP, 24, 8, 1500);
    dump.destroy();
    dump.waitFor(10, TimeUnit.SECONDS);

    String decoded = Lab.run("tshark", "-r", pcap.toString(), "-T", "fields", "-E", "separator=;",
        "-e", "ip.src", "-e", "ip.dst", "-e", "ip.proto", "-e", "tcp.dstport", "-e", "tcp.checksum.status",
        "-e", "ip.checksum.status", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE");
    // tshark warns on stderr when run as root; only the field lines count.
    List<String> lines = decoded.lines().filter(l -> !l.isBlank() && Character.isDigit(l.charAt(0))).toList();
    assertThat(lines).as("IPIP frames captured on s1").isNotEmpty();
    for (String line : lines) {
      // outer 192.0.2.2 -> 192.0.2.11 protocol 4; inner client -> VIP, TCP to 8080; the TCP and
      // both IPv4 header checksums verify (tshark status 1 = good)
      assertThat(line).startsWith(Lab.LB + "," + Lab.CLIENT + ";" + lab.server(1) + "," + Lab.VIP + ";4,6;8080;");
      assertThat(line).endsWith(";1;1,1");
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
    assertThat(Lab.counter(status, "counter.hairpin_snat")).isGreaterThanOrEqualTo(REQUESTS);
  }

  @Test
  void failover_aStoppedServerIsMarkedDown_newRequestsGoToTheOthers_survivingFlowsContinue() throws Exception {
    Path status = start("full-nat", "--gateway", Lab.ROUTER, "--snat", Lab.SNAT, "--fall", "2");
    Path keepLog = lab.dir().resolve("keepalive.log");
    // 12 long connections, one request each 100 ms for 6 s: some land on each server.
    Process keep = lab.java("c", keepLog, LabHttpClient.class.getName(), List.of("-Xmx64m"),
        "keepalive", Lab.VIP, String.valueOf(Lab.HTTP), "12", "60", "100");
    Thread.sleep(1500);

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
    assertThat(conns).hasSize(12);
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

  @Test
  void fullNat_overIpv6_resolvesByNeighborDiscovery_andBalancesEveryRequest_S6_1b() throws Exception {
    List<String> a = new ArrayList<>(List.of("--mode", "full-nat", "--interface", "eth0", "--vip", "[" + Lab.VIP6 + "]:" + Lab.HTTP,
        "--gateway", Lab.ROUTER6, "--snat", Lab.SNAT6));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=[" + lab.server6(i) + "]:" + Lab.HTTP);
    }
    Path status = lab.startDatapath(3, a.toArray(String[]::new));

    Lab.Load load = lab.load("c", Lab.VIP6, REQUESTS, 8, 3000);

    assertBalanced(load);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.neighbor_advertisements")).isPositive();
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(REQUESTS * 2L);
  }
}
