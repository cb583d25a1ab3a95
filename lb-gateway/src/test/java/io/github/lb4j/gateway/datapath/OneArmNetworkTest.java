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
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a real network does to a VIP that serves one TCP port, one-arm: pings to it, ICMP errors
 * about its replies (path-MTU discovery through a hop with MTU 1280), IP fragments of its requests,
 * and the link-layer addresses of the replies a transparent balancer routes (S6.1a). Each test is
 * real traffic between the lab's namespaces; captures are tcpdump's, decoded by tshark.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OneArmNetworkTest {

  private static final int DOWNLOAD = 300_000;
  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable("ping", "tcpdump", "tshark");
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
      lab.resetServersGateways();
      lab.vipOnServersLoopback(false);
      for (int i = 1; i <= 3; i++) {
        lab.in("s" + i, "nft", "flush", "ruleset");
      }
      lab.pathMtuHop(false);
      lab.in("c", "sh", "-c", "echo 0 > /proc/sys/net/ipv4/ip_no_pmtu_disc");
      lab.in("r", "ip", "link", "set", "br0", "mtu", "1500");
    }
  }

  private Path start(Lab.Family f, int port, String mode, String... more) throws Exception {
    if (f == Lab.Family.IPV6) {
      Lab.assumeIpv6();
    }
    List<String> a = new ArrayList<>(List.of("--mode", mode, "--interface", "eth0", "--vip", f.endpoint(lab.vip(f), port),
        "--server-subnet", lab.serverSubnet(f)));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + f.endpoint(lab.server(f, i), port));
    }
    a.addAll(List.of(more));
    return lab.startDatapath(3, a.toArray(String[]::new));
  }

  /** Sets up the servers as the mode needs them and starts the datapath on the bulk port. */
  private Path startMode(Lab.Family f, String mode) throws Exception {
    switch (mode) {
      case "transparent" -> {
        lab.serversGateway(f, lab.balancerServerSide(f));
        return start(f, Lab.BULK, mode, "--gateway", lab.router(f));
      }
      case "full-nat" -> {
        return start(f, Lab.BULK, mode, "--gateway", lab.router(f), "--snat", lab.snat(f));
      }
      case "dsr-l2" -> {
        lab.vipOnServersLoopback(true);
        return start(f, Lab.BULK, mode);
      }
      case "dsr-dscp" -> {
        lab.vipOnServersLoopback(true);
        String family = f == Lab.Family.IPV4 ? "ip" : "ip6";
        lab.nftOnServers("""
            table %1$s lb4j_dscp {
              chain restore {
                type filter hook prerouting priority -300; policy accept;
                %1$s dscp 10 %1$s daddr set %2$s
              }
            }
            """.formatted(family, lab.vip(f)));
        return start(f, Lab.BULK, mode, "--dscp", "10");
      }
      default -> throw new IllegalArgumentException(mode);
    }
  }

  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void aPingToAPortVip_isAnswered(Lab.Family f) throws Exception {
    Path status = start(f, Lab.HTTP, "full-nat", "--gateway", lab.router(f), "--snat", lab.snat(f));

    int replies = lab.ping("c", lab.vip(f), 3);

    lab.stopDatapath();
    assertThat(replies).as("echo replies from %s:%d; status:%n%s", lab.vip(f), Lab.HTTP, java.nio.file.Files.readString(status))
        .isEqualTo(3);
  }

  /**
   * Path-MTU discovery (RFC 1191, RFC 8201) through the router, whose link to the client has MTU
   * 1280: the servers' full-size segments to the client are too big there, the router answers the
   * source (the VIP) with "fragmentation needed" or "packet too big", and the balancer must hand that
   * error to the server of the flow, or every download stalls.
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"IPV4, transparent", "IPV6, transparent", "IPV4, full-nat", "IPV6, full-nat", "IPV4, dsr-l2", "IPV6, dsr-l2",
      "IPV4, dsr-dscp", "IPV6, dsr-dscp"})
  void pathMtuDiscovery_throughAHopWithMtu1280_everyDownloadCompletes(Lab.Family f, String mode) throws Exception {
    lab.pathMtuHop(true);
    Path status = startMode(f, mode);

    Lab.Load downloads = lab.transfers("c", true, lab.vip(f), DOWNLOAD, 3, 10_000);

    lab.stopDatapath();
    assertThat(downloads.ok()).as("downloads of 300 kB through the 1280 hop: %s%nstatus:%n%s", downloads.raw(),
        java.nio.file.Files.readString(status)).isEqualTo(3);
    assertThat(Lab.counter(status, "counter.icmp_errors_translated")).as("ICMP errors handed to the servers").isPositive();
  }

  /**
   * The router fragments the client's segments (the client does not set DF) onto a link with MTU
   * 1280 in front of the balancer: the later fragments, which carry no TCP header, must go to the
   * server of their first fragment, or no upload reassembles.
   */
  @ParameterizedTest
  @CsvSource({"transparent", "dsr-l2"})
  void laterFragmentsToAPortVip_followTheFirst(String mode) throws Exception {
    lab.in("c", "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_no_pmtu_disc");
    lab.in("r", "ip", "link", "set", "br0", "mtu", "1280");
    Path status = startMode(Lab.Family.IPV4, mode);

    Lab.Load uploads = lab.transfers("c", false, Lab.VIP, 20_000, 3, 10_000);

    lab.stopDatapath();
    assertThat(uploads.ok()).as("uploads fragmented by the router: %s%nstatus:%n%s", uploads.raw(),
        java.nio.file.Files.readString(status)).isEqualTo(3);
    assertThat(Lab.counter(status, "counter.fragments_followed")).isPositive();
  }

  /**
   * S6.1a: the servers' gateway is the balancer, so their replies reach it addressed to its own MAC;
   * it must send them on to the router, never leave them addressed to itself.
   */
  @ParameterizedTest
  @EnumSource(Lab.Family.class)
  void transparentRepliesOfS6_1a_leaveAddressedToTheRouter(Lab.Family f) throws Exception {
    lab.serversGateway(f, lab.balancerServerSide(f));
    start(f, Lab.HTTP, "transparent", "--gateway", lab.router(f));
    String routerMac = lab.in("r", "cat", "/sys/class/net/br0/address").strip();
    Lab.Capture replies = lab.capture("r", "plb", (f == Lab.Family.IPV4 ? "ip src " : "ip6 src ") + lab.vip(f));

    Lab.Load load = lab.load("c", lab.vip(f), 300, 8, 3000);

    List<String> macs = replies.decode("eth.dst");
    assertThat(load.ok()).as("%s", load.raw()).isEqualTo(300);
    assertThat(macs).hasSizeGreaterThanOrEqualTo(300).allSatisfy(m -> assertThat(m).isEqualTo(routerMac));
  }
}
