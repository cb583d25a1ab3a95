package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Each pitfall counter counts its pitfall only, end to end: with the servers' gateway on the
 * balancer (the S6.1a fix) and one server silently dropping the clients' SYNs, the failed requests
 * are counted as {@code syn_unanswered}, not as the one-arm asymmetric return (S6.1); a server
 * calling the VIP is a hairpin (S6.2), not S6.1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PitfallCountersLabTest {

  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable();
    lab = Lab.create(Lab.Layout.ONE_ARM, 3);
    lab.serversGateway(Lab.LB);
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  private Path start() throws Exception {
    List<String> a = new ArrayList<>(List.of("--mode", "transparent", "--interface", "eth0", "--vip", Lab.VIP + ":" + Lab.HTTP,
        "--gateway", Lab.ROUTER, "--server-subnet", lab.serverSubnet()));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + lab.server(i) + ":" + Lab.HTTP);
    }
    return lab.startDatapath(3, a.toArray(String[]::new));
  }

  @Test
  void aSilentlyDroppingServer_isSynUnanswered_notS61() throws Exception {
    // s2 drops the client's SYNs (not the balancer's health checks)
    Path rules = lab.dir().resolve("drop.nft");
    Files.writeString(rules, "table inet lb4j_silent {\n  chain input {\n    type filter hook input priority 0; policy accept;\n"
        + "    ip saddr " + Lab.CLIENT + " tcp dport " + Lab.HTTP + " drop\n  }\n}\n");
    lab.in("s2", "nft", "-f", rules.toString());
    try {
      Path status = start();
      Lab.Load load = lab.load("c", Lab.VIP, 60, 6, 3500);
      lab.stopDatapath();
      assertThat(load.failed()).as("requests that reached s2: %s", load.raw()).isPositive();
      assertThat(load.ok()).isPositive();
      assertThat(Lab.counter(status, "counter.syn_unanswered")).isPositive();
      assertThat(Lab.counter(status, "counter.s6_1_asymmetric_return")).isZero();
    } finally {
      lab.in("s2", "nft", "delete", "table", "inet", "lb4j_silent");
    }
  }

  @Test
  void aServerCallingTheVip_isAHairpin_notS61() throws Exception {
    Path status = start();
    Lab.Load load = lab.load("s1", Lab.VIP, 16, 8, 3500);
    lab.stopDatapath();
    assertThat(load.ok()).as("hairpin without source NAT fails: %s", load.raw()).isLessThan(16);
    assertThat(Lab.counter(status, "counter.s6_2_hairpin")).isPositive();
    assertThat(Lab.counter(status, "counter.s6_1_asymmetric_return")).isZero();
  }
}
