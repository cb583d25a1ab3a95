package io.github.lb4j.nat.header;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** read(write(x)) == x for every field of every header flyweight. */
class HeaderRoundTripPropertiesTest {

  private final ByteBuffer b = ByteBuffer.allocate(128);

  @Property(tries = 200)
  void ethernet(@ForAll @LongRange(max = 0xFFFF_FFFF_FFFFL) long dst, @ForAll @LongRange(max = 0xFFFF_FFFF_FFFFL) long src,
      @ForAll @IntRange(max = 7) int pcp, @ForAll @IntRange(max = 1) int dei, @ForAll @IntRange(max = 4095) int vid,
      @ForAll @IntRange(max = 65535) int type) {
    EthernetFlyweight e = new EthernetFlyweight().wrap(b, 3);
    e.destination(dst).source(src).tag(pcp, dei, vid);
    e.payloadEtherType(type);
    assertThat(e.destination()).isEqualTo(dst);
    assertThat(e.source()).isEqualTo(src);
    assertThat(EthernetFlyweight.destination(b, 3)).isEqualTo(dst);
    assertThat(e.priorityCodePoint()).isEqualTo(pcp);
    assertThat(e.dropEligibleIndicator()).isEqualTo(dei);
    assertThat(e.vlanIdentifier()).isEqualTo(vid);
    assertThat(e.payloadEtherType()).isEqualTo(type);
    e.etherType(type == EthernetFlyweight.TPID_8021Q ? 0x0800 : type);
    assertThat(e.etherType()).isEqualTo(type == EthernetFlyweight.TPID_8021Q ? 0x0800 : type);
  }

  @Property(tries = 500)
  void ethernetAddresses_inTwoStores_areTheBytesOfTheFourStores(@ForAll @LongRange(max = 0xFFFF_FFFF_FFFFL) long dst,
      @ForAll @LongRange(max = 0xFFFF_FFFF_FFFFL) long src, @ForAll @IntRange(max = 100) int offset, @ForAll long fill) {
    ByteBuffer four = ByteBuffer.allocate(128);
    ByteBuffer two = ByteBuffer.allocate(128);
    for (int i = 0; i < 128; i += 8) {
      four.putLong(i, fill * (i + 1));
      two.putLong(i, fill * (i + 1));
    }
    EthernetFlyweight.destination(four, offset, dst);
    EthernetFlyweight.source(four, offset, src);
    EthernetFlyweight.addresses(two, offset, dst, src);
    assertThat(two.array()).isEqualTo(four.array());
  }

  @Property(tries = 200)
  void arp(@ForAll @IntRange(max = 65535) int oper, @ForAll @LongRange(max = 0xFFFF_FFFF_FFFFL) long sha, @ForAll int spa,
      @ForAll @LongRange(max = 0xFFFF_FFFF_FFFFL) long tha, @ForAll int tpa) {
    ArpFlyweight a = new ArpFlyweight().wrap(b, 1);
    a.hardwareType(1).protocolType(0x0800).hardwareLength(6).protocolLength(4).operation(oper)
        .senderHardwareAddress(sha).senderProtocolAddress(spa).targetHardwareAddress(tha).targetProtocolAddress(tpa);
    assertThat(a.hardwareType()).isEqualTo(1);
    assertThat(a.protocolType()).isEqualTo(0x0800);
    assertThat(a.hardwareLength()).isEqualTo(6);
    assertThat(a.protocolLength()).isEqualTo(4);
    assertThat(a.operation()).isEqualTo(oper);
    assertThat(a.senderHardwareAddress()).isEqualTo(sha);
    assertThat(a.senderProtocolAddress()).isEqualTo(spa);
    assertThat(a.targetHardwareAddress()).isEqualTo(tha);
    assertThat(a.targetProtocolAddress()).isEqualTo(tpa);
  }

