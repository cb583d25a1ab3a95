package io.github.lb4j.nat.header;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * {@link FrameParser#parse}'s fast path (untagged, option-less, unfragmented IPv4 TCP) against its
 * general path ({@link FrameParser#parseGeneral}) on the same frames: the same result and the same
 * value from every accessor, for frames the fast path takes and frames that must fall off it (VLAN
 * tags, IPv4 and TCP options, fragments, IPv6, UDP and ICMP, short or cut frames, lengths that do
 * not add up, bad checksums, random bytes), each in a buffer of exactly its own size so that a read
 * outside the frame throws.
 */
class FrameParserFastPathTest {

  private static final int CLIENT = Hex.v4(192, 0, 2, 1);
  private static final int VIP = Hex.v4(203, 0, 113, 5);
  private static final long DB8 = 0x2001_0db8_0000_0000L;

  /** A frame as it came out of the generator, then mutated. */
  record Case(byte[] frame, int headroom) {
    @Override
    public String toString() {
      StringBuilder s = new StringBuilder("headroom " + headroom + ":");
      for (byte x : frame) {
        s.append(String.format(" %02x", x & 0xFF));
      }
      return s.toString();
    }
  }

  @Property(tries = 20_000)
  void fastPath_leavesWhatTheGeneralPathLeaves(@ForAll("frames") Case c) {
    assertSameParse(c);
  }

  @Test
  void fastPathCoverage_bothSidesOfEveryBranchAreExercised() {
    // the same generator, counted: the property above is only as good as the frames it sees
    SplittableRandom r = new SplittableRandom(15);
    int fast = 0;
    int[] off = new int[8];
    for (int i = 0; i < 50_000; i++) {
      Case c = generate(r);
      FrameParser p = assertSameParse(c);
      ByteBuffer b = ByteBuffer.wrap(c.frame);
      if (p.parseGeneral(b, c.headroom, c.frame.length - c.headroom) != FrameParser.OK) {
        off[0]++;
      } else if (p.tagged()) {
        off[1]++;
      } else if (p.isIpv6()) {
        off[2]++;
      } else if (p.protocolNumber() != 6) {
        off[3]++;
      } else if (p.fragment()) {
        off[4]++;
      } else if (p.l4Offset() != p.l3Offset() + 20) {
        off[5]++;
      } else if (p.l4HeaderLength() > 20) {
        off[6]++; // TCP options: on the fast path too
        fast++;
      } else {
        fast++;
      }
    }
    assertThat(fast).isGreaterThan(5_000);
    for (int k = 0; k < 6; k++) {
      assertThat(off[k]).as("category %d", k).isGreaterThan(500);
    }
    assertThat(off[6]).isGreaterThan(500);
  }

  @Test
  void littleEndianBuffer_isRefusedByBothPaths() {
    ByteBuffer b = ByteBuffer.allocate(128);
    int n = new FrameBuilder().macs(1, 2).ipv4(CLIENT, VIP).ports(40000, 80).writeTcp(b, 0);
    b.order(ByteOrder.LITTLE_ENDIAN);
    FrameParser p = new FrameParser();
    assertThat(p.parse(b, 0, n)).isEqualTo(p.parseGeneral(b, 0, n)).isNotEqualTo(FrameParser.OK);
  }

  private static FrameParser assertSameParse(Case c) {
    int length = c.frame.length - c.headroom;
    FrameParser fast = new FrameParser();
    FrameParser general = new FrameParser();
    // leftovers of a previous frame must not survive either path
    ByteBuffer other = ByteBuffer.allocate(128);
    int n = new FrameBuilder().macs(3, 4).vlan(9).ipv6(DB8, 7, DB8, 8).ports(5, 6).writeUdp(other, 0);
    fast.parse(other, 0, n);
    general.parse(other, 0, n);
    ByteBuffer b = ByteBuffer.wrap(c.frame);
    int rf = fast.parse(b, c.headroom, length);
    int rg = general.parseGeneral(b, c.headroom, length);
    assertThat(rf).as("result").isEqualTo(rg);
    if (rf == FrameParser.OK) {
      assertThat(describe(fast)).isEqualTo(describe(general));
    }
    return general;
  }

  private static String describe(FrameParser p) {
    return String.join(",", "buffer=" + System.identityHashCode(p.buffer()), "frame=" + p.frameOffset() + ".." + p.frameEnd(),
        "type=" + p.etherType(), "tagged=" + p.tagged(), "l3=" + p.l3Offset() + ".." + p.l3End(), "l4=" + p.l4Offset(),
        "l4len=" + p.l4Length(), "l4hdr=" + p.l4HeaderLength(), "proto=" + p.protocolNumber(), "v6=" + p.isIpv6(),
        "frag=" + p.fragment() + "/" + p.firstFragment() + "/" + p.fragmentIdentification(), "sr=" + p.sourceRouted(),
        "flags=" + p.tcpFlags(), "icmp=" + p.icmpType() + "/" + p.icmpCode() + "/" + p.icmpError(),
        "src=" + Long.toHexString(p.sourceAddressHigh()) + ":" + Long.toHexString(p.sourceAddressLow()) + ":" + p.sourcePort(),
        "dst=" + Long.toHexString(p.destinationAddressHigh()) + ":" + Long.toHexString(p.destinationAddressLow()) + ":"
            + p.destinationPort(), "hash=" + p.hash64());
  }

  @Provide
  Arbitrary<Case> frames() {
    return Arbitraries.longs().map(seed -> generate(new SplittableRandom(seed)));
  }

  /** One frame: a valid frame of a random shape, then, often, damaged in a way that matters to a parser. */
  static Case generate(SplittableRandom r) {
    FrameBuilder f = new FrameBuilder().macs(r.nextLong() >>> 16, r.nextLong() >>> 16);
    if (r.nextInt(6) == 0) {
      f.vlan(r.nextInt(4095));
    }
    boolean six = r.nextInt(6) == 0;
    if (six) {
      f.ipv6(DB8, r.nextLong(), DB8, r.nextLong());
      if (r.nextInt(3) == 0) {
        f.ipv6Extensions(r.nextBoolean(), r.nextBoolean());
      }
    } else {
      f.ipv4(r.nextInt(), r.nextInt()).ttl(1 + r.nextInt(255)).dscpEcn(r.nextInt(256));
      if (r.nextInt(6) == 0) {
        f.ipv4Options(1 + r.nextInt(10));
      }
      if (r.nextInt(6) == 0) {
        int[] flags = {0, 1, 2, 3, 4}; // none, MF, DF, both, the reserved bit (FrameBuilder's three flag bits)
        f.fragment(r.nextInt(65536), flags[r.nextInt(flags.length)], r.nextInt(4) == 0 ? 0 : r.nextInt(8192));
      }
    }
    f.ports(r.nextInt(65536), r.nextInt(65536)).payload(r.nextInt(40));
    ByteBuffer b = ByteBuffer.allocate(256);
    int headroom = r.nextInt(3) == 0 ? r.nextInt(40) : 0;
    int n;
    int kind = r.nextInt(8);
    if (kind < 5) {
      f.tcpFlags(r.nextInt(256)).sequence(r.nextLong() >>> 32, r.nextLong() >>> 32);
      if (r.nextInt(4) == 0) {
        f.tcpOptions(1 + r.nextInt(10));
      }
      n = f.writeTcp(b, headroom);
    } else if (kind < 7) {
      n = f.writeUdp(b, headroom);
    } else {
      n = f.writeEcho(b, headroom, r.nextBoolean());
    }
    n += headroom; // the frame's end: the frame sits after the headroom
    byte[] frame = new byte[n];
    b.get(0, frame);
    int l3 = headroom + 14 + ((frame[headroom + 12] & 0xFF) == 0x81 ? 4 : 0);
    switch (r.nextInt(10)) {
      case 0 -> frame = Arrays.copyOf(frame, headroom + r.nextInt(n - headroom + 1)); // cut short
      case 1 -> frame = Arrays.copyOf(frame, n + 1 + r.nextInt(30)); // Ethernet padding
      case 2 -> frame[headroom + r.nextInt(n - headroom)] = (byte) r.nextInt(256); // any byte
      case 3 -> { // IPv4 total length, version and IHL, or TCP data offset: what the fast path tests
        int at = switch (r.nextInt(4)) {
          case 0 -> l3 + 2 + r.nextInt(2);
          case 1 -> l3;
          case 2 -> l3 + 6;
          default -> Math.min(n - 1, l3 + 32);
        };
        frame[at] = (byte) r.nextInt(256);
      }
      case 4 -> { // a bad IPv4 or transport checksum: parsing does not check it, both paths must agree
        frame[Math.min(n - 1, l3 + 10)] ^= (byte) (1 + r.nextInt(255));
        frame[n - 1] ^= (byte) (1 + r.nextInt(255));
      }
      case 5 -> { // random bytes under an IPv4 EtherType, so that some pass the fast path's test by chance
        byte[] random = new byte[headroom + r.nextInt(100)];
        r.nextBytes(random);
        if (random.length > headroom + 15) {
          random[headroom + 12] = 0x08;
          random[headroom + 13] = 0x00;
          random[headroom + 14] = 0x45;
        }
        frame = random;
      }
      default -> { }
    }
    return new Case(frame, Math.min(headroom, frame.length));
  }
}
