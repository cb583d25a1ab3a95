package io.github.lb4j.api;

import static io.github.lb4j.api.BackendTest.address;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class FlowKeyTest {

  private static final ImmutableFlowKey V4 =
      ImmutableFlowKey.of(Protocol.TCP, address("198.51.100.7"), 40_000, address("192.0.2.1"), 80);
  private static final ImmutableFlowKey V6 =
      ImmutableFlowKey.of(Protocol.UDP, address("2001:db8::7"), 5353, address("2001:db8::1"), 53);

  @Test
  void ipv4_isPresentedAsMappedIpv6() {
    assertThat(V4.isIpv6()).isFalse();
    assertThat(V4.sourceAddressHigh()).isZero();
    assertThat(V4.sourceAddressLow()).isEqualTo(0x0000_FFFF_C633_6407L);
    assertThat(V4.sourceAddressV4()).isEqualTo(0xC633_6407);
    assertThat(V4.destinationAddressV4()).isEqualTo(0xC000_0201);
    assertThat(V4.sourceAddress()).isEqualTo(address("198.51.100.7"));
  }

  @Test
  void ipv6_halvesAreBigEndian() {
    assertThat(V6.isIpv6()).isTrue();
    assertThat(V6.sourceAddressHigh()).isEqualTo(0x2001_0db8_0000_0000L);
    assertThat(V6.sourceAddressLow()).isEqualTo(7L);
    assertThat(V6.destinationAddress()).isEqualTo(address("2001:db8::1"));
  }

  /** Pinned values: a change here breaks agreement between lb4j versions behind one ECMP group. */
  @Test
  void hashes_areStableAcrossReleases() {
    assertThat(V4.hash64()).isEqualTo(FlowHash.fiveTuple(V4, 0));
    assertThat(Long.toHexString(V4.hash64())).isEqualTo(GOLDEN_V4_FIVE);
    assertThat(Long.toHexString(V6.hash64())).isEqualTo(GOLDEN_V6_FIVE);
    assertThat(Long.toHexString(FlowHash.fourTuple(V4, 42))).isEqualTo(GOLDEN_V4_FOUR_SEED42);
    assertThat(Long.toHexString(FlowHash.sourceAddress(V6, 42))).isEqualTo(GOLDEN_V6_SOURCE_SEED42);
  }

  static final String GOLDEN_V4_FIVE = "a483ee5c0bd5f232";
  static final String GOLDEN_V6_FIVE = "40102ef0183705cd";
  static final String GOLDEN_V4_FOUR_SEED42 = "fd7c63f6ea758157";
  static final String GOLDEN_V6_SOURCE_SEED42 = "26c7b551357a6be5";

  /** Recomputes the five-tuple hash from the construction documented in {@link FlowHash}. */
  @Test
  void fiveTuple_followsTheDocumentedConstruction() {
    long h = splitMix(0L ^ 0x5EED_0005_0000_0001L);
    h = splitMix(h ^ ((6L << 1) | 0));
    h = splitMix(h ^ 0L);
    h = splitMix(h ^ 0x0000_FFFF_C633_6407L);
    h = splitMix(h ^ 0L);
    h = splitMix(h ^ 0x0000_FFFF_C000_0201L);
    h = splitMix(h ^ ((40_000L << 16) | 80));
    assertThat(V4.hash64()).isEqualTo(h);
  }

  private static long splitMix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Test
  void hashKinds_andSeeds_differ() {
    assertThat(FlowHash.fiveTuple(V4, 0)).isNotEqualTo(FlowHash.fourTuple(V4, 0));
    assertThat(FlowHash.fourTuple(V4, 0)).isNotEqualTo(FlowHash.fourTuple(V4, 1));
    assertThat(FlowHash.sourceAddress(V4, 0)).isNotEqualTo(FlowHash.threeTuple(V4, 0));
  }

  @Test
  void sourceHash_ignoresEverythingButTheSource() {
    ImmutableFlowKey otherPortAndDestination =
        ImmutableFlowKey.of(Protocol.UDP, address("198.51.100.7"), 1, address("203.0.113.9"), 53);
    assertThat(FlowHash.sourceAddress(otherPortAndDestination, 5)).isEqualTo(FlowHash.sourceAddress(V4, 5));
  }

  @Test
  void mixedFamilies_areRejected() {
    assertThatThrownBy(() -> ImmutableFlowKey.of(Protocol.TCP, address("192.0.2.1"), 1, address("2001:db8::1"), 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("one family");
  }

  @Test
  void badPort_namesTheField() {
    assertThatThrownBy(() -> ImmutableFlowKey.of(Protocol.TCP, address("192.0.2.1"), 70_000, address("192.0.2.2"), 2))
        .hasMessageContaining("sourcePort")
        .hasMessageContaining("70000");
    assertThatThrownBy(() -> ImmutableFlowKey.of(Protocol.TCP, address("192.0.2.1"), 1, address("192.0.2.2"), -2))
        .hasMessageContaining("destinationPort");
  }

  @Test
  void reversed_swapsSides() {
    ImmutableFlowKey r = V4.reversed();
    assertThat(r.sourcePort()).isEqualTo(80);
    assertThat(r.destinationAddress()).isEqualTo(address("198.51.100.7"));
    assertThat(r.reversed()).isEqualTo(V4);
    assertThat(r).isNotEqualTo(V4);
  }

  @Test
  void equality_isByFlow() {
    ImmutableFlowKey same = ImmutableFlowKey.of(Protocol.TCP, address("198.51.100.7"), 40_000, address("192.0.2.1"), 80);
    assertThat(same).isEqualTo(V4).hasSameHashCodeAs(V4);
    assertThat(ImmutableFlowKey.of(Protocol.UDP, address("198.51.100.7"), 40_000, address("192.0.2.1"), 80)).isNotEqualTo(V4);
  }

  @Test
  void copyOf_mutableKey_equalsTheOriginal() {
    MutableFlowKey m = new MutableFlowKey().set(V6);
    assertThat(ImmutableFlowKey.copyOf(m)).isEqualTo(V6);
    assertThat(FlowKey.sameFlow(m, V6)).isTrue();
  }

  @Test
  void toString_readsLikeAFlow() {
    assertThat(V4.toString()).isEqualTo("tcp 198.51.100.7:40000 -> 192.0.2.1:80");
  }

  @Property(tries = 2000)
  void mutableAndImmutableKeys_hashAlike_v4(@ForAll @Size(4) byte[] src, @ForAll @Size(4) byte[] dst,
      @ForAll @IntRange(max = 65535) int sport, @ForAll @IntRange(max = 65535) int dport,
      @ForAll @IntRange(max = 255) int proto) throws UnknownHostException {
    ImmutableFlowKey key = ImmutableFlowKey.copyOf(new MutableFlowKey().set(Protocol.TCP,
        InetAddress.getByAddress(src), sport, InetAddress.getByAddress(dst), dport));
    MutableFlowKey flyweight = new MutableFlowKey().setV4(Protocol.TCP.number(), toInt(src), sport, toInt(dst), dport);
    assertThat(flyweight.hash64()).isEqualTo(key.hash64());
    assertThat(FlowHash.fourTuple(flyweight, proto)).isEqualTo(FlowHash.fourTuple(key, proto));
    assertThat(FlowKey.sameFlow(flyweight, key)).isTrue();
  }

  @Property(tries = 2000)
  void mutableAndImmutableKeys_hashAlike_v6(@ForAll @Size(16) byte[] src, @ForAll @Size(16) byte[] dst,
      @ForAll @IntRange(max = 65535) int sport, @ForAll @IntRange(max = 65535) int dport) throws UnknownHostException {
    InetAddress s = java.net.Inet6Address.getByAddress(null, src, -1);
    InetAddress d = java.net.Inet6Address.getByAddress(null, dst, -1);
    ImmutableFlowKey key = ImmutableFlowKey.of(Protocol.UDP, s, sport, d, dport);
    MutableFlowKey flyweight = new MutableFlowKey().setV6(17, toLong(src, 0), toLong(src, 8), sport,
        toLong(dst, 0), toLong(dst, 8), dport);
    assertThat(flyweight.hash64()).isEqualTo(key.hash64());
    assertThat(FlowHash.sourceAddress(flyweight, 9)).isEqualTo(FlowHash.sourceAddress(key, 9));
    assertThat(ImmutableFlowKey.copyOf(flyweight)).isEqualTo(key);
  }

  private static int toInt(byte[] b) {
    return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
  }

  private static long toLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xFF);
    }
    return v;
  }
}