  @Property(tries = 200)
  void ipv4(@ForAll @IntRange(min = 5, max = 15) int ihl, @ForAll @IntRange(max = 63) int dscp, @ForAll @IntRange(max = 3) int ecn,
      @ForAll @IntRange(max = 65535) int total, @ForAll @IntRange(max = 65535) int id, @ForAll @IntRange(max = 7) int flags,
      @ForAll @IntRange(max = 8191) int frag, @ForAll @IntRange(max = 255) int ttl, @ForAll @IntRange(max = 255) int proto,
      @ForAll @IntRange(max = 65535) int hc, @ForAll int src, @ForAll int dst) {
    Ipv4Flyweight ip = new Ipv4Flyweight().wrap(b, 2);
    ip.versionAndInternetHeaderLength(ihl).differentiatedServicesCodePoint(dscp).explicitCongestionNotification(ecn)
        .totalLength(total).identification(id).flagsAndFragmentOffset(flags, frag).timeToLive(ttl).protocol(proto)
        .headerChecksum(hc).sourceAddress(src).destinationAddress(dst);
    assertThat(ip.version()).isEqualTo(4);
    assertThat(ip.internetHeaderLength()).isEqualTo(ihl);
    assertThat(ip.differentiatedServicesCodePoint()).isEqualTo(dscp);
    assertThat(ip.explicitCongestionNotification()).isEqualTo(ecn);
    assertThat(ip.totalLength()).isEqualTo(total);
    assertThat(ip.identification()).isEqualTo(id);
    assertThat(ip.flags()).isEqualTo(flags);
    assertThat(ip.dontFragment()).isEqualTo((flags & 2) != 0);
    assertThat(ip.moreFragments()).isEqualTo((flags & 1) != 0);
    assertThat(ip.fragmentOffset()).isEqualTo(frag);
    assertThat(ip.timeToLive()).isEqualTo(ttl);
    assertThat(ip.protocol()).isEqualTo(proto);
    assertThat(ip.headerChecksum()).isEqualTo(hc);
    assertThat(ip.sourceAddress()).isEqualTo(src);
    assertThat(ip.destinationAddress()).isEqualTo(dst);
    assertThat(Ipv4Flyweight.sourceAddress(b, 2)).isEqualTo(src);
  }

  @Property(tries = 200)
  void ipv6(@ForAll @IntRange(max = 255) int tc, @ForAll @IntRange(max = 0xFFFFF) int label, @ForAll @IntRange(max = 65535) int len,
      @ForAll @IntRange(max = 255) int nh, @ForAll @IntRange(max = 255) int hops, @ForAll long sh, @ForAll long sl,
      @ForAll long dh, @ForAll long dl, @ForAll @IntRange(max = 255) int tc2) {
    Ipv6Flyweight ip = new Ipv6Flyweight().wrap(b, 5);
    ip.versionClassAndLabel(tc, label).payloadLength(len).nextHeader(nh).hopLimit(hops).sourceAddress(sh, sl)
        .destinationAddress(dh, dl);
    assertThat(ip.version()).isEqualTo(6);
    assertThat(ip.trafficClass()).isEqualTo(tc);
    assertThat(ip.flowLabel()).isEqualTo(label);
    assertThat(ip.payloadLength()).isEqualTo(len);
    assertThat(ip.nextHeader()).isEqualTo(nh);
    assertThat(ip.hopLimit()).isEqualTo(hops);
    assertThat(ip.sourceAddressHigh()).isEqualTo(sh);
    assertThat(ip.sourceAddressLow()).isEqualTo(sl);
    assertThat(ip.destinationAddressHigh()).isEqualTo(dh);
    assertThat(ip.destinationAddressLow()).isEqualTo(dl);
    ip.trafficClass(tc2);
    assertThat(ip.trafficClass()).isEqualTo(tc2);
    assertThat(ip.flowLabel()).isEqualTo(label);
    Ipv6FragmentFlyweight f = new Ipv6FragmentFlyweight().wrap(b, 60);
    f.set(nh, label & 0x1FFF, (len & 1) == 1, (int) sh);
    assertThat(f.nextHeader()).isEqualTo(nh);
    assertThat(f.fragmentOffset()).isEqualTo(label & 0x1FFF);
    assertThat(f.moreFragments()).isEqualTo((len & 1) == 1);
    assertThat(f.identification()).isEqualTo((int) sh);
  }

