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
 * The inline layout end to end: the balancer sits between the clients' network (behind the router)
 * and the servers' network, on two interfaces; the servers' default gateway is the balancer. Each
 * test sends 1,000 real HTTP requests from the client's namespace to the VIP and checks every
 * response and the share of each server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InlineModesTest {

  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable();
    lab = Lab.create(Lab.Layout.INLINE, 3);
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
      lab.in("r", "ip", "neigh", "flush", "all");
    }
  }

  Path start(String mode, String... more) throws Exception {
    List<String> a = new ArrayList<>(List.of("--mode", mode, "--client-interface", "eth0", "--server-interface", "eth1",
        "--vip", Lab.VIP + ":" + Lab.HTTP, "--gateway", Lab.ROUTER));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + lab.server(i) + ":" + Lab.HTTP);
    }
    a.addAll(List.of(more));
    return lab.startDatapath(3, a.toArray(String[]::new));
  }

  @Test
  void router_balancesEveryRequestAcrossTwoNetworks_S5_2() throws Exception {
    Path status = start("router");

    Lab.Load load = lab.load("c", Lab.VIP, OneArmModesTest.REQUESTS, 8, 3000);

    OneArmModesTest.assertBalanced(load);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.forwarded_requests")).isGreaterThanOrEqualTo(OneArmModesTest.REQUESTS * 3L);
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(OneArmModesTest.REQUESTS * 2L);
    assertThat(Lab.counter(status, "counter.arp_replies")).isPositive();
  }

  @Test
  void fullNat_balancesEveryRequestWithTheSnatAddressOnTheServersSide_S6_1b() throws Exception {
    lab.serversGateway(lab.server(3).replace(".13", ".254"));
    try {
      Path status = start("full-nat", "--snat", "198.51.100.3");

      Lab.Load load = lab.load("c", Lab.VIP, OneArmModesTest.REQUESTS, 8, 3000);

      OneArmModesTest.assertBalanced(load);
      lab.stopDatapath();
      assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(OneArmModesTest.REQUESTS * 2L);
    } finally {
      lab.serversGateway(Lab.INLINE_LB_SERVER_SIDE);
    }
  }
}
