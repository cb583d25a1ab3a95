package io.github.lb4j.nat.header;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.ImmutableFlowKey;
import io.github.lb4j.api.Protocol;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class FrameParserTest {

  private final FrameParser p = new FrameParser();
  private final ByteBuffer b = ByteBuffer.allocate(512);
  private static final int CLIENT = Hex.v4(192, 0, 2, 1);
  private static final int VIP = Hex.v4(203, 0, 113, 5);
  private static final long DB8 = 0x2001_0db8_0000_0000L;

  private FrameBuilder v4() {
    return new FrameBuilder().macs(1, 2).ipv4(CLIENT, VIP).ports(40000, 80);
  }

  @Test
  void tcpOverIpv4_isAFlowKeyThatHashesLikeTheImmutableKey() throws Exception {
    int n = v4().tcpFlags(TcpFlyweight.SYN).writeTcp(b, 0);
    assertThat(p.parse(b, 0, n)).isEqualTo(FrameParser.OK);
    assertThat(p.l3Offset()).isEqualTo(14);
    assertThat(p.l4Offset()).isEqualTo(34);
    assertThat(p.l4HeaderLength()).isEqualTo(20);
    assertThat(p.tcpFlags()).isEqualTo(TcpFlyweight.SYN);
    FlowKey expected = ImmutableFlowKey.of(Protocol.TCP, InetAddress.getByName("192.0.2.1"), 40000,
        InetAddress.getByName("203.0.113.5"), 80);
    assertThat(FlowKey.sameFlow(p, expected)).isTrue();
    assertThat(p.hash64()).isEqualTo(expected.hash64());
  }

  @Test
  void ethernetPaddingAfterTheIpPacket_isExcluded() {
    int n = v4().writeUdp(b, 0);
    assertThat(p.parse(b, 0, n + 10)).isEqualTo(FrameParser.OK);
    assertThat(p.l3End()).isEqualTo(n);
  }

  @Test
  void vlanTaggedFrame_movesTheNetworkHeader() {
    int n = v4().vlan(7).writeUdp(b, 0);
    assertThat(p.parse(b, 0, n)).isEqualTo(FrameParser.OK);
    assertThat(p.tagged()).isTrue();
    assertThat(p.l3Offset()).isEqualTo(18);
    assertThat(p.destinationPort()).isEqualTo(80);
  }

  @Test
  void ipv6ExtensionHeaders_areWalkedToTheTransportHeader() {
    int n = new FrameBuilder().ipv6(DB8, 1, DB8, 2).ipv6Extensions(true, true).fragment(99, 1, 0).ports(5, 6)
        .ipv6Extensions(true, true).writeUdp(b, 0);
    assertThat(p.parse(b, 0, n)).isEqualTo(FrameParser.OK);
    assertThat(p.isIpv6()).isTrue();
    assertThat(p.fragment()).isTrue();
    assertThat(p.firstFragment()).isTrue();
    assertThat(p.fragmentIdentification()).isEqualTo(99);
    assertThat(p.l4Offset()).isEqualTo(14 + 40 + 16);
    assertThat(p.protocolNumber()).isEqualTo(17);
    assertThat(p.sourcePort()).isEqualTo(5);
  }

  @Test
  void laterFragments_haveNoTransportHeader() {
    int n = v4().fragment(7, 0, 100).writeUdp(b, 0);
    assertThat(p.parse(b, 0, n)).isEqualTo(FrameParser.OK);
    assertThat(p.fragment()).isTrue();
    assertThat(p.firstFragment()).isFalse();
    assertThat(p.l4HeaderLength()).isZero();
    assertThat(p.sourcePort()).isZero();
  }

  @Test
  void echo_carriesItsIdentifierAsSourcePort() {
    int n = v4().ports(0x77, 3).writeEcho(b, 0, true);
    assertThat(p.parse(b, 0, n)).isEqualTo(FrameParser.OK);
    assertThat(p.icmpType()).isEqualTo(8);
    assertThat(p.sourcePort()).isEqualTo(0x77);
    assertThat(p.destinationPort()).isZero();
    assertThat(p.icmpError()).isFalse();
  }

  @Test
  void arp_isClassifiedWithItsAddresses() {
    int n = v4().writeArpRequest(b, 0);
    assertThat(p.parse(b, 0, n)).isEqualTo(FrameParser.OK);
    assertThat(p.etherType()).isEqualTo(EthernetFlyweight.ETHER_TYPE_ARP);
    assertThat(p.destinationAddressV4()).isEqualTo(VIP);
  }

  @Test
  void truncatedHeaders_areTruncated() {
    int n = v4().writeTcp(b, 0);
    for (int cut : new int[] {0, 13, 20, 33, 40, 53}) {
      assertThat(p.parse(b, 0, cut)).as("cut at %d", cut).isEqualTo(DropReason.TRUNCATED.code());
    }
    assertThat(p.parse(b, 0, n)).isEqualTo(FrameParser.OK);
  }

  @Test
  void contradictoryFields_areMalformed() {
    int n = v4().writeTcp(b, 0);
    b.put(14, (byte) 0x44);
    assertThat(p.parse(b, 0, n)).as("IHL 4").isEqualTo(DropReason.MALFORMED.code());
    b.put(14, (byte) 0x55);
    assertThat(p.parse(b, 0, n)).as("version 5").isEqualTo(DropReason.MALFORMED.code());
    b.put(14, (byte) 0x45);
    b.putShort(16, (short) 10);
    assertThat(p.parse(b, 0, n)).as("total length below IHL").isEqualTo(DropReason.MALFORMED.code());
    b.putShort(16, (short) 40);
    b.put(46, (byte) 0x40);
    assertThat(p.parse(b, 0, n)).as("TCP data offset 4").isEqualTo(DropReason.MALFORMED.code());
    n = v4().writeUdp(b, 0);
    b.putShort(38, (short) 4);
    assertThat(p.parse(b, 0, n)).as("UDP length 4").isEqualTo(DropReason.MALFORMED.code());
  }

  @Test
  void unknownEtherTypeAndLittleEndianBuffers_areUnsupported() {
    int n = v4().writeTcp(b, 0);
    b.putShort(12, (short) 0x88CC);
    assertThat(p.parse(b, 0, n)).isEqualTo(DropReason.UNSUPPORTED.code());
    ByteBuffer le = ByteBuffer.allocate(100).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(p.parse(le, 0, 60)).isEqualTo(DropReason.UNSUPPORTED.code());
  }
}