  @Property(tries = 200)
  void tcp(@ForAll @IntRange(max = 65535) int sp, @ForAll @IntRange(max = 65535) int dp, @ForAll @LongRange(max = 0xFFFF_FFFFL) long seq,
      @ForAll @LongRange(max = 0xFFFF_FFFFL) long ack, @ForAll @IntRange(min = 5, max = 15) int off, @ForAll @IntRange(max = 255) int flags,
      @ForAll @IntRange(max = 65535) int win, @ForAll @IntRange(max = 65535) int cs, @ForAll @IntRange(max = 65535) int urg) {
    TcpFlyweight t = new TcpFlyweight().wrap(b, 7);
    t.sourcePort(sp).destinationPort(dp).sequenceNumber(seq).acknowledgmentNumber(ack).dataOffset(off).flags(flags)
        .window(win).checksum(cs).urgentPointer(urg);
    assertThat(t.sourcePort()).isEqualTo(sp);
    assertThat(t.destinationPort()).isEqualTo(dp);
    assertThat(t.sequenceNumber()).isEqualTo(seq);
    assertThat(t.acknowledgmentNumber()).isEqualTo(ack);
    assertThat(t.dataOffset()).isEqualTo(off);
    assertThat(t.optionsLength()).isEqualTo(off * 4 - 20);
    assertThat(t.flags()).isEqualTo(flags);
    assertThat(TcpFlyweight.flags(b, 7)).isEqualTo(flags);
    assertThat(t.window()).isEqualTo(win);
    assertThat(t.checksum()).isEqualTo(cs);
    assertThat(t.urgentPointer()).isEqualTo(urg);
  }

  @Property(tries = 200)
  void udpAndIcmp(@ForAll @IntRange(max = 65535) int a, @ForAll @IntRange(max = 65535) int c, @ForAll @IntRange(max = 65535) int d,
      @ForAll @IntRange(max = 65535) int e, @ForAll @IntRange(max = 255) int type, @ForAll @IntRange(max = 255) int code,
      @ForAll @LongRange(max = 0xFFFF_FFFFL) long mtu, @ForAll long th, @ForAll long tl,
      @ForAll @LongRange(max = 0xFFFF_FFFF_FFFFL) long mac) {
    UdpFlyweight u = new UdpFlyweight().wrap(b, 1);
    u.sourcePort(a).destinationPort(c).length(d).checksum(e);
    assertThat(u.sourcePort()).isEqualTo(a);
    assertThat(u.destinationPort()).isEqualTo(c);
    assertThat(u.length()).isEqualTo(d);
    assertThat(u.checksum()).isEqualTo(e);
    assertThat(UdpFlyweight.checksum(b, 1)).isEqualTo(e);
    Icmpv4Flyweight i4 = new Icmpv4Flyweight().wrap(b, 20);
    i4.type(type).code(code).checksum(a).identifier(c).sequenceNumber(d);
    assertThat(i4.type()).isEqualTo(type);
    assertThat(i4.code()).isEqualTo(code);
    assertThat(i4.checksum()).isEqualTo(a);
    assertThat(i4.identifier()).isEqualTo(c);
    assertThat(i4.sequenceNumber()).isEqualTo(d);
    i4.nextHopMtu(e);
    assertThat(i4.nextHopMtu()).isEqualTo(e);
    Icmpv6Flyweight i6 = new Icmpv6Flyweight().wrap(b, 40);
    i6.type(type).code(code).checksum(a).identifier(c).sequenceNumber(d);
    assertThat(i6.type()).isEqualTo(type);
    assertThat(i6.code()).isEqualTo(code);
    assertThat(i6.checksum()).isEqualTo(a);
    assertThat(i6.identifier()).isEqualTo(c);
    assertThat(i6.sequenceNumber()).isEqualTo(d);
    i6.mtu(mtu);
    assertThat(i6.mtu()).isEqualTo(mtu);
    i6.advertisementFlags(type).targetAddress(th, tl).linkLayerAddressOption(2, mac);
    assertThat(i6.advertisementFlags()).isEqualTo(type & 0xE0);
    assertThat(i6.targetAddressHigh()).isEqualTo(th);
    assertThat(i6.targetAddressLow()).isEqualTo(tl);
    assertThat(HeaderFlyweight.u48(b, 40 + Icmpv6Flyweight.ND_OPTIONS_OFFSET + 2)).isEqualTo(mac);
  }
}
