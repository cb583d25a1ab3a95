package io.github.lb4j.nat.header;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.DropReason;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * 10^6 random and mutated frames through the parser. Each frame sits in a buffer of exactly its
 * own size, so any read outside the frame throws and fails the test; every result is OK or a known
 * drop reason, and after OK every announced offset lies inside the frame.
 */
class FrameParserFuzzTest {

  private static final int FRAMES = 1_000_000;

  @Test
  void parse_neverThrowsNorReadsOutsideTheFrame() {
    SplittableRandom r = new SplittableRandom(0x5EED);
    ByteBuffer[] seeds = seeds();
    FrameParser p = new FrameParser();
    int ok = 0;
    int[] reasons = new int[64];
    for (int i = 0; i < FRAMES; i++) {
      byte[] frame = mutate(r, seeds[r.nextInt(seeds.length)]);
      ByteBuffer b = ByteBuffer.wrap(frame);
      int result = p.parse(b, 0, frame.length);
      if (result == FrameParser.OK) {
        ok++;
        assertThat(p.l3End()).isLessThanOrEqualTo(frame.length);
        assertThat(p.l4Offset() + p.l4HeaderLength()).isLessThanOrEqualTo(p.l3End());
        if (p.icmpError()) {
          int q = p.parseQuoted();
          assertThat(q == FrameParser.OK || DropReason.ofCode(q) != null).isTrue();
        }
      } else {
        assertThat(DropReason.ofCode(result)).as("result %d", result).isNotNull();
        reasons[result]++;
      }
    }
    // the corpus exercises both outcomes
    assertThat(ok).isGreaterThan(FRAMES / 10);
    assertThat(reasons[DropReason.TRUNCATED.code()]).isPositive();
    assertThat(reasons[DropReason.MALFORMED.code()]).isPositive();
  }

  static ByteBuffer[] seeds() {
    long db8 = 0x2001_0db8_0000_0000L;
    ByteBuffer[] s = new ByteBuffer[10];
    for (int i = 0; i < s.length; i++) {
      s[i] = ByteBuffer.allocate(200);
    }
    FrameBuilder v4 = new FrameBuilder().macs(1, 2).ipv4(Hex.v4(192, 0, 2, 1), Hex.v4(203, 0, 113, 5)).ports(1, 80).payload(6);
    FrameBuilder v6 = new FrameBuilder().macs(1, 2).ipv6(db8, 1, db8, 2).ports(1, 80).payload(6);
    s[0].limit(v4.writeTcp(s[0], 0));
    s[1].limit(v4.vlan(5).writeUdp(s[1], 0));
    s[2].limit(v4.vlan(-1).ipv4Options(2).writeEcho(s[2], 0, true));
    s[3].limit(v4.ipv4Options(0).writeArpRequest(s[3], 0));
    s[4].limit(v6.writeTcp(s[4], 0));
    s[5].limit(v6.ipv6Extensions(true, true).writeUdp(s[5], 0));
    s[6].limit(v6.ipv6Extensions(false, false).writeEcho(s[6], 0, true));
    s[7].limit(v6.writeNeighborSolicitation(s[7], 0));
    ByteBuffer t = ByteBuffer.allocate(200);
    int n = v4.writeTcp(t, 20);
    int start = Encapsulation.pushIpv4(t, 20, 14, n - 14, false, 1, 2, 64, 0, 0);
    for (int i = 0; i < n + 20; i++) {
      s[8].put(i, t.get(start + i));
    }
    s[8].limit(n + 20);
    // an ICMP error quoting a TCP header
    ByteBuffer e = s[9];
    int m = new FrameBuilder().macs(1, 2).ipv4(1, 2).payload(28).writeEcho(e, 0, true);
    e.put(34, (byte) 3);
    e.put(42, (byte) 0x45);
    e.put(51, (byte) 6);
    e.limit(m);
    return s;
  }

  static byte[] mutate(SplittableRandom r, ByteBuffer seed) {
    int kind = r.nextInt(4);
    if (kind == 0) {
      byte[] random = new byte[r.nextInt(120)];
      r.nextBytes(random);
      if (random.length > 14 && r.nextBoolean()) {
        random[12] = (byte) (r.nextBoolean() ? 0x08 : 0x86);
        random[13] = (byte) (random[12] == 0x08 ? 0x00 : 0xDD);
        random[14] = (byte) (random[12] == 0x08 ? 0x45 : 0x60);
      }
      return random;
    }
    int len = seed.limit();
    byte[] f = new byte[kind == 1 ? r.nextInt(len + 1) : len];
    for (int i = 0; i < f.length; i++) {
      f[i] = seed.get(i);
    }
    int flips = 1 + r.nextInt(4);
    for (int i = 0; i < flips && f.length > 0; i++) {
      f[r.nextInt(f.length)] = (byte) r.nextInt(256);
    }
    return f;
  }
}
