package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.flow.ManualClock;
import io.github.lb4j.nat.header.EthernetFlyweight;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.Icmpv4Flyweight;
import io.github.lb4j.nat.header.Icmpv6Flyweight;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One test per MUST and MUST NOT of RFC 1812, RFC 1122, RFC 792, RFC 1191, RFC 8200, RFC 4443 and
 * RFC 8201 that applies to what the translators forward and send (the table is lb-nat's
 * CONFORMANCE.md; each row names its test here or elsewhere). Router mode is the mode that routes
 * both ways; the balancer's ports: clients' 0 (192.0.2.253/24, 2001:db8:2::fd/64), servers' 1 with
 * an MTU of 1280 (198.51.100.1/24, 2001:db8:3::1/64).
 */
class RfcConformanceTest {

  private static final int AT = 128;
  private static final InetAddress CLIENTS_V4 = IpAddresses.parse("192.0.2.253");
  private static final InetAddress CLIENTS_V6 = IpAddresses.parse("2001:db8:2::fd");
  private final ManualClock clock = new ManualClock();
  private final ByteBuffer b = ByteBuffer.allocate(4096);

  private PacketTranslator router(int serversMtu, int perSecond, int burst) {
    return router(false, serversMtu, perSecond, burst);
  }

  private PacketTranslator router(boolean six, int serversMtu, int perSecond, int burst) {
    SessionCounters sessions = SessionCounters.create();
    NatPort clients = new NatPort(0, LB_MAC, List.of(new NatPort.Address(CLIENTS_V4, 24),
        new NatPort.Address(CLIENTS_V6, 64)), 1500);
    NatPort servers = new NatPort(1, LB_MAC, List.of(new NatPort.Address(LB4, 24), new NatPort.Address(LB6, 64)),
        serversMtu);
    return NatTranslators.create(NatConfig.builder(ForwardingMode.ROUTER, new HashScheduler(sessions, oneBackend(six)))
        .vip(NatConfig.Vip.of(VIP4)).vip(NatConfig.Vip.of(VIP6)).ports(clients, servers).clientGateway(GW_MAC)
        .icmpErrorRate(perSecond, burst)
        .flowTable(FlowTableConfig.builder(4096, sessions).clockSampleInterval(1).seed(1).clock(clock).build()).build());
  }

  private PacketTranslator router() {
    return router(false, 1500, 1000, 50);
  }

  private PacketTranslator router(boolean six) {
    return router(six, 1500, 1000, 50);
  }

  private static FrameBuilder syn(boolean six) {
    return builder(six, six ? CLIENT6 : CLIENT4, six ? VIP6 : VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong())
        .ports(40000, 80).tcpFlags(TcpFlyweight.SYN);
  }

  private int send(PacketTranslator t, FrameBuilder fb, Direction d) {
    int n = fb.writeTcp(b, AT);
    return t.translate(new Frame(b, AT, n), d);
  }

  private FrameParser parsedAnswer(Frame f) {
    FrameParser p = new FrameParser();
    assertThat(p.parse(b, f.offset(), f.length())).isEqualTo(FrameParser.OK);
    return p;
  }

