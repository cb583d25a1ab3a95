package io.github.lb4j.nat;

import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.FrameParser;
import java.nio.ByteBuffer;

/**
 * The in-place header rewrites the modes are made of, on the frame last parsed by the translator's
 * parser, each with its checksums updated incrementally (RFC 1624 eqn. 3): addresses (IPv4 header
 * checksum and the transport checksum over the pseudo-header), ports, TTL or hop limit, DSCP.
 *
 * <p>Checksum rules kept here, for every rewrite: UDP over IPv4 with checksum 0 ("none", RFC 768)
 * stays 0 and a computed 0 is sent as 0xFFFF; UDP over IPv6 never carries 0 (a computed 0 is sent
 * as 0xFFFF, RFC 8200 §8.1; a received 0 was dropped before any rewrite); ICMPv6 covers the
 * pseudo-header, ICMPv4 does not; a later fragment has no transport header to update.
 *
 * <p>One thread (the translator's); never allocates; never blocks.
 */
final class Rewrites {

  private final FrameParser parsed;

  Rewrites(FrameParser parsed) {
    this.parsed = parsed;
  }

  void destination(ByteBuffer b, long hi, long lo) {
    address(b, 16, 24, hi, lo);
  }

  void source(ByteBuffer b, long hi, long lo) {
    address(b, 12, 8, hi, lo);
  }

  /** Rewrites the IPv4 address at {@code v4At} or the IPv6 address at {@code v6At} of the IP header. */
  private void address(ByteBuffer b, int v4At, int v6At, long hi, long lo) {
    int l3 = parsed.l3Offset();
    if (!parsed.isIpv6()) {
      int old = b.getInt(l3 + v4At);
      int now = (int) lo;
      b.putInt(l3 + v4At, now);
      b.putShort(l3 + 10, (short) Checksums.update32(b.getShort(l3 + 10) & 0xFFFF, old, now));
      transportUpdate32(b, old, now);
    } else {
      long oldHigh = b.getLong(l3 + v6At);
      long oldLow = b.getLong(l3 + v6At + 8);
      b.putLong(l3 + v6At, hi);
      b.putLong(l3 + v6At + 8, lo);
      transportUpdate64(b, oldHigh, hi);
      transportUpdate64(b, oldLow, lo);
    }
  }

  void sourcePort(ByteBuffer b, int port) {
    port(b, 0, port);
  }

  void destinationPort(ByteBuffer b, int port) {
    port(b, 2, port);
  }

  private void port(ByteBuffer b, int at, int port) {
    int proto = parsed.protocolNumber();
    if (parsed.l4HeaderLength() == 0 || (proto != 6 && proto != 17)) {
      return;
    }
    int l4 = parsed.l4Offset();
    int old = b.getShort(l4 + at) & 0xFFFF;
    if (old == port) {
      return;
    }
    b.putShort(l4 + at, (short) port);
    int checksumAt = l4 + (proto == 6 ? 16 : 6);
    int cs = b.getShort(checksumAt) & 0xFFFF;
    if (proto == 17) {
      b.putShort(checksumAt, (short) udp(cs, Checksums.update16(cs, old, port)));
    } else {
      b.putShort(checksumAt, (short) Checksums.update16(cs, old, port));
    }
  }

  /** The UDP rule: 0 ("none") stays 0 over IPv4; a computed 0 is sent as 0xFFFF. */
  private int udp(int before, int after) {
    if (before == 0 && !parsed.isIpv6()) {
      return 0;
    }
    return after == 0 ? 0xFFFF : after;
  }

  private void transportUpdate32(ByteBuffer b, int old, int now) {
    if (parsed.l4HeaderLength() == 0) {
      return;
    }
    int l4 = parsed.l4Offset();
    int proto = parsed.protocolNumber();
    if (proto == 6) {
      b.putShort(l4 + 16, (short) Checksums.update32(b.getShort(l4 + 16) & 0xFFFF, old, now));
    } else if (proto == 17) {
      int cs = b.getShort(l4 + 6) & 0xFFFF;
      b.putShort(l4 + 6, (short) udp(cs, Checksums.update32(cs, old, now)));
    }
  }

  private void transportUpdate64(ByteBuffer b, long old, long now) {
    if (parsed.l4HeaderLength() == 0) {
      return;
    }
    int l4 = parsed.l4Offset();
    int proto = parsed.protocolNumber();
    int at = proto == 6 ? 16 : proto == 17 ? 6 : proto == 58 ? 2 : -1;
    if (at >= 0) {
      int cs = b.getShort(l4 + at) & 0xFFFF;
      int next = Checksums.update64(cs, old, now);
      b.putShort(l4 + at, (short) (proto == 17 ? udp(cs, next) : next));
    }
  }

  /** Decrements TTL or hop limit; false when it would reach zero (the caller answers time exceeded). */
  boolean decrementTtl(ByteBuffer b) {
    int l3 = parsed.l3Offset();
    if (parsed.isIpv6()) {
      int hops = b.get(l3 + 7) & 0xFF;
      if (hops <= 1) {
        return false;
      }
      b.put(l3 + 7, (byte) (hops - 1));
      return true;
    }
    int word = b.getShort(l3 + 8) & 0xFFFF;
    if ((word >>> 8) <= 1) {
      return false;
    }
    int next = word - 0x100;
    b.putShort(l3 + 8, (short) next);
    b.putShort(l3 + 10, (short) Checksums.update16(b.getShort(l3 + 10) & 0xFFFF, word, next));
    return true;
  }

  void dscp(ByteBuffer b, int dscp) {
    int l3 = parsed.l3Offset();
    if (parsed.isIpv6()) {
      int w = b.getInt(l3);
      b.putInt(l3, (w & 0xF03F_FFFF) | (dscp & 0x3F) << 22);
      return;
    }
    int word = b.getShort(l3) & 0xFFFF;
    int next = (word & 0xFF03) | (dscp & 0x3F) << 2;
    b.putShort(l3, (short) next);
    b.putShort(l3 + 10, (short) Checksums.update16(b.getShort(l3 + 10) & 0xFFFF, word, next));
  }
}
