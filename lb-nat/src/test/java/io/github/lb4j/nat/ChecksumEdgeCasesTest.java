package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The checksum edge cases of every rewrite: UDP over IPv6 with a zero checksum is discarded (RFC
 * 8200 §8.1) in every mode and direction, with its own drop reason; UDP over IPv4 with checksum 0
 * ("none", RFC 768) stays 0; a UDP checksum that computes to 0 is sent as 0xFFFF (RFC 768, RFC 8200
 * §8.1) and a TCP checksum that computes to 0 stays 0x0000 (RFC 1624 §3, equal to full
 * recomputation). tshark checks the results.
 */
class ChecksumEdgeCasesTest {

  private static final int AT = 128;

  private static InetAddress client(boolean six) {
    return six ? CLIENT6 : CLIENT4;
  }

  private static InetAddress vip(boolean six) {
    return six ? VIP6 : VIP4;
  }

  private static FrameBuilder udp(boolean six, InetAddress src, InetAddress dst, int sport, int dport) {
    return builder(six, src, dst).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(sport, dport).payload(16);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ForwardingMode.class)
  void ipv6UdpWithAZeroChecksum_isDiscardedWithItsOwnReason_bothWays_neverForwarded(ForwardingMode mode) {
    PacketTranslator t = translator(mode, true);
    ByteBuffer b = ByteBuffer.allocate(1024);
    // a valid request opens the flow, so that a zero-checksum reply would find it
    int n = udp(true, CLIENT6, VIP6, 40000, 53).writeUdp(b, AT);
    assertThat(Verdict.action(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
    FrameParser p = new FrameParser();
    p.parse(b, AT, n);
    InetAddress replyTo = mode == ForwardingMode.FULL_NAT ? SNAT6 : CLIENT6;
    int replyPort = p.sourcePort();
    for (Direction d : Direction.values()) {
      n = d == Direction.CLIENT_TO_SERVER ? udp(true, CLIENT6, VIP6, 40000, 53).writeUdp(b, AT)
          : udp(true, RIP6, replyTo, 8080, replyPort).writeUdp(b, AT);
      b.putShort(AT + 14 + 40 + 6, (short) 0);
      byte[] before = bytes(b, AT, n);
      int v = t.translate(new Frame(b, AT, n), d);
      assertThat(Verdict.reason(v)).as("%s %s", mode, d).isEqualTo(DropReason.UDP_ZERO_CHECKSUM);
      assertThat(bytes(b, AT, n)).as("left as it was").isEqualTo(before);
    }
    assertThat(t.drops(DropReason.UDP_ZERO_CHECKSUM)).isEqualTo(2);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = ForwardingMode.class, names = {"TRANSPARENT", "ROUTER", "DSR_DSCP", "FULL_NAT"})
  void ipv4UdpWithoutAChecksum_staysWithout(ForwardingMode mode) throws Exception {
    PacketTranslator t = translator(mode, false);
    ByteBuffer b = ByteBuffer.allocate(1024);
    int n = udp(false, CLIENT4, VIP4, 40000, 53).udpChecksum(false).writeUdp(b, AT);
    Frame f = new Frame(b, AT, n);
    assertThat(Verdict.action(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
    FrameParser p = new FrameParser();
    p.parse(b, f.offset(), f.length());
    assertThat(b.getShort(p.l4Offset() + 6)).as("0 means none and stays none").isZero();
    List<String[]> rows = Tshark.decode("udp-none-" + mode.modeName(), List.of(bytes(b, f.offset(), f.length())),
        "ip.checksum.status", "udp.checksum.status");
    assertThat(rows.get(0)[0]).isEqualTo("1");
    assertThat(rows.get(0)[1]).as("not present").isEqualTo("3");
  }

  /**
   * Builds a request whose translation computes a transport checksum of exactly 0: translates a
   * probe, then adds the probe's output checksum to a payload word of the input (the payload is not
   * rewritten, so the output's sum moves by the same amount, to 0xFFFF).
   */
  private static byte[] requestWhoseTranslationSumsToZero(ForwardingMode mode, boolean six, boolean tcp) {
    ByteBuffer b = ByteBuffer.allocate(1024);
    FrameBuilder fb = udp(six, client(six), vip(six), 40000, 53);
    int n = tcp ? fb.tcpFlags(TcpFlyweight.SYN).writeTcp(b, AT) : fb.writeUdp(b, AT);
    byte[] input = bytes(b, AT, n);
    PacketTranslator probe = translator(mode, six);
    Frame f = new Frame(b, AT, n);
    assertThat(Verdict.action(probe.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
    FrameParser p = new FrameParser();
    p.parse(b, f.offset(), f.length());
    int checksumAt = p.l4Offset() + (tcp ? 16 : 6);
    int outputChecksum = b.getShort(checksumAt) & 0xFFFF;
    ByteBuffer in = ByteBuffer.wrap(input);
    p.parse(in, 0, input.length);
    int word = p.l4Offset() + (tcp ? 20 : 8);
    int w = (in.getShort(word) & 0xFFFF) + outputChecksum;
    in.putShort(word, (short) ((w & 0xFFFF) + (w >>> 16)));
    int at = p.l4Offset() + (tcp ? 16 : 6);
    in.putShort(at, (short) 0);
    int l4 = p.l4Offset();
    int len = p.l3End() - l4;
    int c = six ? Checksums.transportChecksumV6(in, p.l3Offset(), l4, len, tcp ? 6 : 17)
        : Checksums.transportChecksumV4(in, p.l3Offset(), l4, len, tcp ? 6 : 17);
    in.putShort(at, (short) (!tcp && c == 0 ? 0xFFFF : c));
    return input;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(value = ForwardingMode.class, names = {"TRANSPARENT", "ROUTER", "DSR_DSCP", "FULL_NAT"})
  void aUdpChecksumThatComputesToZero_isSentAsAllOnes_andATcpOneStaysZero(ForwardingMode mode) throws Exception {
    List<byte[]> out = new ArrayList<>();
    for (boolean six : new boolean[] {false, true}) {
      for (boolean tcp : new boolean[] {false, true}) {
        byte[] input = requestWhoseTranslationSumsToZero(mode, six, tcp);
        ByteBuffer b = ByteBuffer.allocate(1024);
        b.put(AT, input);
        Frame f = new Frame(b, AT, input.length);
        assertThat(Verdict.action(translator(mode, six).translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
        FrameParser p = new FrameParser();
        p.parse(b, f.offset(), f.length());
        int field = b.getShort(p.l4Offset() + (tcp ? 16 : 6)) & 0xFFFF;
        assertThat(field).as("%s ipv6=%s tcp=%s", mode, six, tcp).isEqualTo(tcp ? 0 : 0xFFFF);
        assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
        out.add(bytes(b, f.offset(), f.length()));
      }
    }
    for (String[] row : Tshark.decode("zero-sum-" + mode.modeName(), out, "tcp.checksum.status", "udp.checksum.status")) {
      assertThat(row[0] + row[1]).isEqualTo("1");
    }
  }

  @Test
  void anIpv4HeaderWithABadChecksum_isDroppedAsBadChecksum_inEveryMode() {
    for (ForwardingMode mode : ForwardingMode.values()) {
      PacketTranslator t = translator(mode, false);
      ByteBuffer b = ByteBuffer.allocate(1024);
      int n = udp(false, CLIENT4, VIP4, 40000, 53).writeUdp(b, AT);
      b.putShort(AT + 24, (short) (b.getShort(AT + 24) ^ 0x0101));
      assertThat(Verdict.reason(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).as(mode.modeName())
          .isEqualTo(DropReason.BAD_CHECKSUM);
    }
  }
}
