package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The inline layout end to end, over IPv4 and IPv6: the balancer sits between the clients' network
 * (behind the router, with one client on-link) and the servers' network, on two interfaces; the
 * servers' default gateway is the balancer. Each test sends 1,000 real HTTP requests to the VIP and
 * checks every response and the share of each server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InlineModesTest {

  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable("tcpdump", "tshark");
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
      lab.resetServersGateways();
      lab.pathMtuHop(false);
      lab.in("r", "ip", "neigh", "flush", "all");
    }
  }

  Path start(Lab.Family f, String mode, String... more) throws Exception {
    return start(f, Lab.HTTP, mode, more);
  }

  Path start(Lab.Family f, int port, String mode, String... more) throws Exception {
    if (f == Lab.Family.IPV6) {
      Lab.assumeIpv6();
    }
    List<String> a = new ArrayList<>(List.of("--mode", mode, "--client-interface", "eth0", "--server-interface", "eth1",
        "--vip", f.endpoint(lab.vip(f), port), "--gateway", lab.router(f)));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + f.endpoint(lab.server(f, i), port));
    }
    a.addAll(List.of(more));
    return lab.startDatapath(3, a.toArray(String[]::new));
  }

  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void router_balancesEveryRequestAcrossTwoNetworks_S5_2(Lab.Family f) throws Exception {
    Path status = start(f, "router");

    Lab.Load load = lab.load("c", lab.vip(f), OneArmModesTest.REQUESTS, 8, 3000);

    OneArmModesTest.assertBalanced(load);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.forwarded_requests")).isGreaterThanOrEqualTo(OneArmModesTest.REQUESTS * 3L);
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(OneArmModesTest.REQUESTS * 2L);
    assertThat(Lab.counter(status, f == Lab.Family.IPV4 ? "counter.arp_replies" : "counter.neighbor_advertisements")).isPositive();
  }

  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void fullNat_balancesEveryRequestWithTheSnatAddressOnTheServersSide_S6_1b(Lab.Family f) throws Exception {
    // The servers' gateway points nowhere useful: only source NAT brings the replies back.
    lab.serversGateway(f, f == Lab.Family.IPV4 ? "198.51.100.254" : "2001:db8:3::254");
    Path status = start(f, "full-nat", "--snat", f == Lab.Family.IPV4 ? "198.51.100.3" : "2001:db8:3::3");

    Lab.Load load = lab.load("c", lab.vip(f), OneArmModesTest.REQUESTS, 8, 3000);

    OneArmModesTest.assertBalanced(load);
    lab.stopDatapath();
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(OneArmModesTest.REQUESTS * 2L);
  }

  /**
   * Path-MTU discovery through a hop with MTU 1280 between the router and the client (see {@link
   * OneArmNetworkTest}): router mode decrements the TTL of the servers' segments and the router's
   * error about them comes back to the VIP, to be handed to the server of the flow.
   */
  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void router_pathMtuDiscoveryThroughAHopWithMtu1280_everyDownloadCompletes(Lab.Family f) throws Exception {
    lab.pathMtuHop(true);
    Path status = start(f, Lab.BULK, "router");

    Lab.Load downloads = lab.transfers("c", true, lab.vip(f), 300_000, 3, 10_000);

    lab.stopDatapath();
    assertThat(downloads.ok()).as("downloads of 300 kB through the 1280 hop: %s%nstatus:%n%s", downloads.raw(),
        java.nio.file.Files.readString(status)).isEqualTo(3);
    assertThat(Lab.counter(status, "counter.icmp_errors_translated")).isPositive();
  }

  /**
   * S5.2 with a client on the balancer's own client-side network: the balancer must send its
   * replies to that client's MAC, not to the router, which would hand them back on the network they
   * came from and tell the sender so with an ICMP redirect. Captured on the router's port to the
   * balancer with tcpdump and decoded by tshark.
   */
  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void router_repliesToAnOnLinkClientGoDirectly_noRedirectFromTheRouter(Lab.Family f) throws Exception {
    start(f, "router");
    boolean v4 = f == Lab.Family.IPV4;
    String client = lab.onLinkClient(f);
    // Everything the balancer sends to the on-link client that reaches the router, and every redirect the router sends.
    Lab.Capture toRouter = lab.capture("r", "plb", v4
        ? "(ip dst " + client + " and ether dst " + mac("r", "br1") + ") or (icmp and icmp[icmptype] == 5)"
        : "(ip6 dst " + client + " and ether dst " + mac("r", "br1") + ") or (icmp6 and ip6[40] == 137)");

    Lab.Load load = lab.load("o", lab.vip(f), 300, 8, 3000);

    List<String> seen = toRouter.decode("frame.number", "eth.dst", "ip.dst", "ipv6.dst", "icmp.type", "icmpv6.type");
    assertThat(load.failed()).as("errors %s", load.errors()).isZero();
    assertThat(load.ok()).isEqualTo(300);
    assertThat(seen).as("replies detoured through the router, or redirects it sent").isEmpty();
  }

  private String mac(String role, String iface) throws Exception {
    String out = lab.in(role, "cat", "/sys/class/net/" + iface + "/address");
    return out.strip();
  }
}
