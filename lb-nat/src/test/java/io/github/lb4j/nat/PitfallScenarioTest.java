package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The seed's pitfalls, each as a scenario: without a fix it is detected and named; with each fix it
 * is not (S6.1 one-arm asymmetric return; S6.2 hairpin).
 */
class PitfallScenarioTest {

  private static final int AT = 128;
  private final ByteBuffer b = ByteBuffer.allocate(1024);

  private int send(PacketTranslator t, InetAddress src, int sport, InetAddress dst, int dport, int flags, Direction d) {
    int n = builder(false, src, dst).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(sport, dport).tcpFlags(flags).writeTcp(b, AT);
    return t.translate(new Frame(b, AT, n), d);
  }

  /** A client connects; the server's SYN+ACK either passes the balancer (fixed) or not (one-arm DNAT); the client retries. */
  private PacketTranslator oneArm(ForwardingMode mode, boolean replyPassesBalancer) {
    PacketTranslator t = translator(mode, false);
    assertThat(Verdict.action(send(t, CLIENT4, 40000, VIP4, 80, TcpFlyweight.SYN, Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
    FrameParser p = new FrameParser();
    p.parse(b, AT, 54);
    InetAddress replyTo = mode == ForwardingMode.FULL_NAT ? SNAT4 : CLIENT4;
    int replyPort = p.sourcePort();
    if (replyPassesBalancer) {
      assertThat(Verdict.action(send(t, RIP4, 8080, replyTo, replyPort, TcpFlyweight.SYN | TcpFlyweight.ACK,
          Direction.SERVER_TO_CLIENT))).isEqualTo(Verdict.FORWARD);
    }
    // the client never got a SYN+ACK it recognised: it retransmits its SYN
    send(t, CLIENT4, 40000, VIP4, 80, TcpFlyweight.SYN, Direction.CLIENT_TO_SERVER);
    send(t, CLIENT4, 40000, VIP4, 80, TcpFlyweight.SYN, Direction.CLIENT_TO_SERVER);
    return t;
  }

  @Test
  void s61_oneArmDnatWithoutAFix_isDetectedOncePerFlow() {
    assertThat(oneArm(ForwardingMode.TRANSPARENT, false).count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isEqualTo(1);
  }

  @Test
  void s61a_serversGatewayIsTheBalancer_isNotDetected() {
    assertThat(oneArm(ForwardingMode.TRANSPARENT, true).count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
    assertThat(oneArm(ForwardingMode.ROUTER, true).count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
  }

  @Test
  void s61b_sourceNat_isNotDetected() {
    assertThat(oneArm(ForwardingMode.FULL_NAT, true).count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
  }

  @Test
  void s61c_dsr_isNotDetected() {
    assertThat(oneArm(ForwardingMode.DSR_L2, false).count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
  }

  private static final InetAddress SERVER2 = IpAddresses.parse("198.51.100.12");

  private PacketTranslator hairpin(ForwardingMode mode, boolean autoSnat) {
    List<Backend> backends = List.of(Backend.of("web-1", RIP4, 8080).withMac(RIP_MAC));
    NatConfig.Builder c = config(mode, false, backends).serverSubnet(IpAddresses.parse("198.51.100.0"), 24)
        .hairpinSnat(autoSnat);
    PacketTranslator t = NatTranslators.create(c.build());
    // server 2 (inside the servers' subnet) calls the VIP and is balanced to server 1
    assertThat(Verdict.action(send(t, SERVER2, 33000, VIP4, 80, TcpFlyweight.SYN, Direction.CLIENT_TO_SERVER)))
        .isEqualTo(Verdict.FORWARD);
    return t;
  }

  @Test
  void s62_hairpinWithoutSourceNat_isDetected_andServer1WouldAnswerServer2Directly() {
    PacketTranslator t = hairpin(ForwardingMode.TRANSPARENT, false);
    assertThat(t.count(NatCounter.S6_2_HAIRPIN)).isEqualTo(1);
    FrameParser p = new FrameParser();
    p.parse(b, AT, 54);
    assertThat(p.sourceAddressV4()).as("server 1 sees server 2's own address").isEqualTo(IpAddresses.v4(SERVER2));
  }

  @Test
  void s62_autoSnat_fixesTheHairpin_andTheReplyReturnsThroughTheBalancer() {
    PacketTranslator t = hairpin(ForwardingMode.TRANSPARENT, true);
    assertThat(t.count(NatCounter.S6_2_HAIRPIN)).isEqualTo(1);
    assertThat(t.count(NatCounter.HAIRPIN_SNAT)).isEqualTo(1);
    FrameParser p = new FrameParser();
    p.parse(b, AT, 54);
    assertThat(p.sourceAddressV4()).as("server 1 sees the balancer's SNAT address").isEqualTo(IpAddresses.v4(SNAT4));
    int snatPort = p.sourcePort();
    int v = send(t, RIP4, 8080, SNAT4, snatPort, TcpFlyweight.SYN | TcpFlyweight.ACK, Direction.SERVER_TO_CLIENT);
    assertThat(Verdict.action(v)).isEqualTo(Verdict.FORWARD);
    p.parse(b, AT, 54);
    assertThat(p.sourceAddressV4()).isEqualTo(IpAddresses.v4(VIP4));
    assertThat(p.sourcePort()).isEqualTo(80);
    assertThat(p.destinationAddressV4()).isEqualTo(IpAddresses.v4(SERVER2));
    assertThat(p.destinationPort()).isEqualTo(33000);
    assertThat(checksumsValid(b, AT, 54)).isTrue();
  }

  @Test
  void s62_fullNatAndDsr_needNoDetection() {
    assertThat(hairpin(ForwardingMode.FULL_NAT, false).count(NatCounter.S6_2_HAIRPIN)).isZero();
    assertThat(hairpin(ForwardingMode.DSR_L2, false).count(NatCounter.S6_2_HAIRPIN)).isZero();
  }
}
