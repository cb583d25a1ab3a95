package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.nat.flow.FlowTableConfig;
import org.junit.jupiter.api.Test;

/** Bad configurations are refused with a message naming the field and value. */
class NatConfigTest {

  private static NatConfig.Builder bare(ForwardingMode mode) {
    SessionCounters sessions = SessionCounters.create();
    return NatConfig.builder(mode, new HashScheduler(sessions, oneBackend(false)));
  }

  @Test
  void missingPieces_areNamedPerMode() {
    assertThatThrownBy(() -> bare(ForwardingMode.DSR_L2).balancer(LB_MAC, LB4, null).build())
        .hasMessageContaining("vip");
    assertThatThrownBy(() -> bare(ForwardingMode.DSR_L2).vip(NatConfig.Vip.of(VIP4)).build())
        .hasMessageContaining("balancer mac");
    assertThatThrownBy(() -> bare(ForwardingMode.ROUTER).vip(NatConfig.Vip.of(VIP4)).balancer(LB_MAC, LB4, null).build())
        .hasMessageContaining("clientGateway");
    assertThatThrownBy(() -> bare(ForwardingMode.FULL_NAT).vip(NatConfig.Vip.of(VIP4)).balancer(LB_MAC, LB4, null)
        .clientGateway(GW_MAC).build()).hasMessageContaining("snatAddress");
    assertThatThrownBy(() -> bare(ForwardingMode.DSR_IPIP).vip(NatConfig.Vip.of(VIP6)).balancer(LB_MAC, LB4, null).build())
        .hasMessageContaining("dsr-ipip").hasMessageContaining("2001:db8:1");
    assertThatThrownBy(() -> bare(ForwardingMode.DSR_DSCP).vip(NatConfig.Vip.of(VIP4)).balancer(LB_MAC, LB4, null).build())
        .hasMessageContaining("dscp").hasMessageContaining("203.0.113.10");
  }

  @Test
  void outOfRangeValues_areNamed() {
    assertThatThrownBy(() -> new NatConfig.Vip(VIP4, 6, 70_000, -1)).hasMessageContaining("port").hasMessageContaining("70000");
    assertThatThrownBy(() -> new NatConfig.Vip(VIP4, 6, 80, 64)).hasMessageContaining("dscp").hasMessageContaining("64");
    assertThatThrownBy(() -> bare(ForwardingMode.FULL_NAT).snatPorts(5000, 4000)).hasMessageContaining("5000..4000");
    assertThatThrownBy(() -> bare(ForwardingMode.DSR_IPIP).mtu(100)).hasMessageContaining("mtu").hasMessageContaining("100");
    assertThatThrownBy(() -> bare(ForwardingMode.DSR_L2).balancer(LB_MAC, LB6, null)).hasMessageContaining("ipv4");
    assertThatThrownBy(() -> bare(ForwardingMode.DSR_L2).serverSubnet(RIP4, 33)).hasMessageContaining("33");
    assertThatThrownBy(() -> IpAddresses.parse("example.com")).hasMessageContaining("example.com");
    assertThatThrownBy(() -> bare(ForwardingMode.DSR_L2)
        .flowTable(FlowTableConfig.builder(16, SessionCounters.create()).build())).hasMessageContaining("SessionCounters");
  }

  @Test
  void aCompleteConfiguration_buildsEveryMode() {
    for (ForwardingMode mode : ForwardingMode.values()) {
      PacketTranslator t = translator(mode, false);
      assertThat(t.mode()).isEqualTo(mode);
      assertThat(t.config().vips()).hasSize(1);
    }
  }
}
