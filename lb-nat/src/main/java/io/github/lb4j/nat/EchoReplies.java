package io.github.lb4j.nat;

import io.github.lb4j.api.Frame;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.Icmpv4Flyweight;
import io.github.lb4j.nat.header.Icmpv6Flyweight;
import java.nio.ByteBuffer;

/**
 * Answers ICMP and ICMPv6 echo requests to a VIP's address, whatever port the VIP serves (RFC 792;
 * RFC 4443 §4.2: from the address the request was sent to, identifier, sequence number and data
 * returned unchanged; RFC 1122 §3.2.2.6). The reply leaves with TTL or hop limit 64, back out of the
 * port the request came in on. Requests reaching the balancer with TTL 1 are answered too: they are
 * addressed to it (RFC 1812 §5.3.1).
 *
 * <p>One thread (the translator's); never allocates; never blocks.
 */
final class EchoReplies {

  private final FrameParser parsed;
  private final Counters counters;
  private final LinkLayer link;

  EchoReplies(FrameParser parsed, Counters counters, LinkLayer link) {
    this.parsed = parsed;
    this.counters = counters;
    this.link = link;
  }

  boolean isRequest() {
    int t = parsed.icmpType();
    return parsed.isIpv6() ? parsed.protocolNumber() == 58 && t == Icmpv6Flyweight.TYPE_ECHO_REQUEST
        : parsed.protocolNumber() == 1 && t == Icmpv4Flyweight.TYPE_ECHO_REQUEST;
  }

  int reply(Frame frame) {
    ByteBuffer b = frame.buffer();
    int l3 = parsed.l3Offset();
    int l4 = parsed.l4Offset();
    if (parsed.isIpv6()) {
      long sh = b.getLong(l3 + 8);
      long sl = b.getLong(l3 + 16);
      b.putLong(l3 + 8, b.getLong(l3 + 24));
      b.putLong(l3 + 16, b.getLong(l3 + 32));
      b.putLong(l3 + 24, sh);
      b.putLong(l3 + 32, sl);
      b.put(l3 + 7, (byte) 64);
      int word = b.getShort(l4) & 0xFFFF;
      int next = Icmpv6Flyweight.TYPE_ECHO_REPLY << 8 | (word & 0xFF);
      b.putShort(l4, (short) next);
      b.putShort(l4 + 2, (short) Checksums.update16(b.getShort(l4 + 2) & 0xFFFF, word, next));
    } else {
      int src = b.getInt(l3 + 12);
      b.putInt(l3 + 12, b.getInt(l3 + 16));
      b.putInt(l3 + 16, src);
      int ttlWord = b.getShort(l3 + 8) & 0xFFFF;
      int nextTtl = 64 << 8 | (ttlWord & 0xFF);
      b.putShort(l3 + 8, (short) nextTtl);
      b.putShort(l3 + 10, (short) Checksums.update16(b.getShort(l3 + 10) & 0xFFFF, ttlWord, nextTtl));
      int word = b.getShort(l4) & 0xFFFF;
      int next = Icmpv4Flyweight.TYPE_ECHO_REPLY << 8 | (word & 0xFF);
      b.putShort(l4, (short) next);
      b.putShort(l4 + 2, (short) Checksums.update16(b.getShort(l4 + 2) & 0xFFFF, word, next));
    }
    counters.bump(NatCounter.ECHO_REPLIES);
    return link.answer(frame);
  }
}
