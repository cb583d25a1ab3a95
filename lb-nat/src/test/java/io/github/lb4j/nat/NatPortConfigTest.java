package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.SessionCounters;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Ports, the neighbour table and the ICMP error rate in the configuration: values checked and named. */
class NatPortConfigTest {

  @Test
  void portsRefuseOutOfRangeValues_namingThem() {
    assertThatThrownBy(() -> new NatPort(70_000, LB_MAC, List.of(), 1500)).hasMessage("port index must be in 0..65535, was 70000");
    assertThatThrownBy(() -> new NatPort(0, LB_MAC, List.of(), 100)).hasMessage("port mtu must be in 576..65535, was 100");
    assertThatThrownBy(() -> new NatPort.Address(LB4, 33)).hasMessage("prefix length of 198.51.100.1 must be in 0..32, was 33");
    assertThatThrownBy(() -> new NatPort.Address(LB6, 129)).hasMessageContaining("must be in 0..128, was 129");
  }

  @Test
  void theIcmpErrorRate_isChecked() {
    NatConfig.Builder b = config(ForwardingMode.ROUTER, false, oneBackend(false));
    assertThatThrownBy(() -> b.icmpErrorRate(0, 5)).hasMessage("icmpErrorRate perSecond and burst must be in 1..1000000, were 0 and 5");
    assertThat(b.icmpErrorRate(10, 2).build().icmpErrorsPerSecond()).isEqualTo(10);
  }

  @Test
  void portsGiveTheBalancerItsMac_theVerdictNumbersAndTheServerSideMtu() {
    NatPort clients = new NatPort(3, MacAddress.parse("02:00:00:00:00:03"), List.of(new NatPort.Address(LB4, 24)), 9000);
    NatPort servers = new NatPort(7, LB_MAC, List.of(), 1400);
    HashScheduler scheduler = new HashScheduler(SessionCounters.create(), oneBackend(false));
    NatConfig c = NatConfig.builder(ForwardingMode.ROUTER, scheduler).vip(NatConfig.Vip.of(VIP4)).ports(clients, servers)
        .clientGateway(IpAddresses.parse("192.0.2.254")).neighbors(NeighborTable.of(Map.of())).build();
    assertThat(c.balancerMac()).isEqualTo(0x0200_0000_0003L);
    assertThat(c.clientPort()).isEqualTo(3);
    assertThat(c.serverPort()).isEqualTo(7);
    assertThat(c.mtu()).isEqualTo(1400);
    assertThat(c.clientGatewayAddress()).isEqualTo(IpAddresses.parse("192.0.2.254"));
  }

  @Test
  void routerWithoutAnyGateway_isRefused() {
    HashScheduler scheduler = new HashScheduler(SessionCounters.create(), oneBackend(false));
    assertThatThrownBy(() -> NatConfig.builder(ForwardingMode.ROUTER, scheduler).vip(NatConfig.Vip.of(VIP4))
        .balancer(LB_MAC, LB4, null).build())
        .hasMessage("mode router needs clientGateway(mac) or clientGateway(address): replies are routed to it");
  }
}
