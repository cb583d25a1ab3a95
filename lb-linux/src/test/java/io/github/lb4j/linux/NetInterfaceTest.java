package io.github.lb4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.MacAddress;
import io.github.lb4j.testing.NamespaceLab;
import io.github.lb4j.testing.Requirements;
import io.github.lb4j.testing.Shell;
import io.github.lb4j.testing.linux.NetworkNamespace;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class NetInterfaceTest {

  @Test
  void loopback_hasItsIndexMtuAndFlags() {
    NetInterface lo = NetInterface.byName("lo");
    Requirements.requireCommands("comparing with ip link", "ip");
    String ip = Shell.run("ip", "-o", "link", "show", "dev", "lo");
    Matcher m = Pattern.compile("^(\\d+): lo: .* mtu (\\d+)").matcher(ip);
    assertThat(m.find()).as(ip).isTrue();
    assertThat(lo.index()).isEqualTo(Integer.parseInt(m.group(1)));
    assertThat(lo.mtu()).isEqualTo(Integer.parseInt(m.group(2)));
    assertThat(lo.flags() & (NetInterface.IFF_UP | NetInterface.IFF_LOOPBACK))
        .isEqualTo(NetInterface.IFF_UP | NetInterface.IFF_LOOPBACK);
    assertThat(lo.macAddress()).isEqualTo(MacAddress.ofLong(0));
  }

  @Test
  void veth_reportsTheMacMtuAndIndexIpShows_andFollowsAnMtuChange() {
    try (NamespaceLab lab = NamespaceLab.create("n")) {
      String ip = lab.exec(lab.client, "ip", "-o", "link", "show", "dev", lab.clientIf);
      Matcher m = Pattern.compile("^(\\d+): [^:]+: .* mtu (\\d+) .*link/ether ([0-9a-f:]{17})").matcher(ip);
      assertThat(m.find()).as(ip).isTrue();
      try (NetworkNamespace ns = NetworkNamespace.enter(lab.client)) {
        NetInterface veth = NetInterface.byName(lab.clientIf);
        assertThat(veth.index()).isEqualTo(Integer.parseInt(m.group(1)));
        assertThat(veth.mtu()).isEqualTo(Integer.parseInt(m.group(2)));
        assertThat(veth.macAddress()).isEqualTo(MacAddress.parse(m.group(3)));
        assertThat(veth.flags() & NetInterface.IFF_UP).isNotZero();
        lab.exec(lab.client, "ip", "link", "set", "dev", lab.clientIf, "mtu", "1400");
        assertThat(veth.mtu()).isEqualTo(1400);
        veth.promiscuous(true);
        assertThat(veth.flags() & NetInterface.IFF_PROMISC).isNotZero();
        veth.promiscuous(false);
        assertThat(veth.flags() & NetInterface.IFF_PROMISC).isZero();
      }
    }
  }
}
