package io.github.lb4j.nat.header;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Golden bytes at absolute offsets for every header. The expected frames come from an independent
 * encoder, {@code lb-nat/src/test/python/golden.py}, written from the RFC layouts.
 */
class HeaderGoldenBytesTest {

  static final String TCP_SYN_V4 =
      "0200000000010200000000020800450000280001400040063cc8c0000201cb0071059c40005000000001000000005002faf01a590000";
  static final String UDP_VLAN_V4 =
      "02000000000102000000000281000064080045b80020000140004011d3cfc6336407cb00710914e90035000c000000010203";
  static final String ECHO_V4_OPTIONS =
      "02000000000102000000000208004600002400014000400139d0c0000201cb007105010101000800f5eb0007000900010203";
  static final String FRAGMENT_V4 =
      "02000000000102000000000208004500001c123400b9401169ddc0000201cb0071050001020304050607";
  static final String TCP_V6_HOPBYHOP =
      "02000000000102000000000286dd60000000001c004020010db800000000000000000000000120010db800000000000000000000010006000104000000009c4001bb00000001000000005012faf0ba720000";
  static final String ECHO_V6 =
      "02000000000102000000000286dd60000000000c3a4020010db800000000000000000000000120010db8000000000000000000000100800020ff0042000100010203";
  static final String NEIGHBOR_SOLICITATION =
      "02000000000102000000000286dd6000000000203aff20010db8000000000000000000000001ff0200000000000000000001ff00010087001a2a0000000020010db80000000000000000000001000101020000000002";
  static final String ARP_REQUEST =
      "ffffffffffff02000000000208060001080006040001020000000002c0000201000000000000c000020a";
  static final String IPIP_V4 =
      "02000000000102000000000208004500003c000040004004e64bc6336401c633640a450000280001400040063cc8c0000201cb0071059c40005000000001000000005002faf01a590000";
  static final String FRAG_NEEDED_V4 =
      "0200000000020200000000010800450000380000000040018e8fc6336401c000020103045aa2000005c8450000280001400040063cc8c0000201cb0071059c40005000000001";
  static final String IP6IP6 =
      "02000000000102000000000286dd600000000034294020010db800010000000000000000000120010db800010000000000000000001060000000000c3a4020010db800000000000000000000000120010db8000000000000000000000100800020ff0042000100010203";

  static final long LB_MAC = 0x0200_0000_0001L;
  static final long CLIENT_MAC = 0x0200_0000_0002L;
  static final int CLIENT = Hex.v4(192, 0, 2, 1);
  static final int VIP = Hex.v4(203, 0, 113, 5);
  static final long DB8 = 0x2001_0db8_0000_0000L;

  private final ByteBuffer b = ByteBuffer.allocate(256);

  static FrameBuilder tcpSyn() {
    return new FrameBuilder().macs(LB_MAC, CLIENT_MAC).ipv4(CLIENT, VIP).ports(40000, 80)
        .tcpFlags(TcpFlyweight.SYN).sequence(1, 0);
  }

  @Test
  void ethernetIpv4AndTcp_areWrittenAtTheirOffsets() {
    int n = tcpSyn().writeTcp(b, 0);
    assertThat(Hex.of(b, 0, n)).isEqualTo(TCP_SYN_V4);
    EthernetFlyweight eth = new EthernetFlyweight().wrap(b, 0);
    // Ethernet: destination 0..5, source 6..11, EtherType 12..13
    assertThat(Hex.of(b, 0, 6)).isEqualTo("020000000001");
    assertThat(Hex.of(b, 6, 6)).isEqualTo("020000000002");
    assertThat(Hex.of(b, 12, 2)).isEqualTo("0800");
    assertThat(eth.destination()).isEqualTo(LB_MAC);
    assertThat(eth.source()).isEqualTo(CLIENT_MAC);
    assertThat(eth.headerLength()).isEqualTo(14);
    Ipv4Flyweight ip = new Ipv4Flyweight().wrap(b, 14);
    // IPv4: version/IHL 14, DSCP/ECN 15, total length 16..17, id 18..19, flags/offset 20..21
    assertThat(Hex.of(b, 14, 8)).isEqualTo("4500002800014000");
    // TTL 22, protocol 23, header checksum 24..25, source 26..29, destination 30..33
    assertThat(Hex.of(b, 22, 12)).isEqualTo("40063cc8c0000201cb007105");
    assertThat(ip.version()).isEqualTo(4);
    assertThat(ip.headerLength()).isEqualTo(20);
    assertThat(ip.totalLength()).isEqualTo(40);
    assertThat(ip.dontFragment()).isTrue();
    assertThat(ip.moreFragments()).isFalse();
    assertThat(ip.timeToLive()).isEqualTo(64);
    assertThat(ip.protocol()).isEqualTo(6);
    assertThat(ip.headerChecksum()).isEqualTo(0x3cc8);
    assertThat(ip.sourceAddress()).isEqualTo(CLIENT);
    assertThat(Ipv4Flyweight.destinationAddress(b, 14)).isEqualTo(VIP);
    TcpFlyweight tcp = new TcpFlyweight().wrap(b, 34);
    // TCP: ports 34..37, sequence 38..41, ack 42..45, data offset 46, flags 47, window 48..49, checksum 50..51
    assertThat(Hex.of(b, 34, 4)).isEqualTo("9c400050");
    assertThat(Hex.of(b, 38, 8)).isEqualTo("0000000100000000");
    assertThat(Hex.of(b, 46, 6)).isEqualTo("5002faf01a59");
    assertThat(tcp.sourcePort()).isEqualTo(40000);
    assertThat(tcp.destinationPort()).isEqualTo(80);
    assertThat(tcp.sequenceNumber()).isEqualTo(1);
    assertThat(tcp.headerLength()).isEqualTo(20);
    assertThat(tcp.flags()).isEqualTo(TcpFlyweight.SYN);
    assertThat(tcp.window()).isEqualTo(64240);
    assertThat(TcpFlyweight.checksum(b, 34)).isEqualTo(0x1a59);
  }

