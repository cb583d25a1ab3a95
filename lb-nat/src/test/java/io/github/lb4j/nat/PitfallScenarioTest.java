package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.flow.ManualClock;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The seed's pitfalls, each as a scenario: without a fix it is detected and named; with each fix it
 * is not (S6.1 one-arm asymmetric return; S6.2 hairpin); and each counter counts its pitfall only:
 * not a hairpin flow, not spoofed or duplicated SYNs, not a backend that drops SYNs silently while
 * the others answer through the balancer.
 */
class PitfallScenarioTest {

  private static final int AT = 128;
  private static final InetAddress SERVER2 = IpAddresses.parse("198.51.100.12");
  private static final InetAddress OTHER_CLIENT = IpAddresses.parse("192.0.2.77");
  private final ByteBuffer b = ByteBuffer.allocate(1024);
  private final ManualClock clock = new ManualClock();

  private PacketTranslator translator(ForwardingMode mode, List<Backend> backends) {
    return NatTranslators.create(configured(mode, backends).build());
  }

  private NatConfig.Builder configured(ForwardingMode mode, List<Backend> backends) {
    NatConfig.Builder c = config(mode, false, backends);
    SessionCounters sessions = c.build().scheduler().sessions();
    return c.flowTable(FlowTableConfig.builder(4096, sessions).clockSampleInterval(1).seed(1).clock(clock).build());
  }

  private int send(PacketTranslator t, InetAddress src, int sport, InetAddress dst, int dport, int flags, long seq, Direction d) {
    int n = builder(false, src, dst).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(sport, dport).tcpFlags(flags)
        .sequence(seq, flags == TcpFlyweight.SYN ? 0 : 1001).writeTcp(b, AT);
    return t.translate(new Frame(b, AT, n), d);
  }

  private int syn(PacketTranslator t, InetAddress client, int port, long seq) {
    return send(t, client, port, VIP4, 80, TcpFlyweight.SYN, seq, Direction.CLIENT_TO_SERVER);
  }

  /** A client connects; the server's SYN+ACK either passes the balancer (fixed) or not (one-arm DNAT); the client retries. */
  private PacketTranslator oneArm(ForwardingMode mode, boolean replyPassesBalancer) {
    PacketTranslator t = translator(mode, oneBackend(false));
    assertThat(Verdict.action(syn(t, CLIENT4, 40000, 1000))).isEqualTo(Verdict.FORWARD);
    FrameParser p = new FrameParser();
    p.parse(b, AT, 54);
    InetAddress replyTo = mode == ForwardingMode.FULL_NAT ? SNAT4 : CLIENT4;
    int replyPort = p.sourcePort();
    if (replyPassesBalancer) {
      assertThat(Verdict.action(send(t, RIP4, 8080, replyTo, replyPort, TcpFlyweight.SYN | TcpFlyweight.ACK, 5000,
          Direction.SERVER_TO_CLIENT))).isEqualTo(Verdict.FORWARD);
    }
    // the client never got a SYN+ACK it recognised: it retransmits its SYN after 1 s, then 2 s more
    clock.advance(Duration.ofSeconds(1));
    syn(t, CLIENT4, 40000, 1000);
    clock.advance(Duration.ofSeconds(2));
    syn(t, CLIENT4, 40000, 1000);
    return t;
  }

  @Test
  void s61_oneArmDnatWithoutAFix_isDetectedOncePerFlow() {
    for (ForwardingMode mode : new ForwardingMode[] {ForwardingMode.TRANSPARENT, ForwardingMode.ROUTER}) {
      PacketTranslator t = oneArm(mode, false);
      assertThat(t.count(NatCounter.S6_1_ASYMMETRIC_RETURN)).as(mode.modeName()).isEqualTo(1);
      assertThat(t.count(NatCounter.SYN_UNANSWERED)).isZero();
    }
  }

