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
    assertThat(Lab.counter(status, "counter.forwarded_requests")).isGreaterThanOrEqualTo(REQUESTS);
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(REQUESTS);
  }

  @Test
  void fullNat_withTheServersGatewayOnTheRouter_balancesEveryRequest_S6_1b() throws Exception {
    Path status = start("full-nat", "--gateway", Lab.ROUTER, "--snat", Lab.SNAT);

    Lab.Load load = lab.load("c", Lab.VIP, REQUESTS, 8, 3000);

    assertBalanced(load);
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(REQUESTS);
  }
}
