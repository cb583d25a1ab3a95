package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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
 * Transparent mode inline (seed S5.1, S4.2): the balancer is a bump in the wire between the router
 * and the servers' switch, one IP network on both sides, the servers' gateway the router. It
 * balances what is addressed to the VIP, rewrites the replies that pass it back to the VIP with the
 * MAC addresses unchanged, and bridges everything else (ARP and neighbor discovery between router
 * and servers, the servers' own traffic) unchanged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BridgeModesTest {

  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable("ping");
    lab = Lab.create(Lab.Layout.BRIDGE, 3);
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
    }
  }

  Path start(Lab.Family f) throws Exception {
    if (f == Lab.Family.IPV6) {
      Lab.assumeIpv6();
    }
    List<String> a = new ArrayList<>(List.of("--mode", "transparent", "--client-interface", "eth0", "--server-interface", "eth1",
        "--vip", f.endpoint(lab.vip(f), Lab.HTTP)));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + f.endpoint(lab.server(f, i), Lab.HTTP));
    }
    return lab.startDatapath(3, a.toArray(String[]::new));
  }

  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void transparentInline_balancesEveryRequest_andBridgesTheRest_S5_1(Lab.Family f) throws Exception {
    // Nothing passes a stopped bridge: the servers cannot even reach their gateway.
    assertThat(lab.ping("s1", lab.router(f), 1)).as("ping through a balancer that is not running").isZero();
    Path status = start(f);

    Lab.Load load = lab.load("c", lab.vip(f), OneArmModesTest.REQUESTS, 8, 3000);

    OneArmModesTest.assertBalanced(load);
    assertThat(lab.ping("s2", lab.router(f), 3)).as("the servers' own traffic to their gateway, bridged").isEqualTo(3);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.forwarded_requests")).isGreaterThanOrEqualTo(OneArmModesTest.REQUESTS * 3L);
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(OneArmModesTest.REQUESTS * 2L);
    assertThat(Lab.counter(status, "datapath.bridged")).isPositive();
  }

  @Test
  void aBackendStoppedBehindTheBridge_isMarkedDown() throws Exception {
    Path status = start(Lab.Family.IPV4);
    lab.killServer(3);
    try {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).pollInterval(java.time.Duration.ofMillis(100))
          .until(() -> Lab.status(status).getOrDefault("backend.s3", "").contains("DOWN"));

      Lab.Load load = lab.load("c", Lab.VIP, 300, 8, 3000);

      assertThat(load.failed()).as("errors %s", load.errors()).isZero();
      assertThat(load.of("s3")).isZero();
    } finally {
      lab.stopDatapath();
      lab.restartStoppedServers();
    }
  }
}
