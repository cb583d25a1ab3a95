package io.github.lb4j.nat.header;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** RFC 1624 incremental updates agree with full recomputation for random packets and rewrites. */
class ChecksumPropertiesTest {

  @Property(tries = 500)
  void ipv4AndTcp_incrementalAddressAndPortRewrite_equalsFullRecomputation(
      @ForAll int src, @ForAll int dst, @ForAll int newDst, @ForAll @IntRange(max = 65535) int sport,
      @ForAll @IntRange(max = 65535) int dport, @ForAll @IntRange(max = 65535) int newDport,
      @ForAll @IntRange(max = 300) int payload, @ForAll @IntRange(max = 255) int ttl) {
    ByteBuffer b = ByteBuffer.allocate(600);
    int n = new FrameBuilder().ipv4(src, dst).ttl(ttl).ports(sport, dport).payload(payload).writeTcp(b, 0);
    int ip = 14;
    int l4 = 34;
    int hc = Ipv4Flyweight.headerChecksum(b, ip);
    int tc = TcpFlyweight.checksum(b, l4);
    Ipv4Flyweight.destinationAddress(b, ip, newDst);
    b.putShort(l4 + 2, (short) newDport);
    Ipv4Flyweight.headerChecksum(b, ip, Checksums.update32(hc, dst, newDst));
    TcpFlyweight.checksum(b, l4, Checksums.update16(Checksums.update32(tc, dst, newDst), dport, newDport));
    assertThat(Checksums.fold(Checksums.sum(b, ip, 20, 0))).isEqualTo(0xFFFF);
    assertThat(Checksums.transportChecksumV4(b, ip, l4, n - l4, 6)).isZero();
  }

  @Property(tries = 500)
  void ttlDecrement_incrementalEqualsFull(@ForAll int src, @ForAll int dst, @ForAll @IntRange(min = 1, max = 255) int ttl) {
    ByteBuffer b = ByteBuffer.allocate(100);
    new FrameBuilder().ipv4(src, dst).ttl(ttl).writeTcp(b, 0);
    int old = b.getShort(14 + 8) & 0xFFFF;
    new Ipv4Flyweight().wrap(b, 14).timeToLive(ttl - 1);
    int now = b.getShort(14 + 8) & 0xFFFF;
    Ipv4Flyweight.headerChecksum(b, 14, Checksums.update16(Ipv4Flyweight.headerChecksum(b, 14), old, now));
    assertThat(Checksums.fold(Checksums.sum(b, 14, 20, 0))).isEqualTo(0xFFFF);
  }

  @Property(tries = 500)
  void udpOverIpv4_zeroChecksumStaysZero_andComputedOneStaysValid(
      @ForAll int src, @ForAll int dst, @ForAll int newSrc, @ForAll @IntRange(max = 65535) int sport,
      @ForAll @IntRange(max = 65535) int newSport, @ForAll boolean compute, @ForAll @IntRange(max = 200) int payload) {
    ByteBuffer b = ByteBuffer.allocate(300);
    int n = new FrameBuilder().ipv4(src, dst).ports(sport, 53).payload(payload).udpChecksum(compute).writeUdp(b, 0);
    int l4 = 34;
    int c = UdpFlyweight.checksum(b, l4);
    Ipv4Flyweight.sourceAddress(b, 14, newSrc);
    b.putShort(l4, (short) newSport);
    UdpFlyweight.checksum(b, l4, Checksums.updateUdp16(Checksums.updateUdp32(c, src, newSrc), sport, newSport));
    int after = UdpFlyweight.checksum(b, l4);
    if (!compute) {
      assertThat(after).isZero();
    } else {
      assertThat(after).isNotZero();
      assertThat(Checksums.transportChecksumV4(b, 14, l4, n - l4, 17)).isIn(0, 0xFFFF);
    }
  }

  @Property(tries = 500)
  void icmpv6PseudoHeader_incrementalAddressRewriteEqualsFull(
      @ForAll long srcHigh, @ForAll long srcLow, @ForAll long dstHigh, @ForAll long dstLow,
      @ForAll long newHigh, @ForAll long newLow, @ForAll @IntRange(max = 200) int payload) {
    ByteBuffer b = ByteBuffer.allocate(400);
    int n = new FrameBuilder().ipv6(srcHigh, srcLow, dstHigh, dstLow).ports(1, 2).payload(payload).writeEcho(b, 0, true);
    int l4 = 54;
    int c = b.getShort(l4 + 2) & 0xFFFF;
    new Ipv6Flyweight().wrap(b, 14).destinationAddress(newHigh, newLow);
    c = Checksums.update64(Checksums.update64(c, dstHigh, newHigh), dstLow, newLow);
    b.putShort(l4 + 2, (short) c);
    assertThat(Checksums.transportChecksumV6(b, 14, l4, n - l4, 58)).isIn(0, 0xFFFF);
  }

  @Property(tries = 300)
  void fullChecksum_ofAnyRangeVerifiesToAllOnes(@ForAll byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(data.length + 2);
    b.put(0, data);
    int c = Checksums.checksum(b, 0, data.length);
    // the checksum appended on a 16-bit boundary makes the total sum all ones
    ByteBuffer padded = ByteBuffer.allocate(data.length + 3);
    padded.put(0, data);
    int at = (data.length + 1) & ~1;
    padded.putShort(at, (short) c);
    assertThat(Checksums.fold(Checksums.sum(padded, 0, at + 2, 0))).isEqualTo(0xFFFF);
  }
}
