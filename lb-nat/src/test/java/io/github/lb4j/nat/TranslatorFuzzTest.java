package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * 10^6 random and mutated frames through every translator, both directions: no exception, no byte
 * written outside the frame's final region (headroom and tailroom hold a canary), and every frame
 * that was intact before and is forwarded or answered after has valid checksums.
 */
class TranslatorFuzzTest {

  private static final int FRAMES = 1_000_000;
  private static final int HEADROOM = 64;
  private static final int TAILROOM = 96;
  private static final byte CANARY = (byte) 0xA5;

  @ParameterizedTest
  @EnumSource(ForwardingMode.class)
  void everyTranslator_survivesTheFuzz_andForwardsOnlyValidChecksums(ForwardingMode mode) {
    List<Backend> backends = List.of(Backend.of("web-1", RIP4, 8080).withMac(RIP_MAC),
        Backend.of("web-2", RIP4B, 0).withMac(RIP_MAC_B), Backend.of("web-6", RIP6, 8443).withMac(RIP_MAC));
    SplittableRandom r = new SplittableRandom(mode.ordinal() * 31L + 7);
    PacketTranslator v4 = NatTranslators.create(config(mode, false, backends).serverSubnet(RIP4, 24)
        .hairpinSnat(mode != ForwardingMode.FULL_NAT).snatAddress(SNAT6).build());
    PacketTranslator v6 = NatTranslators.create(config(mode, true, backends).snatAddress(SNAT4).build());
    List<byte[]> seeds = seeds();
    int forwarded = 0;
    int checked = 0;
    for (int i = 0; i < FRAMES; i++) {
      byte[] frame = mutate(r, seeds.get(r.nextInt(seeds.size())));
      ByteBuffer b = ByteBuffer.allocate(HEADROOM + frame.length + TAILROOM);
      for (int k = 0; k < b.capacity(); k++) {
        b.put(k, CANARY);
      }
      b.put(HEADROOM, frame);
      boolean intact = checksumsValid(b, HEADROOM, frame.length);
      Frame f = new Frame(b, HEADROOM, frame.length);
      PacketTranslator t = (i & 2) == 0 ? v4 : v6;
      int v = t.translate(f, (i & 1) == 0 ? Direction.CLIENT_TO_SERVER : Direction.SERVER_TO_CLIENT);
      int action = Verdict.action(v);
      assertThat(action).isBetween(Verdict.DROP, Verdict.REPLY);
      if (action == Verdict.DROP) {
        assertThat(Verdict.reason(v)).isNotNull();
        continue;
      }
      forwarded++;
      int start = f.offset();
      int end = f.offset() + f.length();
      for (int k = 0; k < b.capacity(); k++) {
        if (k < start || k >= end) {
          if (k < HEADROOM || k >= HEADROOM + frame.length) {
            assertThat(b.get(k)).as("%s wrote outside its frame at %d (frame %d..%d)", mode, k, start, end).isEqualTo(CANARY);
          }
        }
      }
      if (intact) {
        checked++;
        assertThat(checksumsValid(b, start, f.length())).as("%s frame %d: %s", mode, i, Verdict.toString(v)).isTrue();
      }
    }
    // mutated IPv4 headers mostly fail their checksum and are dropped (RFC 1812 §5.2.2) before any path
    assertThat(forwarded).as("the corpus reaches the forwarding paths").isGreaterThan(FRAMES / 25);
    assertThat(checked).isPositive();
    assertThat(v4.drops(DropReason.MALFORMED) + v4.drops(DropReason.TRUNCATED)).isPositive();
  }