  @Test
  void vlanTagDscpAndZeroUdpChecksum_areWrittenAtTheirOffsets() {
    int n = new FrameBuilder().macs(LB_MAC, CLIENT_MAC).vlan(100).ipv4(Hex.v4(198, 51, 100, 7), Hex.v4(203, 0, 113, 9))
        .dscpEcn(46 << 2).ports(5353, 53).payload(4).udpChecksum(false).writeUdp(b, 0);
    assertThat(Hex.of(b, 0, n)).isEqualTo(UDP_VLAN_V4);
    EthernetFlyweight eth = new EthernetFlyweight().wrap(b, 0);
    // 802.1Q: TPID 12..13, TCI 14..15, EtherType 16..17
    assertThat(Hex.of(b, 12, 6)).isEqualTo("810000640800");
    assertThat(eth.tagged()).isTrue();
    assertThat(eth.vlanIdentifier()).isEqualTo(100);
    assertThat(eth.priorityCodePoint()).isZero();
    assertThat(eth.payloadEtherType()).isEqualTo(0x0800);
    assertThat(eth.headerLength()).isEqualTo(18);
    Ipv4Flyweight ip = new Ipv4Flyweight().wrap(b, 18);
    // DSCP 46 (EF) and ECN 0 at 19
    assertThat(Hex.of(b, 19, 1)).isEqualTo("b8");
    assertThat(ip.differentiatedServicesCodePoint()).isEqualTo(46);
    assertThat(ip.explicitCongestionNotification()).isZero();
    UdpFlyweight udp = new UdpFlyweight().wrap(b, 38);
    // UDP: ports 38..41, length 42..43, checksum 44..45 (0: none)
    assertThat(Hex.of(b, 38, 8)).isEqualTo("14e90035000c0000");
    assertThat(udp.sourcePort()).isEqualTo(5353);
    assertThat(udp.destinationPort()).isEqualTo(53);
    assertThat(udp.length()).isEqualTo(12);
    assertThat(udp.checksum()).isZero();
  }

  @Test
  void ipv4OptionsAndIcmpEcho_areWrittenAtTheirOffsets() {
    int n = new FrameBuilder().macs(LB_MAC, CLIENT_MAC).ipv4(CLIENT, VIP).ipv4Options(1).ports(7, 9).payload(4)
        .writeEcho(b, 0, true);
    assertThat(Hex.of(b, 0, n)).isEqualTo(ECHO_V4_OPTIONS);
    Ipv4Flyweight ip = new Ipv4Flyweight().wrap(b, 14);
    // IHL 6 at 14, options 34..37
    assertThat(Hex.of(b, 14, 1)).isEqualTo("46");
    assertThat(Hex.of(b, 34, 4)).isEqualTo("01010100");
    assertThat(ip.optionsLength()).isEqualTo(4);
    Icmpv4Flyweight icmp = new Icmpv4Flyweight().wrap(b, 38);
    // ICMP: type 38, code 39, checksum 40..41, identifier 42..43, sequence 44..45
    assertThat(Hex.of(b, 38, 8)).isEqualTo("0800f5eb00070009");
    assertThat(icmp.type()).isEqualTo(Icmpv4Flyweight.TYPE_ECHO_REQUEST);
    assertThat(icmp.identifier()).isEqualTo(7);
    assertThat(icmp.sequenceNumber()).isEqualTo(9);
    assertThat(icmp.checksum()).isEqualTo(0xf5eb);
  }

