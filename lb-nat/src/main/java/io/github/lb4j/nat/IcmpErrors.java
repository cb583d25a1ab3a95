package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.EthernetFlyweight;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.Icmpv4Flyweight;
import io.github.lb4j.nat.header.Icmpv6Flyweight;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * ICMP errors, both kinds: those that quote a tracked flow and cross the balancer (their outer
 * and quoted headers rewritten as the flow was, so that path-MTU discovery, RFC 1191 and RFC 8201,
 * and error reporting work through it), and those the balancer sends itself (time exceeded,
 * fragmentation needed, packet too big).
 *
 * <p>Errors the balancer sends follow RFC 1122 §3.2.2, RFC 1812 §4.3.2 and RFC 4443 §2.4: never about
 * an ICMP error (or an ICMPv6 redirect), a non-first fragment, a packet to a multicast or broadcast
 * address or link-layer address (except packet too big, RFC 4443 §2.4 (e.3)), or a packet whose
 * source names no single host ({@link NatCounter#ICMP_ERRORS_SUPPRESSED}); rate-limited by a token
 * bucket on the flow table's clock ({@link NatCounter#ICMP_ERRORS_RATE_LIMITED}); from an address of
 * the port they leave by (RFC 1812 §4.3.2.4), else the balancer's, else the address the offending
 * packet was sent to; IPv4 errors with precedence 6, internetwork control (RFC 1812 §4.3.2.5), and
 * as much of the offending packet as fits 576 bytes (RFC 1812 §4.3.2.3); IPv6 errors as much as fits
 * the minimum MTU, 1280 bytes (RFC 4443 §2.4 (c)).
 *
 * <p>One thread (the translator's); never allocates; never blocks.
 */
final class IcmpErrors {

  private static final int IPV4_ERROR_MAX = 576;
  private static final int IPV6_ERROR_MAX = 1280;
  /** IP precedence 6, internetwork control, in the IPv4 TOS octet. */
  private static final int TOS_INTERNETWORK_CONTROL = 0xC0;

  private final FrameParser parsed;
  private final Counters counters;
  private final LinkLayer link;
  private final NanoClock clock;
  private final long nanosPerToken;
  private final long burstNanos;
  private long bucketTime;
  private final boolean hasOwnV4;
  private final int ownV4;
  private final boolean hasOwnV6;
  private final long ownV6High;
  private final long ownV6Low;
  private final long[] address = new long[2];

  IcmpErrors(NatConfig config, FrameParser parsed, Counters counters, LinkLayer link) {
    this.parsed = parsed;
    this.counters = counters;
    this.link = link;
    this.clock = config.flowTable().clock();
    this.nanosPerToken = 1_000_000_000L / config.icmpErrorsPerSecond();
    this.burstNanos = nanosPerToken * config.icmpErrorBurst();
    this.bucketTime = clock.nanoTime() - burstNanos;
    InetAddress v4 = config.balancerIpv4();
    InetAddress v6 = config.balancerIpv6();
    this.hasOwnV4 = v4 != null;
    this.ownV4 = v4 != null ? IpAddresses.v4(v4) : 0;
    this.hasOwnV6 = v6 != null;
    this.ownV6High = v6 != null ? IpAddresses.high(v6) : 0;
    this.ownV6Low = v6 != null ? IpAddresses.low(v6) : 0;
  }

  // ---------------------------------------------------------------- errors crossing the balancer

  /**
   * Rewrites the quoted packet's source (address, and port for TCP and UDP), with the quoted IPv4
   * header checksum and, where the quote holds it, the quoted transport checksum.
   */
  void quotedSource(ByteBuffer b, long hi, long lo, int port) {
    quoted(b, 12, 8, 0, hi, lo, port);
  }

  /** Rewrites the quoted packet's destination, as {@link #quotedSource}. */
  void quotedDestination(ByteBuffer b, long hi, long lo, int port) {
    quoted(b, 16, 24, 2, hi, lo, port);
  }

  private void quoted(ByteBuffer b, int v4At, int v6At, int portAt, long hi, long lo, int port) {
    int in = parsed.innerL3Offset();
    int l4 = parsed.innerL4Offset();
    int proto = parsed.innerProtocol();
    int checksumAt = quotedChecksumOffset(proto, l4);
    int cs = checksumAt >= 0 ? b.getShort(checksumAt) & 0xFFFF : 0;
    boolean keepZero = proto == 17 && cs == 0 && !parsed.isIpv6();
    if (parsed.isIpv6()) {
      long oldHigh = b.getLong(in + v6At);
      long oldLow = b.getLong(in + v6At + 8);
      b.putLong(in + v6At, hi);
      b.putLong(in + v6At + 8, lo);
      cs = Checksums.update64(Checksums.update64(cs, oldHigh, hi), oldLow, lo);
    } else {
      int old = b.getInt(in + v4At);
      b.putInt(in + v4At, (int) lo);
      int ihl = (b.get(in) & 0x0F) << 2;
      b.putShort(in + 10, (short) 0);
      b.putShort(in + 10, (short) Checksums.checksum(b, in, ihl));
      if (proto != 1) {
        cs = Checksums.update32(cs, old, (int) lo);
      }
    }
    if (proto == 6 || proto == 17) {
      int old = b.getShort(l4 + portAt) & 0xFFFF;
      b.putShort(l4 + portAt, (short) port);
      cs = Checksums.update16(cs, old, port);
    }
    if (checksumAt >= 0 && !keepZero) {
      b.putShort(checksumAt, (short) (proto == 17 && cs == 0 ? 0xFFFF : cs));
    }
  }

  /** Where the quoted transport checksum is, when the quote holds it and it covers the addresses; else -1. */
  private int quotedChecksumOffset(int proto, int l4) {
    int at = proto == 6 ? l4 + 16 : proto == 17 ? l4 + 6 : proto == 58 ? l4 + 2 : -1;
    return at >= 0 && at + 2 <= parsed.l3End() ? at : -1;
  }

  /** Recomputes the outer ICMP checksum over the whole error message (errors are short). */
  void finishChecksum(ByteBuffer b) {
    int l4 = parsed.l4Offset();
    int len = parsed.l3End() - l4;
    b.putShort(l4 + 2, (short) 0);
    if (parsed.isIpv6()) {
      b.putShort(l4 + 2, (short) Checksums.transportChecksumV6(b, parsed.l3Offset(), l4, len, 58));
    } else {
      b.putShort(l4 + 2, (short) Checksums.checksum(b, l4, len));
    }
  }

  // ---------------------------------------------------------------- errors the balancer sends

  /** Answers time exceeded (RFC 792, RFC 4443 §3.3) about the frame, or drops it silently where the RFCs forbid. */
  int timeExceeded(Frame frame) {
    counters.drop(DropReason.TTL_EXCEEDED);
    return send(frame, Icmpv4Flyweight.TYPE_TIME_EXCEEDED, 0, Icmpv6Flyweight.TYPE_TIME_EXCEEDED, 0,
        DropReason.TTL_EXCEEDED);
  }

  /**
   * Answers fragmentation needed (IPv4 with DF, RFC 1191 §4) or packet too big (IPv6, RFC 4443 §3.2)
   * with the MTU the packet must fit; an IPv4 packet without DF is dropped as {@code MTU_EXCEEDED}
   * (a single frame in gives a single frame out: the balancer does not fragment).
   */
  int tooBig(Frame frame, int mtu) {
    counters.drop(DropReason.MTU_EXCEEDED);
    if (!parsed.isIpv6() && (frame.buffer().getShort(parsed.l3Offset() + 6) & 0x4000) == 0) {
      return io.github.lb4j.api.Verdict.drop(DropReason.MTU_EXCEEDED);
    }
    // RFC 8201 §4: no node lowers its path MTU below 1280; a smaller figure would be ignored
    int advertised = parsed.isIpv6() ? Math.max(IPV6_ERROR_MAX, mtu) : mtu;
    return send(frame, Icmpv4Flyweight.TYPE_DESTINATION_UNREACHABLE, Icmpv4Flyweight.CODE_FRAGMENTATION_NEEDED,
        Icmpv6Flyweight.TYPE_PACKET_TOO_BIG, advertised, DropReason.MTU_EXCEEDED);
  }

  private int send(Frame frame, int type4, int code4, int type6, int mtu, DropReason reason) {
    boolean tooBig = type6 == Icmpv6Flyweight.TYPE_PACKET_TOO_BIG;
    if (!mayAnswer(frame, tooBig)) {
      counters.bump(NatCounter.ICMP_ERRORS_SUPPRESSED);
      return io.github.lb4j.api.Verdict.drop(reason);
    }
    if (!takeToken()) {
      counters.bump(NatCounter.ICMP_ERRORS_RATE_LIMITED);
      return io.github.lb4j.api.Verdict.drop(reason);
    }
    return build(frame, type4, code4, type6, mtu);
  }

  /** RFC 1122 §3.2.2, RFC 1812 §4.3.2.7, RFC 4443 §2.4 (e): whether an error about this packet may be sent. */
  private boolean mayAnswer(Frame frame, boolean packetTooBig) {
    if (parsed.icmpError() || (parsed.fragment() && !parsed.firstFragment())) {
      return false;
    }
    if (parsed.isIpv6() && parsed.protocolNumber() == 58 && parsed.icmpType() == 137) {
      return false; // a redirect
    }
    ByteBuffer b = frame.buffer();
    long mac = EthernetFlyweight.destination(b, frame.offset());
    boolean groupMac = (mac & 0x0100_0000_0000L) != 0;
    boolean six = parsed.isIpv6();
    long dstHigh = parsed.destinationAddressHigh();
    long dstLow = parsed.destinationAddressLow();
    boolean groupDestination = six ? (dstHigh >>> 56) == 0xFF : isV4GroupOrBroadcast((int) dstLow);
    if ((groupMac || groupDestination) && !(six && packetTooBig)) {
      return false;
    }
    return Addresses.singleHost(six, parsed.sourceAddressHigh(), parsed.sourceAddressLow());
  }

  private static boolean isV4GroupOrBroadcast(int address) {
    return (address >>> 28) == 0xE || address == -1;
  }

  /** A token bucket over the clock: {@code bucketTime} trails now by the tokens left times their period. */
  private boolean takeToken() {
    long now = clock.nanoTime();
    long earliest = now - burstNanos;
    long t = bucketTime - earliest < 0 ? earliest : bucketTime;
    if (now - (t + nanosPerToken) < 0) {
      return false;
    }
    bucketTime = t + nanosPerToken;
    return true;
  }

  /**
   * Turns the frame into an ICMP error about itself, back to its source, out of the port it came in
   * on. The quote starts at the offending packet's IP header.
   */
  private int build(Frame frame, int type4, int code4, int type6, int mtu) {
    ByteBuffer b = frame.buffer();
    int off = frame.offset();
    int l3 = parsed.l3Offset();
    boolean six = parsed.isIpv6();
    int header = six ? 48 : 28;
    int limit = (six ? IPV6_ERROR_MAX : IPV4_ERROR_MAX) - header;
    int quote = Math.min(parsed.l3End() - l3, limit);
    quote = Math.min(quote, b.capacity() - l3 - header);
    if (quote < (six ? 40 : 20)) {
      return counters.drop(DropReason.TRUNCATED);
    }
    for (int i = quote - 1; i >= 0; i--) {
      b.put(l3 + header + i, b.get(l3 + i));
    }
    long srcHigh = parsed.sourceAddressHigh();
    long srcLow = parsed.sourceAddressLow();
    source(frame, six);
    int l4 = l3 + header - 8;
    if (six) {
      b.putInt(l3, 6 << 28);
      b.putInt(l3 + 4, (8 + quote) << 16 | 58 << 8 | 64);
      b.putLong(l3 + 8, address[0]);
      b.putLong(l3 + 16, address[1]);
      b.putLong(l3 + 24, srcHigh);
      b.putLong(l3 + 32, srcLow);
      b.putInt(l4, type6 << 24);
      b.putInt(l4 + 4, type6 == Icmpv6Flyweight.TYPE_PACKET_TOO_BIG ? mtu : 0);
      b.putShort(l4 + 2, (short) Checksums.transportChecksumV6(b, l3, l4, 8 + quote, 58));
    } else {
      b.putInt(l3, 0x4500_0000 | TOS_INTERNETWORK_CONTROL << 16 | (28 + quote));
      b.putInt(l3 + 4, 0);
      b.putInt(l3 + 8, 64 << 24 | 1 << 16);
      b.putInt(l3 + 12, (int) address[1]);
      b.putInt(l3 + 16, (int) srcLow);
      b.putShort(l3 + 10, (short) Checksums.checksum(b, l3, 20));
      b.putInt(l4, type4 << 24 | code4 << 16);
      b.putInt(l4 + 4, type4 == Icmpv4Flyweight.TYPE_DESTINATION_UNREACHABLE ? mtu & 0xFFFF : 0);
      b.putShort(l4 + 2, (short) Checksums.checksum(b, l4, 8 + quote));
    }
    frame.region(off, l3 + header + quote - off);
    counters.bump(NatCounter.ICMP_ERRORS_SENT);
    return link.answer(frame);
  }

  /** The error's source into {@link #address}: the ingress port's address, else the balancer's, else the packet's destination. */
  private void source(Frame frame, boolean six) {
    if (LinkLayer.addressOf(link.ingress(frame), six, address)) {
      return;
    }
    if (six ? hasOwnV6 : hasOwnV4) {
      address[0] = six ? ownV6High : 0;
      address[1] = six ? ownV6Low : IpAddresses.V4_MAPPED | (ownV4 & 0xFFFF_FFFFL);
      return;
    }
    address[0] = parsed.destinationAddressHigh();
    address[1] = parsed.destinationAddressLow();
  }
}