  private static List<byte[]> seeds() {
    List<byte[]> s = new ArrayList<>();
    ByteBuffer b = ByteBuffer.allocate(2048);
    for (boolean six : new boolean[] {false, true}) {
      var client = six ? CLIENT6 : CLIENT4;
      var vip = six ? VIP6 : VIP4;
      var rip = six ? RIP6 : RIP4;
      var snat = six ? SNAT6 : SNAT4;
      for (int port = 40000; port < 40004; port++) {
        s.add(bytes(b, 0, builder(six, client, vip).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(port, 80)
            .tcpFlags(TcpFlyweight.SYN).payload(port & 3).writeTcp(b, 0)));
        s.add(bytes(b, 0, builder(six, client, vip).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(port, 80)
            .tcpFlags(TcpFlyweight.ACK).payload(20).writeTcp(b, 0)));
        s.add(bytes(b, 0, builder(six, rip, client).macs(LB_MAC.toLong(), RIP_MAC.toLong()).ports(8080, port)
            .tcpFlags(TcpFlyweight.SYN | TcpFlyweight.ACK).writeTcp(b, 0)));
        s.add(bytes(b, 0, builder(six, rip, snat).macs(LB_MAC.toLong(), RIP_MAC.toLong()).ports(8080, 1024 + (port & 3))
            .tcpFlags(TcpFlyweight.ACK).writeTcp(b, 0)));
        s.add(bytes(b, 0, builder(six, client, vip).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(port, 53).payload(12)
            .writeUdp(b, 0)));
      }
      s.add(bytes(b, 0, builder(six, client, vip).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(9, 1).payload(8)
          .writeEcho(b, 0, true)));
      s.add(bytes(b, 0, builder(six, client, vip).macs(LB_MAC.toLong(), GW_MAC.toLong()).fragment(77, 1, 0)
          .ipv6Extensions(false, six).ports(5, 53).payload(24).writeUdp(b, 0)));
      s.add(bytes(b, 0, builder(six, client, vip).macs(LB_MAC.toLong(), GW_MAC.toLong()).fragment(77, 0, 4)
          .ipv6Extensions(false, six).ports(5, 53).payload(24).writeUdp(b, 0)));
      s.add(bytes(b, 0, builder(six, client, vip).macs(LB_MAC.toLong(), GW_MAC.toLong()).fragment(1, 2, 0)
          .ipv6Extensions(false, false).ports(40000, 80).tcpFlags(TcpFlyweight.SYN).ttl(1).payload(1480).writeTcp(b, 0)));
    }
    s.add(bytes(b, 0, builder(false, CLIENT4, VIP4).macs(0xFFFF_FFFF_FFFFL, GW_MAC.toLong()).writeArpRequest(b, 0)));
    s.add(bytes(b, 0, builder(true, CLIENT6, VIP6).macs(0x3333_FF00_0010L, GW_MAC.toLong()).writeNeighborSolicitation(b, 0)));
    // ICMP errors quoting a request (server side) and a reply (client side)
    for (boolean six : new boolean[] {false, true}) {
      var client = six ? CLIENT6 : CLIENT4;
      var vip = six ? VIP6 : VIP4;
      var rip = six ? RIP6 : RIP4;
      ByteBuffer q = ByteBuffer.allocate(256);
      int qn = builder(six, client, rip).ports(40000, 8080).tcpFlags(TcpFlyweight.SYN).writeTcp(q, 0);
      int quoted = six ? qn - 14 : 28;
      int n = builder(six, rip, client).macs(LB_MAC.toLong(), RIP_MAC.toLong()).ports(0, 0).payload(quoted).writeEcho(b, 0, true);
      int l4 = 14 + (six ? 40 : 20);
      for (int i = 0; i < quoted; i++) {
        b.put(l4 + 8 + i, q.get(14 + i));
      }
      b.putInt(l4, (six ? 1 : 3) << 24 | (six ? 4 : 3) << 16);
      b.putShort(l4 + 2, (short) 0);
      b.putShort(l4 + 2, (short) (six
          ? io.github.lb4j.nat.header.Checksums.transportChecksumV6(b, 14, l4, 8 + quoted, 58)
          : io.github.lb4j.nat.header.Checksums.checksum(b, l4, 8 + quoted)));
      s.add(bytes(b, 0, n));
      qn = builder(six, vip, client).ports(80, 40000).tcpFlags(TcpFlyweight.ACK).writeTcp(q, 0);
      n = builder(six, client, vip).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(0, 0).payload(quoted).writeEcho(b, 0, true);
      for (int i = 0; i < quoted; i++) {
        b.put(l4 + 8 + i, q.get(14 + i));
      }
      b.putInt(l4, (six ? 1 : 3) << 24 | (six ? 4 : 3) << 16);
      b.putShort(l4 + 2, (short) 0);
      b.putShort(l4 + 2, (short) (six
          ? io.github.lb4j.nat.header.Checksums.transportChecksumV6(b, 14, l4, 8 + quoted, 58)
          : io.github.lb4j.nat.header.Checksums.checksum(b, l4, 8 + quoted)));
      s.add(bytes(b, 0, n));
    }
    return s;
  }

  private static byte[] mutate(SplittableRandom r, byte[] seed) {
    int kind = r.nextInt(8);
    if (kind == 0) {
      byte[] random = new byte[r.nextInt(200)];
      r.nextBytes(random);
      return random;
    }
    if (kind <= 3) {
      return seed.clone();
    }
    byte[] f = kind == 4 ? java.util.Arrays.copyOf(seed, r.nextInt(seed.length + 1)) : seed.clone();
    int flips = 1 + r.nextInt(3);
    for (int i = 0; i < flips && f.length > 0; i++) {
      f[r.nextInt(f.length)] = (byte) r.nextInt(256);
    }
    return f;
  }
}