  @Test
  void ipv4FragmentFields_areWrittenAtTheirOffsets() {
    FrameBuilder fb = new FrameBuilder().macs(LB_MAC, CLIENT_MAC).ipv4(CLIENT, VIP).fragment(0x1234, 0, 185);
    // a non-first fragment carries raw bytes: write a UDP frame and overwrite its would-be header
    int n = fb.payload(0).writeUdp(b, 0);
    for (int i = 0; i < 8; i++) {
      b.put(34 + i, (byte) i);
    }
    new Ipv4Flyweight().wrap(b, 14).computeHeaderChecksum();
    assertThat(Hex.of(b, 0, n)).isEqualTo(FRAGMENT_V4);
    Ipv4Flyweight ip = new Ipv4Flyweight().wrap(b, 14);
    // identification 18..19, flags and fragment offset 20..21
    assertThat(Hex.of(b, 18, 4)).isEqualTo("123400b9");
    assertThat(ip.identification()).isEqualTo(0x1234);
    assertThat(ip.flags()).isZero();
    assertThat(ip.fragmentOffset()).isEqualTo(185);
  }

  @Test
  void ipv6HopByHopAndTcp_areWrittenAtTheirOffsets() {
    int n = new FrameBuilder().macs(LB_MAC, CLIENT_MAC).ipv6(DB8, 1, DB8, 0x100).ipv6Extensions(true, false)
        .ports(40000, 443).tcpFlags(TcpFlyweight.SYN | TcpFlyweight.ACK).sequence(1, 0).writeTcp(b, 0);
    assertThat(Hex.of(b, 0, n)).isEqualTo(TCP_V6_HOPBYHOP);
    Ipv6Flyweight ip = new Ipv6Flyweight().wrap(b, 14);
    // version/class/label 14..17, payload length 18..19, next header 20, hop limit 21
    assertThat(Hex.of(b, 14, 8)).isEqualTo("60000000001c0040");
    // source 22..37, destination 38..53
    assertThat(Hex.of(b, 22, 16)).isEqualTo("20010db8000000000000000000000001");
    assertThat(Hex.of(b, 38, 16)).isEqualTo("20010db8000000000000000000000100");
    // hop-by-hop 54..61: next header TCP, length 0, PadN
    assertThat(Hex.of(b, 54, 8)).isEqualTo("0600010400000000");
    assertThat(ip.version()).isEqualTo(6);
    assertThat(ip.payloadLength()).isEqualTo(28);
    assertThat(ip.nextHeader()).isEqualTo(Ipv6Flyweight.NEXT_HEADER_HOP_BY_HOP);
    assertThat(ip.hopLimit()).isEqualTo(64);
    assertThat(ip.sourceAddressHigh()).isEqualTo(DB8);
    assertThat(ip.destinationAddressLow()).isEqualTo(0x100);
    FrameParser p = new FrameParser();
    assertThat(p.parse(b, 0, n)).isEqualTo(FrameParser.OK);
    assertThat(p.l4Offset()).isEqualTo(62);
    assertThat(p.protocolNumber()).isEqualTo(6);
    assertThat(p.destinationPort()).isEqualTo(443);
    assertThat(TcpFlyweight.checksum(b, 62)).isEqualTo(0xba72);
  }

  @Test
  void icmpv6EchoAndNeighborSolicitation_areWrittenAtTheirOffsets() {
    FrameBuilder fb = new FrameBuilder().macs(LB_MAC, CLIENT_MAC).ipv6(DB8, 1, DB8, 0x100).ports(0x42, 1).payload(4);
    int n = fb.writeEcho(b, 0, true);
    assertThat(Hex.of(b, 0, n)).isEqualTo(ECHO_V6);
    Icmpv6Flyweight icmp = new Icmpv6Flyweight().wrap(b, 54);
    // type 54, code 55, checksum 56..57, identifier 58..59, sequence 60..61
    assertThat(Hex.of(b, 54, 8)).isEqualTo("800020ff00420001");
    assertThat(icmp.type()).isEqualTo(Icmpv6Flyweight.TYPE_ECHO_REQUEST);
    assertThat(icmp.identifier()).isEqualTo(0x42);
    n = fb.writeNeighborSolicitation(b, 0);
    assertThat(Hex.of(b, 0, n)).isEqualTo(NEIGHBOR_SOLICITATION);
    icmp.wrap(b, 54);
    // type 135 at 54, target 62..77, source link-layer option 78..85
    assertThat(Hex.of(b, 62, 16)).isEqualTo("20010db8000000000000000000000100");
    assertThat(Hex.of(b, 78, 8)).isEqualTo("0101020000000002");
    assertThat(icmp.type()).isEqualTo(Icmpv6Flyweight.TYPE_NEIGHBOR_SOLICITATION);
    assertThat(icmp.targetAddressHigh()).isEqualTo(DB8);
    assertThat(icmp.targetAddressLow()).isEqualTo(0x100);
  }

