package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * 802.1Q: the balancer's clients' side is a trunk. The router reaches it on VLAN 10, which the
 * balancer serves ({@code --client-vlan 10}); a host on VLAN 20 of the same trunk, with the same
 * subnet and a static neighbor entry for the VIP, is not served: its frames are counted and never
 * forwarded. What the balancer sends on the trunk carries VLAN 10 (tcpdump on the trunk, decoded by
 * tshark). Inline router mode, servers untagged on the other interface.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VlanTrunkTest {

  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable("tcpdump", "tshark");
    lab = Lab.createWithVlanTrunk(3);
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void theServedVlanIsBalanced_anotherVlanIsCountedAndNotForwarded_repliesLeaveTagged() throws Exception {
    List<String> a = new ArrayList<>(List.of("--mode", "router", "--client-interface", "eth0", "--client-vlan", String.valueOf(Lab.CLIENT_VLAN),
        "--server-interface", "eth1", "--vip", Lab.VIP + ":" + Lab.HTTP, "--gateway", Lab.ROUTER));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + lab.server(i) + ":" + Lab.HTTP);
    }
    Path status = lab.startDatapath(3, a.toArray(String[]::new));
    String lbMac = lab.in("lb", "cat", "/sys/class/net/eth0/address").strip();
    // x sits on VLAN 20 with the VIP's subnet and knows the balancer's MAC for it: its SYNs do reach
    // the trunk, tagged 20.
    lab.in("x", "ip", "neigh", "replace", Lab.VIP, "lladdr", lbMac, "dev", "eth0", "nud", "permanent");
    Lab.Capture trunk = lab.capture("vsw", "trunk", "ether src " + lbMac);

    Lab.Load served = lab.load("c", Lab.VIP, OneArmModesTest.REQUESTS, 8, 3000);
    Lab.Load other = lab.load("x", Lab.VIP, 8, 4, 1500);

    List<String> sent = trunk.decode("vlan.id");
    OneArmModesTest.assertBalanced(served);
    assertThat(other.ok()).as("requests from VLAN 20: %s", other.raw()).isZero();
    assertThat(sent).as("frames the balancer sent on the trunk").hasSizeGreaterThan(OneArmModesTest.REQUESTS)
        .allSatisfy(v -> assertThat(v).as("VLAN of a frame the balancer sent").isEqualTo(String.valueOf(Lab.CLIENT_VLAN)));
    lab.stopDatapath();
    assertThat(Lab.counter(status, "datapath.other_vlan")).as("frames of VLAN 20").isGreaterThanOrEqualTo(8);
    assertThat(Lab.counter(status, "counter.forwarded_requests")).isGreaterThanOrEqualTo(OneArmModesTest.REQUESTS * 3L);
  }
}
