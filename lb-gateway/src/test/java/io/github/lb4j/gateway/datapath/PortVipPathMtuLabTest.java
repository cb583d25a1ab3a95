package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A VIP with a service port ({@code --vip IP:PORT}) end to end, one-arm: ping to the VIP is
 * answered, and downloads of 300 kB pass a hop with MTU 1280 between the router and the client:
 * the router's "fragmentation needed" / "packet too big" goes to the VIP (the source of the
 * reply), the balancer passes it to the server that owns the flow with its quote translated, and
 * the server's path-MTU discovery shrinks its segments. IPv4 and IPv6, full NAT and DSR L2.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PortVipPathMtuLabTest {

  // clear of the lab servers' own HTTP (8080) and bulk (8081) ports
  private static final int BULK = 8090;
  private static final int BYTES = 300_000;
  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable();
    lab = Lab.create(Lab.Layout.ONE_ARM, 3);
    for (int i = 1; i <= 3; i++) {
      lab.java("s" + i, lab.dir().resolve("bulk-s" + i + ".log"), LabBulkServer.class.getName(), List.of("-Xmx48m"),
          "s" + i, "::", String.valueOf(BULK), String.valueOf(BYTES));
    }
    for (int i = 1; i <= 3; i++) {
      awaitLog(lab.dir().resolve("bulk-s" + i + ".log"), "listening");
    }
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
      lab.in("r", "ip", "link", "set", "eth0", "mtu", "1500");
      lab.vipOnServersLoopback(false);
      lab.serversGateway(Lab.ROUTER);
    }
  }

  private static void awaitLog(Path log, String text) {
    Awaitility.await(log + " says " + text).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> Files.exists(log) && Files.readString(log).contains(text));
  }

  private Path start(String mode, boolean six, int port, String... more) throws Exception {
    List<String> a = new ArrayList<>(List.of("--mode", mode, "--interface", "eth0", "--vip",
        six ? "[" + Lab.VIP6 + "]:" + port : Lab.VIP + ":" + port, "--check", "tcp"));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + (six ? "[" + lab.server6(i) + "]" : lab.server(i)) + ":" + port);
    }
    a.addAll(List.of(more));
    return lab.startDatapath(3, a.toArray(String[]::new));
  }

  /** Downloads from the client's namespace with curl; returns "CODE SIZE" per download. */
  private List<String> downloads(String vip, boolean six, int count) throws Exception {
    List<String> results = new ArrayList<>();
    String url = "http://" + (six ? "[" + vip + "]" : vip) + ":" + BULK + "/";
    for (int i = 0; i < count; i++) {
      String out;
      try {
        out = lab.in("c", "curl", "-s", "-o", "/dev/null", "--max-time", "20", "-w", "%{http_code} %{size_download}", url);
      } catch (IllegalStateException e) {
        out = "failed: " + e.getMessage();
      }
      results.add(out.strip());
    }
    return results;
  }

  @Test
  void pingToAPortVip_isAnswered_ipv4AndIpv6() throws Exception {
    start("full-nat", false, Lab.HTTP, "--gateway", Lab.ROUTER, "--snat", Lab.SNAT);
    Path log = lab.dir().resolve("echo4.log");
    Process p = lab.java("c", log, LabIcmpEcho.class.getName(), List.of("-Xmx48m"), Lab.VIP, "3");
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.readString(log)).contains("echo 3 3");
    lab.stopDatapath();
    Path status = start("full-nat", true, Lab.HTTP, "--gateway", Lab.ROUTER6, "--snat", Lab.SNAT6);
    log = lab.dir().resolve("echo6.log");
    p = lab.java("c", log, LabIcmpEcho.class.getName(), List.of("-Xmx48m"), Lab.VIP6, "3");
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.readString(log)).contains("echo 3 3");
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.echo_replies")).isGreaterThanOrEqualTo(3);
  }

  @Test
  void fullNat_downloadsThroughAHopWithMtu1280_ipv4() throws Exception {
    lab.in("r", "ip", "link", "set", "eth0", "mtu", "1280");
    Path status = start("full-nat", false, BULK, "--gateway", Lab.ROUTER, "--snat", Lab.SNAT);
    assertThat(downloads(Lab.VIP, false, 3)).containsOnly("200 " + BYTES);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.icmp_errors_translated")).isPositive();
  }

  @Test
  void fullNat_downloadsThroughAHopWithMtu1280_ipv6() throws Exception {
    lab.in("r", "ip", "link", "set", "eth0", "mtu", "1280");
    Path status = start("full-nat", true, BULK, "--gateway", Lab.ROUTER6, "--snat", Lab.SNAT6);
    assertThat(downloads(Lab.VIP6, true, 3)).containsOnly("200 " + BYTES);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.icmp_errors_translated")).isPositive();
  }

  @Test
  void dsrL2_downloadsThroughAHopWithMtu1280_theErrorReachesTheServerHoldingTheVip() throws Exception {
    lab.vipOnServersLoopback(true);
    lab.in("r", "ip", "link", "set", "eth0", "mtu", "1280");
    Path status = start("dsr-l2", false, BULK);
    assertThat(downloads(Lab.VIP, false, 3)).containsOnly("200 " + BYTES);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.icmp_errors_translated")).isPositive();
  }
}
