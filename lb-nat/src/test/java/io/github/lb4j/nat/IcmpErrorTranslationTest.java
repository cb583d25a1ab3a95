package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ICMP errors quoting a tracked flow are translated, inner header included, and sent to the right side. */
class IcmpErrorTranslationTest {

  private static final int AT = 128;

  /** Builds an ICMP port-unreachable from {@code from} to {@code to} quoting the given TCP segment. */
  private static int error(ByteBuffer b, boolean six, InetAddress from, InetAddress to, long dmac, long smac,
      InetAddress qsrc, int qsport, InetAddress qdst, int qdport) {
    ByteBuffer q = ByteBuffer.allocate(256);
    int qn = builder(six, qsrc, qdst).ports(qsport, qdport).tcpFlags(TcpFlyweight.SYN).writeTcp(q, 0);
    int quoted = six ? qn - 14 : 28;
    int n = builder(six, from, to).macs(dmac, smac).payload(quoted).ports(0, 0).writeEcho(b, AT, true);
    int l3 = AT + 14;
    int l4 = l3 + (six ? 40 : 20);
    for (int i = 0; i < quoted; i++) {
      b.put(l4 + 8 + i, q.get(14 + i));
    }
    b.putInt(l4, (six ? 1 : 3) << 24 | (six ? 4 : 3) << 16);
    b.putInt(l4 + 4, 0);
    if (six) {
      b.putShort(l4 + 2, (short) Checksums.transportChecksumV6(b, l3, l4, 8 + quoted, 58));
    } else {
      b.putShort(l4 + 2, (short) Checksums.checksum(b, l4, 8 + quoted));
    }
    return n;
  }

  @ParameterizedTest(name = "{0} ipv6={1}")
  @CsvSource({"TRANSPARENT,false", "TRANSPARENT,true", "ROUTER,false", "FULL_NAT,false", "FULL_NAT,true"})
  void serverErrorAboutARequest_reachesTheClientQuotingTheVip(ForwardingMode mode, boolean six) {
    PacketTranslator t = translator(mode, six);
    ByteBuffer b = ByteBuffer.allocate(1024);
    InetAddress client = six ? CLIENT6 : CLIENT4;
    InetAddress vip = six ? VIP6 : VIP4;
    InetAddress rip = six ? RIP6 : RIP4;
    int n = builder(six, client, vip).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(40000, 80).tcpFlags(TcpFlyweight.SYN)
        .writeTcp(b, AT);
    Frame f = new Frame(b, AT, n);
    assertThat(Verdict.action(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
    FrameParser p = new FrameParser();
    p.parse(b, f.offset(), f.length());
    InetAddress seenSource = mode == ForwardingMode.FULL_NAT ? (six ? SNAT6 : SNAT4) : client;
    int seenPort = p.sourcePort();
    // the server refuses the request it saw: error from RIP to the request's source, quoting it
    n = error(b, six, rip, seenSource, LB_MAC.toLong(), RIP_MAC.toLong(), seenSource, seenPort, rip, 8080);
    f = new Frame(b, AT, n);
    assertThat(Verdict.toString(t.translate(f, Direction.SERVER_TO_CLIENT))).isEqualTo("forward(0)");
    assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
    assertThat(p.parse(b, f.offset(), f.length())).isEqualTo(FrameParser.OK);
    assertThat(p.sourceAddressLow()).isEqualTo(IpAddresses.low(vip));
    assertThat(p.destinationAddressLow()).isEqualTo(IpAddresses.low(client));
    assertThat(p.parseQuoted()).isEqualTo(FrameParser.OK);
    assertThat(p.innerSourceAddressLow()).isEqualTo(IpAddresses.low(client));
    assertThat(p.innerSourcePort()).isEqualTo(40000);
    assertThat(p.innerDestinationAddressLow()).isEqualTo(IpAddresses.low(vip));
    assertThat(p.innerDestinationPort()).isEqualTo(80);
    if (!six) {
      int in = p.innerL3Offset();
      assertThat(Checksums.fold(Checksums.sum(b, in, 20, 0))).as("quoted IPv4 header checksum").isEqualTo(0xFFFF);
    }
    assertThat(t.count(NatCounter.ICMP_ERRORS_TRANSLATED)).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"TRANSPARENT", "DSR_DSCP", "FULL_NAT"})
  void clientErrorAboutAReply_reachesTheServerQuotingWhatItSent(ForwardingMode mode) {
    PacketTranslator t = translator(mode, false);
    ByteBuffer b = ByteBuffer.allocate(1024);
    int n = builder(false, CLIENT4, VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(40000, 80).tcpFlags(TcpFlyweight.SYN)
        .writeTcp(b, AT);
    Frame f = new Frame(b, AT, n);
    assertThat(Verdict.action(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
    // the client refuses a reply from the VIP
    n = error(b, false, CLIENT4, VIP4, LB_MAC.toLong(), GW_MAC.toLong(), VIP4, 80, CLIENT4, 40000);
    f = new Frame(b, AT, n);
    assertThat(Verdict.toString(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo("forward(1)");
    assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
    FrameParser p = new FrameParser();
    p.parse(b, f.offset(), f.length());
    assertThat(p.destinationAddressV4()).isEqualTo(IpAddresses.v4(RIP4));
    assertThat(p.parseQuoted()).isEqualTo(FrameParser.OK);
    // dsr-dscp: the server answered from the VIP it holds and restores the outer destination by
    // DSCP, so the quote must keep naming the VIP for its socket to be found
    assertThat((int) p.innerSourceAddressLow()).isEqualTo(IpAddresses.v4(mode == ForwardingMode.DSR_DSCP ? VIP4 : RIP4));
    if (mode == ForwardingMode.FULL_NAT) {
      assertThat((int) p.innerDestinationAddressLow()).isEqualTo(IpAddresses.v4(SNAT4));
      assertThat(p.sourceAddressV4()).isEqualTo(IpAddresses.v4(SNAT4));
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"TRANSPARENT", "FULL_NAT"})
  void errorsAboutNoTrackedFlow_areDroppedAndCounted(ForwardingMode mode) {
    PacketTranslator t = translator(mode, false);
    ByteBuffer b = ByteBuffer.allocate(1024);
    int n = error(b, false, RIP4, CLIENT4, LB_MAC.toLong(), RIP_MAC.toLong(), CLIENT4, 1234, RIP4, 8080);
    assertThat(Verdict.reason(t.translate(new Frame(b, AT, n), Direction.SERVER_TO_CLIENT)))
        .isEqualTo(DropReason.ICMP_UNMATCHED);
    assertThat(t.drops(DropReason.ICMP_UNMATCHED)).isEqualTo(1);
  }
}