  @Test
  void s61a_serversGatewayIsTheBalancer_isNotDetected() {
    assertThat(oneArm(ForwardingMode.TRANSPARENT, true).count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
    assertThat(oneArm(ForwardingMode.ROUTER, true).count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
  }

  @Test
  void s61b_sourceNat_isNotDetected() {
    assertThat(oneArm(ForwardingMode.FULL_NAT, true).count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
    assertThat(oneArm(ForwardingMode.FULL_NAT, false).count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
  }

  @Test
  void s61c_dsr_isNotDetected() {
    assertThat(oneArm(ForwardingMode.DSR_L2, false).count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
  }

  @Test
  void s61_isNotCounted_forSynsWithAnotherSequenceNumber_spoofedOrANewAttempt() {
    PacketTranslator t = translator(ForwardingMode.TRANSPARENT, oneBackend(false));
    syn(t, CLIENT4, 40000, 1000);
    for (long seq : new long[] {2000, 3000, 4000}) {
      clock.advance(Duration.ofSeconds(1));
      syn(t, CLIENT4, 40000, seq);
    }
    assertThat(t.count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
    assertThat(t.count(NatCounter.SYN_UNANSWERED)).isZero();
  }

  @Test
  void s61_isNotCounted_forDuplicatesWithinTheRetransmissionTimeout() {
    PacketTranslator t = translator(ForwardingMode.TRANSPARENT, oneBackend(false));
    for (int i = 0; i < 5; i++) {
      syn(t, CLIENT4, 40000, 1000);
      clock.advance(Duration.ofMillis(100));
    }
    assertThat(t.count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
  }

  @Test
  void s61_isNotCounted_forAHairpinFlow_whichIsS62() {
    List<Backend> backends = List.of(Backend.of("web-1", RIP4, 8080).withMac(RIP_MAC));
    PacketTranslator t = NatTranslators.create(configured(ForwardingMode.TRANSPARENT, backends)
        .serverSubnet(IpAddresses.parse("198.51.100.0"), 24).build());
    syn(t, SERVER2, 33000, 1000);
    clock.advance(Duration.ofSeconds(1));
    syn(t, SERVER2, 33000, 1000);
    assertThat(t.count(NatCounter.S6_2_HAIRPIN)).isEqualTo(1);
    assertThat(t.count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
    assertThat(t.count(NatCounter.SYN_UNANSWERED)).isZero();
  }

  @Test
  void aSilentlyDroppingBackend_whileOthersAnswerThroughTheBalancer_isSynUnanswered_notS61() {
    // web-2 drops every SYN; web-1 answers through the balancer
    List<Backend> backends = List.of(Backend.of("web-1", RIP4, 8080).withMac(RIP_MAC),
        Backend.of("web-2", RIP4B, 8080).withMac(RIP_MAC_B));
    PacketTranslator t = translator(ForwardingMode.TRANSPARENT, backends);
    int silentPort = -1;
    int answeredPort = -1;
    FrameParser p = new FrameParser();
    for (int port = 40000; port < 40100 && (silentPort < 0 || answeredPort < 0); port++) {
      syn(t, CLIENT4, port, 1000);
      p.parse(b, AT, 54);
      if (p.destinationAddressV4() == IpAddresses.v4(RIP4B)) {
        silentPort = silentPort < 0 ? port : silentPort;
      } else if (answeredPort < 0) {
        answeredPort = port;
      }
    }
    assertThat(silentPort).isPositive();
    assertThat(answeredPort).isPositive();
    clock.advance(Duration.ofMillis(1500));
    // meanwhile web-1's flows are answered through the balancer
    assertThat(Verdict.action(send(t, RIP4, 8080, CLIENT4, answeredPort, TcpFlyweight.SYN | TcpFlyweight.ACK, 5000,
        Direction.SERVER_TO_CLIENT))).isEqualTo(Verdict.FORWARD);
    syn(t, CLIENT4, silentPort, 1000);
    assertThat(t.count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
    assertThat(t.count(NatCounter.SYN_UNANSWERED)).isEqualTo(1);
  }

  /** A SYN from a new port of CLIENT4 that the translator sends to {@code rip}; returns the port. */
  private int synTo(PacketTranslator t, InetAddress rip, int fromPort) {
    FrameParser p = new FrameParser();
    for (int port = fromPort; port < fromPort + 200; port++) {
      syn(t, CLIENT4, port, 1000);
      p.parse(b, AT, 54);
      if (p.destinationAddressV4() == IpAddresses.v4(rip)) {
        return port;
      }
    }
    throw new AssertionError("no port of 200 was balanced to " + rip);
  }

  @Test
  void aSilentlyDroppingBackend_whileEveryConnectionWaitsOnIt_isSynUnanswered_notS61() {
    // The lab's case: web-1 answered a flow through the balancer a second earlier; then every
    // connection in progress waits on web-2, which drops SYNs, so no reply passes between the new
    // SYN and its retransmission. Replies do pass the balancer: that is not S6.1.
    List<Backend> backends = List.of(Backend.of("web-1", RIP4, 8080).withMac(RIP_MAC),
        Backend.of("web-2", RIP4B, 8080).withMac(RIP_MAC_B));
    PacketTranslator t = translator(ForwardingMode.TRANSPARENT, backends);
    int answered = synTo(t, RIP4, 40000);
    assertThat(Verdict.action(send(t, RIP4, 8080, CLIENT4, answered, TcpFlyweight.SYN | TcpFlyweight.ACK, 5000,
        Direction.SERVER_TO_CLIENT))).isEqualTo(Verdict.FORWARD);
    clock.advance(Duration.ofMillis(1200));
    int silent = synTo(t, RIP4B, 41000);
    clock.advance(Duration.ofSeconds(1));
    syn(t, CLIENT4, silent, 1000);
    clock.advance(Duration.ofSeconds(2));
    syn(t, CLIENT4, silent, 1000);
    assertThat(t.count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isZero();
    assertThat(t.count(NatCounter.SYN_UNANSWERED)).isEqualTo(1);
  }

  @Test
  void s61_isStillDetected_whenOnlySourceNatedHairpinRepliesPassTheBalancer() {
    // A hairpin flow fixed by source NAT returns to the balancer's SNAT address whatever the
    // servers' gateway: its reply says nothing of the return path of the other flows, which
    // bypasses the balancer here (one-arm DNAT without a fix).
    List<Backend> backends = List.of(Backend.of("web-1", RIP4, 8080).withMac(RIP_MAC));
    PacketTranslator t = NatTranslators.create(configured(ForwardingMode.TRANSPARENT, backends)
        .serverSubnet(IpAddresses.parse("198.51.100.0"), 24).hairpinSnat(true).build());
    assertThat(Verdict.action(syn(t, SERVER2, 33000, 1000))).isEqualTo(Verdict.FORWARD);
    FrameParser p = new FrameParser();
    p.parse(b, AT, 54);
    int snatPort = p.sourcePort();
    assertThat(Verdict.action(syn(t, CLIENT4, 40000, 1000))).isEqualTo(Verdict.FORWARD);
    assertThat(Verdict.action(send(t, RIP4, 8080, SNAT4, snatPort, TcpFlyweight.SYN | TcpFlyweight.ACK, 5000,
        Direction.SERVER_TO_CLIENT))).isEqualTo(Verdict.FORWARD);
    clock.advance(Duration.ofSeconds(1));
    syn(t, CLIENT4, 40000, 1000);
    assertThat(t.count(NatCounter.HAIRPIN_SNAT)).isEqualTo(1);
    assertThat(t.count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isEqualTo(1);
    assertThat(t.count(NatCounter.SYN_UNANSWERED)).isZero();
  }

  @Test
  void s61_isDetected_whenTheLastReplyIsOlderThanTheHalfOpenLifetime() {
    // replies passed once, then stopped for longer than a half-open flow lives (SYN_RECV, 60 s):
    // the servers now answer around the balancer
    PacketTranslator t = translator(ForwardingMode.TRANSPARENT, oneBackend(false));
    int answered = synTo(t, RIP4, 40000);
    assertThat(Verdict.action(send(t, RIP4, 8080, CLIENT4, answered, TcpFlyweight.SYN | TcpFlyweight.ACK, 5000,
        Direction.SERVER_TO_CLIENT))).isEqualTo(Verdict.FORWARD);
    clock.advance(Duration.ofSeconds(62));
    syn(t, CLIENT4, 41000, 7000);
    clock.advance(Duration.ofSeconds(1));
    syn(t, CLIENT4, 41000, 7000);
    assertThat(t.count(NatCounter.S6_1_ASYMMETRIC_RETURN)).isEqualTo(1);
    assertThat(t.count(NatCounter.SYN_UNANSWERED)).isZero();
  }

  private PacketTranslator hairpin(ForwardingMode mode, boolean autoSnat) {
    List<Backend> backends = List.of(Backend.of("web-1", RIP4, 8080).withMac(RIP_MAC));
    NatConfig.Builder c = config(mode, false, backends).serverSubnet(IpAddresses.parse("198.51.100.0"), 24)
        .hairpinSnat(autoSnat);
    PacketTranslator t = NatTranslators.create(c.build());
    // server 2 (inside the servers' subnet) calls the VIP and is balanced to server 1
    assertThat(Verdict.action(syn(t, SERVER2, 33000, 1000))).isEqualTo(Verdict.FORWARD);
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
  void s62_isNotCounted_forAClientOutsideTheServersSubnets() {
    List<Backend> backends = List.of(Backend.of("web-1", RIP4, 8080).withMac(RIP_MAC));
    PacketTranslator t = NatTranslators.create(config(ForwardingMode.TRANSPARENT, false, backends)
        .serverSubnet(IpAddresses.parse("198.51.100.0"), 24).build());
    syn(t, OTHER_CLIENT, 33000, 1000);
    syn(t, CLIENT4, 33001, 1000);
    assertThat(t.count(NatCounter.S6_2_HAIRPIN)).isZero();
  }

  @Test
  void s62_aClientOnLinkOnTheServersPort_isAHairpinWithoutAConfiguredSubnet() {
    List<Backend> backends = List.of(Backend.of("web-1", RIP4, 8080).withMac(RIP_MAC));
    NatPort side = new NatPort(0, LB_MAC, List.of(new NatPort.Address(LB4, 24)), 1500);
    PacketTranslator t = NatTranslators.create(config(ForwardingMode.TRANSPARENT, false, backends).ports(side, side).build());
    syn(t, SERVER2, 33000, 1000);
    assertThat(t.count(NatCounter.S6_2_HAIRPIN)).isEqualTo(1);
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
    int v = send(t, RIP4, 8080, SNAT4, snatPort, TcpFlyweight.SYN | TcpFlyweight.ACK, 5000, Direction.SERVER_TO_CLIENT);
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