  @Test
  void arpRequest_isWrittenAtItsOffsets() {
    int n = new FrameBuilder().macs(0xFFFF_FFFF_FFFFL, CLIENT_MAC).ipv4(CLIENT, Hex.v4(192, 0, 2, 10))
        .writeArpRequest(b, 0);
    assertThat(Hex.of(b, 0, n)).isEqualTo(ARP_REQUEST);
    ArpFlyweight arp = new ArpFlyweight().wrap(b, 14);
    // HTYPE 14..15, PTYPE 16..17, HLEN 18, PLEN 19, OPER 20..21
    assertThat(Hex.of(b, 14, 8)).isEqualTo("0001080006040001");
    // SHA 22..27, SPA 28..31, THA 32..37, TPA 38..41
    assertThat(Hex.of(b, 22, 20)).isEqualTo("020000000002c0000201000000000000c000020a");
    assertThat(arp.operation()).isEqualTo(ArpFlyweight.OPERATION_REQUEST);
    assertThat(arp.senderHardwareAddress()).isEqualTo(CLIENT_MAC);
    assertThat(arp.senderProtocolAddress()).isEqualTo(CLIENT);
    assertThat(arp.targetProtocolAddress()).isEqualTo(Hex.v4(192, 0, 2, 10));
  }

  @Test
  void ipipEncapsulation_pushesTheOuterHeaderIntoTheHeadroom() {
    ByteBuffer big = ByteBuffer.allocate(256);
    int n = tcpSyn().writeTcp(big, 64);
    int start = Encapsulation.pushIpv4(big, 64, 14, n - 14, false, Hex.v4(198, 51, 100, 1),
        Hex.v4(198, 51, 100, 10), 64, 0, 0);
    assertThat(start).isEqualTo(44);
    assertThat(Hex.of(big, start, n + 20)).isEqualTo(IPIP_V4);
    // outer header at start+14: protocol 4 at +23, checksum +24..25
    assertThat(Hex.of(big, start + 23, 3)).isEqualTo("04e64b");
  }

  @Test
  void ipv6InIpv6Encapsulation_pushesTheOuterHeaderIntoTheHeadroom() {
    ByteBuffer big = ByteBuffer.allocate(256);
    int n = new FrameBuilder().macs(LB_MAC, CLIENT_MAC).ipv6(DB8, 1, DB8, 0x100).ports(0x42, 1).payload(4)
        .writeEcho(big, 64, true);
    int start = Encapsulation.pushIpv6(big, 64, 14, n - 14, true, 0x2001_0db8_0001_0000L, 1,
        0x2001_0db8_0001_0000L, 0x10, 64, 0, 0);
    assertThat(start).isEqualTo(24);
    assertThat(Hex.of(big, start, n + 40)).isEqualTo(IP6IP6);
  }

  @Test
  void fragmentationNeeded_quotesTheOffendingHeader() {
    ByteBuffer syn = ByteBuffer.allocate(64);
    tcpSyn().writeTcp(syn, 0);
    int n = new FrameBuilder().macs(CLIENT_MAC, LB_MAC).ipv4(Hex.v4(198, 51, 100, 1), CLIENT).fragment(0, 0, 0)
        .payload(0).writeEcho(b, 0, true);
    int l4 = 34;
    for (int i = 0; i < 28; i++) {
      b.put(l4 + 8 + i, syn.get(14 + i));
    }
    Ipv4Flyweight ip = new Ipv4Flyweight().wrap(b, 14);
    ip.totalLength(20 + 8 + 28).computeHeaderChecksum();
    Icmpv4Flyweight icmp = new Icmpv4Flyweight().wrap(b, l4);
    icmp.type(Icmpv4Flyweight.TYPE_DESTINATION_UNREACHABLE).code(Icmpv4Flyweight.CODE_FRAGMENTATION_NEEDED)
        .nextHopMtu(1480).computeChecksum(36);
    assertThat(n).isEqualTo(42);
    assertThat(Hex.of(b, 0, 14 + 56)).isEqualTo(FRAG_NEEDED_V4);
    // type 34, code 35, checksum 36..37, unused 38..39, next-hop MTU 40..41, quoted header from 42
    assertThat(Hex.of(b, 34, 8)).isEqualTo("03045aa2000005c8");
    FrameParser p = new FrameParser();
    assertThat(p.parse(b, 0, 70)).isEqualTo(FrameParser.OK);
    assertThat(p.icmpError()).isTrue();
    assertThat(p.parseQuoted()).isEqualTo(FrameParser.OK);
    assertThat(p.innerSourcePort()).isEqualTo(40000);
    assertThat(p.innerDestinationPort()).isEqualTo(80);
    assertThat(p.innerProtocol()).isEqualTo(6);
  }
}