  // RFC 1812 §5.3.1, RFC 8200 §3: a router decrements TTL / hop limit; at zero it discards and
  // (RFC 792, RFC 4443 §3.3) sends time exceeded, code 0
  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void ttlReachingZero_isDiscarded_withTimeExceeded(boolean six) {
    PacketTranslator t = router(six);
    int n = syn(six).ttl(1).writeTcp(b, AT);
    Frame f = new Frame(b, AT, n);
    assertThat(t.translate(f, Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
    FrameParser p = parsedAnswer(f);
    assertThat(p.icmpType()).isEqualTo(six ? Icmpv6Flyweight.TYPE_TIME_EXCEEDED : Icmpv4Flyweight.TYPE_TIME_EXCEEDED);
    assertThat(p.icmpCode()).isZero();
    assertThat(p.sourceAddressLow()).as("RFC 1812 §4.3.2.4: from the port it leaves by")
        .isEqualTo(IpAddresses.low(six ? CLIENTS_V6 : CLIENTS_V4));
    assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
    assertThat(t.drops(DropReason.TTL_EXCEEDED)).isEqualTo(1);
    // and a TTL of 2 leaves with 1
    n = syn(six).ttl(2).writeTcp(b, AT);
    f = new Frame(b, AT, n);
    assertThat(Verdict.toString(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo("forward(1)");
    assertThat(b.get(AT + (six ? 21 : 22)) & 0xFF).isEqualTo(1);
  }

  // RFC 1812 §5.3.1: a router MUST NOT discard a datagram with TTL 1 addressed to itself
  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void anEchoRequestToTheVipWithTtlOne_isAnswered(boolean six) {
    PacketTranslator t = router(six);
    int n = syn(six).ports(9, 1).ttl(1).payload(8).writeEcho(b, AT, true);
    Frame f = new Frame(b, AT, n);
    assertThat(t.translate(f, Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
    assertThat(parsedAnswer(f).icmpType()).isEqualTo(six ? Icmpv6Flyweight.TYPE_ECHO_REPLY : Icmpv4Flyweight.TYPE_ECHO_REPLY);
  }

  // RFC 792, RFC 4443 §4.2: the echo reply returns identifier, sequence number and data unchanged
  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void echoReply_returnsIdentifierSequenceAndDataUnchanged(boolean six) {
    PacketTranslator t = router(six);
    int n = syn(six).ports(0x1234, 0x5678).payload(64).writeEcho(b, AT, true);
    int l4 = AT + 14 + (six ? 40 : 20);
    byte[] sent = bytes(b, l4 + 4, n - (l4 - AT) - 4);
    Frame f = new Frame(b, AT, n);
    assertThat(t.translate(f, Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
    assertThat(bytes(b, l4 + 4, n - (l4 - AT) - 4)).isEqualTo(sent);
  }

  // RFC 1122 §3.2.2, RFC 1812 §4.3.2.7, RFC 4443 §2.4 (e.1): no ICMP error about an ICMP error
  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void noErrorAboutAnError_anErrorWhoseTtlExpiresIsDroppedSilently(boolean six) {
    PacketTranslator t = router(six);
    send(t, syn(six), Direction.CLIENT_TO_SERVER);
    int n = PortVipTest.tooBig(b, six, six ? CLIENT6 : CLIENT4, six ? VIP6 : VIP4, six ? VIP6 : VIP4, 80,
        six ? CLIENT6 : CLIENT4, 40000);
    b.put(AT + 14 + (six ? 7 : 8), (byte) 1);
    if (!six) {
      fixIpv4HeaderChecksum();
    }
    int v = t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER);
    assertThat(Verdict.action(v)).isEqualTo(Verdict.DROP);
    assertThat(t.count(NatCounter.ICMP_ERRORS_SENT)).isZero();
  }

  private void fixIpv4HeaderChecksum() {
    b.putShort(AT + 24, (short) 0);
    b.putShort(AT + 24, (short) io.github.lb4j.nat.header.Checksums.checksum(b, AT + 14, 20));
  }

  // RFC 1122 §3.2.2, RFC 1812 §4.3.2.7: no ICMP error about a non-first fragment
  @Test
  void noErrorAboutANonFirstFragment() {
    PacketTranslator t = router();
    send(t, syn(false).payload(24).fragment(7, 1, 0), Direction.CLIENT_TO_SERVER);
    int v = send(t, syn(false).payload(24).fragment(7, 0, 4).ttl(1), Direction.CLIENT_TO_SERVER);
    assertThat(Verdict.reason(v)).isEqualTo(DropReason.TTL_EXCEEDED);
    assertThat(t.count(NatCounter.ICMP_ERRORS_SUPPRESSED)).isEqualTo(1);
    assertThat(t.count(NatCounter.ICMP_ERRORS_SENT)).isZero();
  }

  // RFC 1122 §3.2.2, RFC 1812 §4.3.2.7, RFC 4443 §2.4 (e.4, e.5): none about a link-layer broadcast or multicast
  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void noErrorAboutALinkLayerBroadcastOrMulticast(boolean six) {
    PacketTranslator t = router(six);
    for (long mac : new long[] {0xFFFF_FFFF_FFFFL, 0x0100_5E00_0001L}) {
      int v = send(t, syn(six).macs(mac, GW_MAC.toLong()).ttl(1), Direction.CLIENT_TO_SERVER);
      assertThat(Verdict.reason(v)).isEqualTo(DropReason.TTL_EXCEEDED);
    }
    assertThat(t.count(NatCounter.ICMP_ERRORS_SUPPRESSED)).isEqualTo(2);
  }

  // RFC 1812 §5.3.7, §4.3.2.7, RFC 4291 §2.5.2, §2.5.3, §2.7: nothing forwarded from or to an address
  // that names no single host, and no error sent to it
  @Test
  void packetsFromOrToInvalidAddresses_areNotForwarded_andGetNoError() {
    PacketTranslator t = router();
    String[][] cases = {{"0.0.0.0", "203.0.113.10"}, {"127.0.0.1", "203.0.113.10"}, {"224.0.0.5", "203.0.113.10"},
        {"240.0.0.1", "203.0.113.10"}, {"255.255.255.255", "203.0.113.10"}, {"192.0.2.1", "127.0.0.1"},
        {"::", "2001:db8:1::10"}, {"::1", "2001:db8:1::10"}, {"ff02::1", "2001:db8:1::10"}, {"2001:db8:2::1", "::1"}};
    for (String[] c : cases) {
      InetAddress src = IpAddresses.parse(c[0]);
      InetAddress dst = IpAddresses.parse(c[1]);
      boolean six = !IpAddresses.isV4(src);
      int v = send(t, builder(six, src, dst).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(1, 80)
          .tcpFlags(TcpFlyweight.SYN).ttl(1), Direction.CLIENT_TO_SERVER);
      assertThat(Verdict.reason(v)).as("%s > %s", c[0], c[1]).isEqualTo(DropReason.INVALID_ADDRESS);
    }
    assertThat(t.count(NatCounter.ICMP_ERRORS_SENT)).isZero();
  }

  // RFC 1812 §4.3.2.8, RFC 4443 §2.4 (f): ICMP errors are rate-limited (token bucket, 50 then 1000/s)
  @Test
  void errorsTheBalancerSends_areRateLimited() {
    PacketTranslator t = router(1500, 1000, 50);
    int replies = 0;
    for (int i = 0; i < 60; i++) {
      if (send(t, syn(false).ports(40000 + i, 80).ttl(1), Direction.CLIENT_TO_SERVER) == Verdict.reply()) {
        replies++;
      }
    }
    assertThat(replies).as("the burst").isEqualTo(50);
    assertThat(t.count(NatCounter.ICMP_ERRORS_RATE_LIMITED)).isEqualTo(10);
    clock.advance(Duration.ofMillis(10));
    replies = 0;
    for (int i = 0; i < 20; i++) {
      if (send(t, syn(false).ports(41000 + i, 80).ttl(1), Direction.CLIENT_TO_SERVER) == Verdict.reply()) {
        replies++;
      }
    }
    assertThat(replies).as("10 ms at 1000/s").isEqualTo(10);
    assertThat(t.drops(DropReason.TTL_EXCEEDED)).as("every expired packet is dropped, answered or not").isEqualTo(80);
  }

  // RFC 1191 §4 (MUST: the next-hop MTU in the error), RFC 1812 §5.2.6, RFC 4443 §3.2 (MUST send
  // packet too big), RFC 8200 §5 (routers do not fragment IPv6)
  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void aPacketLargerThanTheOutgoingPortsMtu_isAnsweredFragmentationNeededOrPacketTooBig(boolean six) {
    PacketTranslator t = router(six, 1280, 1000, 50);
    int n = syn(six).payload(1400).writeTcp(b, AT);
    Frame f = new Frame(b, AT, n);
    assertThat(t.translate(f, Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
    FrameParser p = parsedAnswer(f);
    int l4 = p.l4Offset();
    if (six) {
      assertThat(p.icmpType()).isEqualTo(Icmpv6Flyweight.TYPE_PACKET_TOO_BIG);
      assertThat(b.getInt(l4 + 4)).isEqualTo(1280);
      assertThat(f.length() - 14).as("RFC 4443 §2.4 (c): as much as fits 1280 bytes").isEqualTo(1280);
    } else {
      assertThat(p.icmpType()).isEqualTo(Icmpv4Flyweight.TYPE_DESTINATION_UNREACHABLE);
      assertThat(p.icmpCode()).isEqualTo(Icmpv4Flyweight.CODE_FRAGMENTATION_NEEDED);
      assertThat(b.getShort(l4 + 6) & 0xFFFF).isEqualTo(1280);
      assertThat(f.length() - 14).as("RFC 1812 §4.3.2.3: as much as fits 576 bytes").isEqualTo(576);
      assertThat(b.get(p.l3Offset() + 1) & 0xFF).as("RFC 1812 §4.3.2.5: precedence 6").isEqualTo(0xC0);
    }
    assertThat(p.parseQuoted()).isEqualTo(FrameParser.OK);
    assertThat(p.innerDestinationPort()).as("the quote is the packet as received").isEqualTo(80);
    assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
  }

  // RFC 1191 §4: fragmentation needed only for DF; without DF a router fragments, which lb4j does
  // not (one frame in, one frame out): the packet is dropped and counted, no error is sent
  @Test
  void anIpv4PacketWithoutDfAboveTheMtu_isDroppedAsMtuExceeded_withoutAnError() {
    PacketTranslator t = router(1280, 1000, 50);
    int v = send(t, syn(false).payload(1400).fragment(1, 0, 0), Direction.CLIENT_TO_SERVER);
    assertThat(Verdict.reason(v)).isEqualTo(DropReason.MTU_EXCEEDED);
    assertThat(t.count(NatCounter.ICMP_ERRORS_SENT)).isZero();
  }

  // RFC 8200 §4.3: the hop-by-hop options header only right after the IPv6 header
  @Test
  void aHopByHopHeaderAfterAnotherExtensionHeader_isMalformed() {
    PacketTranslator t = router(true);
    int n = syn(true).ipv6Extensions(true, true).writeTcp(b, AT);
    int l3 = AT + 14;
    b.put(l3 + 6, (byte) 60);   // destination options first...
    b.put(l3 + 40, (byte) 0);   // ...then a hop-by-hop header
    assertThat(Verdict.reason(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).isEqualTo(DropReason.MALFORMED);
  }

  // RFC 9293 §3.1, RFC 8200 §8.1: with a source route the transport checksum covers the final
  // destination, not the one a DNAT rewrites: such packets are refused where addresses are rewritten
  @Test
  void sourceRoutedPackets_areRefusedWhereAddressesAreRewritten() {
    PacketTranslator t = router();
    int n = syn(false).ipv4Options(2).writeTcp(b, AT);
    int options = AT + 14 + 20;
    b.put(options, (byte) 131);  // loose source route, length 7, pointer 4, one address
    b.put(options + 1, (byte) 7);
    b.put(options + 2, (byte) 4);
    b.putInt(options + 3, IpAddresses.v4(RIP4));
    b.put(options + 7, (byte) 0);
    fixIpv4HeaderChecksumOver(28);
    assertThat(Verdict.reason(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).isEqualTo(DropReason.UNSUPPORTED);
  }

  private void fixIpv4HeaderChecksumOver(int ihl) {
    b.putShort(AT + 24, (short) 0);
    b.putShort(AT + 24, (short) io.github.lb4j.nat.header.Checksums.checksum(b, AT + 14, ihl));
  }

  // RFC 4861 §7.2.4: a solicitation from the unspecified address (duplicate address detection) is
  // answered to all-nodes, with the solicited flag clear
  @Test
  void aDuplicateAddressDetectionSolicitation_isAnsweredToAllNodes() {
    PacketTranslator t = router(true);
    int n = builder(true, IpAddresses.parse("::"), VIP6).macs(0x3333_FF00_0010L, GW_MAC.toLong()).writeNeighborSolicitation(b, AT);
    Frame f = new Frame(b, AT, n);
    assertThat(t.translate(f, Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
    assertThat(EthernetFlyweight.destination(b, f.offset())).isEqualTo(0x3333_0000_0001L);
    FrameParser p = parsedAnswer(f);
    assertThat(p.destinationAddressHigh()).isEqualTo(0xFF02_0000_0000_0000L);
    assertThat(new Icmpv6Flyweight().wrap(b, p.l4Offset()).advertisementFlags() & Icmpv6Flyweight.FLAG_SOLICITED).isZero();
    assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
  }

  @Test
  void everyAnswerAndForwardedFrameHere_decodesInTshark_withGoodChecksums() throws Exception {
    List<byte[]> frames = new ArrayList<>();
    for (boolean six : new boolean[] {false, true}) {
      PacketTranslator t = router(six, 1280, 1000, 50);
      for (FrameBuilder fb : new FrameBuilder[] {syn(six).ttl(1), syn(six).payload(1400), syn(six).ports(40001, 80)}) {
        int n = fb.writeTcp(b, AT);
        Frame f = new Frame(b, AT, n);
        assertThat(Verdict.action(t.translate(f, Direction.CLIENT_TO_SERVER))).isNotEqualTo(Verdict.DROP);
        frames.add(bytes(b, f.offset(), f.length()));
      }
    }
    List<String[]> rows = Tshark.decode("rfc-conformance", frames, "ip.checksum.status", "icmp.checksum.status",
        "icmpv6.checksum.status", "tcp.checksum.status", "_ws.expert.severity");
    for (int i = 0; i < rows.size(); i++) {
      String[] row = rows.get(i);
      // the too-big answers (frames 2 and 5) quote a truncated segment, whose TCP checksum cannot verify
      int columns = i % 3 == 1 ? 3 : 4;
      for (int c = 0; c < columns; c++) {
        for (String s : row[c].split(",")) {
          assertThat(s).as(String.join("|", row)).isIn("", "1");
        }
      }
    }
  }
}
