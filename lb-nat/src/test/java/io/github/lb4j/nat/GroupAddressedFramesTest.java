package io.github.lb4j.nat;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.FrameParser;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Frames from the servers' side addressed to a group are the link's own chatter, not replies whose
 * flow was lost: a Linux bridge without an MLD querier floods every listener report to all its ports
 * (the servers send them for a few seconds after an address comes up), and mDNS or IPv4 multicast
 * reach every port too. They are dropped as {@code NOT_FOR_VIP}, so that {@code NO_FLOW} counts only
 * replies that found no flow (the datapath labs assert it stays 0).
 */
class GroupAddressedFramesTest {

  private static final int AT = 128;
  private static final long SERVER_MAC = MacAddress.parse("02:00:00:00:01:11").toLong();
  private static final long MLD_GROUP_MAC = 0x3333_0000_0016L;

  static List<Arguments> cases() {
    List<Arguments> a = new ArrayList<>();
    for (ForwardingMode m : ForwardingMode.values()) {
      if (m.repliesPassBalancer()) {
        a.add(Arguments.of(m));
      }
    }
    return a;
  }

  private final ByteBuffer buffer = ByteBuffer.allocateDirect(2048);

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void anMldReportAndMulticastOrBroadcastDatagrams_areNotForTheBalancer_notLostReplies(ForwardingMode mode) {
    PacketTranslator v6 = Lab.translator(mode, true);
    PacketTranslator v4 = Lab.translator(mode, false);

    // MLDv2 listener report, to ff02::16 behind a hop-by-hop header (router alert): from a
    // link-local address; from the unspecified one (as during DAD) no router forwards it anyway
    assertThat(reason(v6, mldReport(0, 0))).isEqualTo(DropReason.INVALID_ADDRESS);
    assertThat(reason(v6, mldReport(0xFE80_0000_0000_0000L, 0x2813_FEFF_FE22_7AD8L))).isEqualTo(DropReason.NOT_FOR_VIP);
    // mDNS over IPv6 and IPv4; a datagram to the IPv4 limited broadcast, which no router forwards
    assertThat(reason(v6, new FrameBuilder().macs(0x3333_0000_00FBL, SERVER_MAC)
        .ipv6(IpAddresses.high(Lab.RIP6), IpAddresses.low(Lab.RIP6), 0xFF02_0000_0000_0000L, 0xFBL)
        .ports(5353, 5353).payload(20).writeUdp(buffer, AT))).isEqualTo(DropReason.NOT_FOR_VIP);
    assertThat(reason(v4, new FrameBuilder().macs(0x0100_5E00_00FBL, SERVER_MAC).ipv4(IpAddresses.v4(Lab.RIP4), 0xE000_00FB)
        .ports(5353, 5353).payload(20).writeUdp(buffer, AT))).isEqualTo(DropReason.NOT_FOR_VIP);
    assertThat(reason(v4, new FrameBuilder().macs(0xFFFF_FFFF_FFFFL, SERVER_MAC).ipv4(IpAddresses.v4(Lab.RIP4), 0xFFFF_FFFF)
        .ports(68, 67).payload(20).writeUdp(buffer, AT))).isEqualTo(DropReason.INVALID_ADDRESS);

    assertThat(v6.drops(DropReason.NO_FLOW) + v4.drops(DropReason.NO_FLOW)).isZero();
    // a unicast reply without its flow is still one
    assertThat(reason(v4, new FrameBuilder().macs(Lab.LB_MAC.toLong(), SERVER_MAC).ipv4(IpAddresses.v4(Lab.RIP4),
        IpAddresses.v4(Lab.CLIENT4)).ports(8080, 40_000).tcpFlags(0x10).writeTcp(buffer, AT))).isEqualTo(DropReason.NO_FLOW);
  }

  /** An MLDv2 report as Linux sends it: hop-by-hop header, ICMPv6 type 143 (RFC 3810 §5.2). */
  private int mldReport(long srcHigh, long srcLow) {
    int n = new FrameBuilder().macs(MLD_GROUP_MAC, SERVER_MAC).ipv6(srcHigh, srcLow, 0xFF02_0000_0000_0000L, 0x16L)
        .ipv6Extensions(true, false).payload(20).writeEcho(buffer, AT, true);
    FrameParser p = new FrameParser();
    assertThat(p.parse(buffer, AT, n)).isEqualTo(FrameParser.OK);
    buffer.put(p.l4Offset(), (byte) 143);
    return n;
  }

  private DropReason reason(PacketTranslator t, int length) {
    int v = t.translate(new Frame(buffer, AT, length), Direction.SERVER_TO_CLIENT);
    assertThat(Verdict.action(v)).as(Verdict.toString(v)).isEqualTo(Verdict.DROP);
    return Verdict.reason(v);
  }
}
