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
 * The translator's own link-layer choices on a real inline balancer: router mode answers a client
 * on the clients' network at the client's own MAC (resolved by ARP on demand), not through the
 * gateway. The proof: the lab's on-link client {@code o} sits on the router-balancer network, and
 * the router is told by nft to drop everything it would forward to that client, so a reply detouring
 * through the router never arrives.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LinkLayerLabTest {

  private static final String ON_LINK_CLIENT = Lab.ON_LINK_CLIENT;
  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable();
    lab = Lab.create(Lab.Layout.INLINE, 3);
    Path rules = lab.dir().resolve("no-forward-to-c2.nft");
    Files.writeString(rules, "table ip lb4j_detour {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n"
        + "    ip daddr " + ON_LINK_CLIENT + " counter drop\n  }\n}\n");
    lab.in("r", "nft", "-f", rules.toString());
  }

  @AfterAll
  void down() throws Exception {
    if (lab != null) {
      lab.stopDatapath();
      lab.close();
    }
  }

  @Test
  void router_answersAnOnLinkClientDirectly_notThroughTheGateway_S5_2() throws Exception {
    List<String> a = new ArrayList<>(List.of("--mode", "router", "--client-interface", "eth0", "--server-interface", "eth1",
        "--vip", Lab.VIP + ":" + Lab.HTTP, "--gateway", Lab.ROUTER));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + lab.server(i) + ":" + Lab.HTTP);
    }
    Path status = lab.startDatapath(3, a.toArray(String[]::new));

    Lab.Load onLink = lab.load("o", Lab.VIP, 100, 4, 5000);
    Lab.Load remote = lab.load("c", Lab.VIP, 100, 4, 5000);

    assertThat(onLink.failed()).as("on-link client: %s", onLink.raw()).isZero();
    assertThat(onLink.ok()).isEqualTo(100);
    assertThat(remote.ok()).as("client behind the router: %s", remote.raw()).isEqualTo(100);
    String detour = lab.in("r", "nft", "list", "table", "ip", "lb4j_detour");
    assertThat(detour).as("nothing for the on-link client detoured through the router").contains("counter packets 0 ");
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.neighbor_resolutions_requested")).isPositive();
  }
}
