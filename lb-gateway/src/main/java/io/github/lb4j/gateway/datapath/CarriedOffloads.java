package io.github.lb4j.gateway.datapath;

import io.github.lb4j.linux.VnetHeader;
import java.nio.ByteBuffer;

/**
 * Presents a frame whose offloads the socket carried ({@link io.github.lb4j.linux.PacketSocket.OffloadMode#CARRY}:
 * a partial checksum, a super-frame) to a translator as the wire frame it stands for, and turns the
 * translated frame back, so that it is sent on with the same {@link VnetHeader}, as the kernel's own
 * forwarding would send it: nothing is summed over the payload and nothing is segmented here.
 *
 * <p><b>The partial checksum.</b> Its field holds P, the one's complement sum of the pseudo-header;
 * whoever finishes it adds the transport bytes. lb-nat's rewrites update a transport checksum
 * incrementally (RFC 1624 eqn. 3) for every address (pseudo-header) and port (transport header) they
 * change, which is right for a complete checksum and wrong for P, which must follow the addresses but
 * not the ports. So, before the translator: the field becomes X = ~(P + H), H the sum of the
 * transport header with the field taken as 0: X is the complete checksum of the packet made of the
 * pseudo-header and the transport header alone, which the translator updates correctly. After:
 * P' = ~(H' + X') (H' the new header's sum), which is the new pseudo-header's sum. Both directions are
 * the same operation: the field becomes the complement of the sum of the transport header, field
 * included (<code>~(H + P) = X</code> and <code>~(H' + X') = P'</code>). The payload is never read. As
 * Linux's {@code inet_proto_csum_replace4} does for {@code CHECKSUM_PARTIAL} with {@code pseudohdr}.
 *
 * <p><b>The super-frame.</b> While the translator works, its IP length (and UDP length) says the first
 * segment's, {@code headers + gso_size}, so that checks against the egress MTU see what will be on the
 * wire (each segment, as the kernel's {@code skb_gso_validate_network_len}); the bytes past it read as
 * Ethernet padding; the IPv4 header checksum follows (RFC 1624). Every segment has the same headers
 * but for lengths, IPv4 identification, TCP sequence numbers and flags, which translators leave alone
 * and the kernel sets when it segments; so rewriting the super-frame's headers rewrites every segment.
 *
 * <p>A frame the translator answers (an ARP reply, an ICMP error in its place) is a new, complete
 * frame: nothing is turned back and it is sent without offloads.
 *
 * <p>One instance per worker thread, reused for each frame; never allocates; never blocks.
 */
final class CarriedOffloads {

  private static final int IPV4 = 0x0800;
  private static final int IPV6 = 0x86DD;

  /** Where the transport header is (absolute in the buffer), -1 when nothing was changed. */
  private int l4 = -1;
  private int l4HeaderLength;
  private int field;
  private int l3;
  private boolean six;
  private boolean udp;
  /** The super-frame's own IP (IPv4 total, IPv6 payload) length and UDP length, -1 for a plain frame. */
  private int ipLength = -1;
  private int udpLength;

  /**
   * Prepares a carried frame for the translator.
   *
   * @param b the buffer holding the frame
   * @param frame where the untagged frame starts (its Ethernet header)
   * @param length its length
   * @param transport where the transport header (the checksum start) is, absolute in {@code b}
   * @param v the frame's offloads
   * @return false when the offsets do not fit the frame's headers (drop it)
   */
  boolean enter(ByteBuffer b, int frame, int length, int transport, VnetHeader v) {
    l4 = -1;
    ipLength = -1;
    int end = frame + length;
    int type = b.getShort(frame + 12) & 0xFFFF;
    int at = frame + 14;
    if ((type != IPV4 && type != IPV6) || transport < at + (type == IPV4 ? 20 : 40)) {
      return false;
    }
    int offset = v.checksumOffset();
    boolean tcp = offset == 16;
    int headerLength = tcp && transport + 20 <= end ? (b.get(transport + 12) & 0xF0) >>> 2 : 8;
    if ((tcp && headerLength < 20) || transport + headerLength > end || offset + 2 > headerLength) {
      return false;
    }
    l3 = at;
    six = type == IPV6;
    udp = offset == 6;
    if (v.isSuperFrame()) {
      int ipLen = b.getShort(at + (six ? 4 : 2)) & 0xFFFF;
      int headers = transport - at + headerLength - (six ? 40 : 0);
      int payload = ipLen - headers;
      if (payload <= 0 || v.gsoSize() <= 0 || at + (six ? 40 : 0) + ipLen > end) {
        return false;
      }
      ipLength = ipLen;
      setIpLength(b, headers + Math.min(v.gsoSize(), payload));
      if (udp) {
        udpLength = b.getShort(transport + 4) & 0xFFFF;
        b.putShort(transport + 4, (short) (8 + Math.min(v.gsoSize(), payload)));
      }
    }
    l4 = transport;
    l4HeaderLength = headerLength;
    field = transport + offset;
    flip(b);
    return true;
  }

  /**
   * Turns the translated frame back into the carried form: the partial checksum of the new
   * pseudo-header, the super-frame's own lengths. Call it for a frame sent as the translator left it
   * (forwarded), or passed on unchanged (bridged); not for a frame it answered in its place.
   *
   * @param b the buffer
   */
  void leave(ByteBuffer b) {
    if (l4 < 0) {
      return;
    }
    flip(b);
    if (ipLength >= 0) {
      setIpLength(b, ipLength);
      if (udp) {
        b.putShort(l4 + 4, (short) udpLength);
      }
    }
    l4 = -1;
    ipLength = -1;
  }

  /** Forgets the frame that entered: the translator wrote another one in its place. */
  void abandon() {
    l4 = -1;
    ipLength = -1;
  }

  /** Whether a frame entered and did not leave yet. */
  boolean entered() {
    return l4 >= 0;
  }

  /** The field becomes the complement of the transport header's sum, field included (see the class comment). */
  private void flip(ByteBuffer b) {
    int c = ~fold(sum(b, l4, l4HeaderLength)) & 0xFFFF;
    // +0 and -0 are one value; 0 would read as "no checksum" to a UDP rewrite
    b.putShort(field, (short) (c == 0 ? 0xFFFF : c));
  }

  private void setIpLength(ByteBuffer b, int value) {
    if (six) {
      b.putShort(l3 + 4, (short) value);
      return;
    }
    int old = b.getShort(l3 + 2) & 0xFFFF;
    b.putShort(l3 + 2, (short) value);
    int check = b.getShort(l3 + 10) & 0xFFFF;
    // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
    b.putShort(l3 + 10, (short) ~fold((~check & 0xFFFF) + (~old & 0xFFFF) + value));
  }

  /** The one's complement sum of big-endian 16-bit words, not folded; an odd last byte is padded with zero. */
  static long sum(ByteBuffer b, int from, int length) {
    long s = 0;
    int i = from;
    int end = from + length;
    for (; i + 4 <= end; i += 4) {
      s += b.getInt(i) & 0xFFFF_FFFFL;
    }
    for (; i + 2 <= end; i += 2) {
      s += b.getShort(i) & 0xFFFF;
    }
    if (i < end) {
      s += (b.get(i) & 0xFF) << 8;
    }
    return s;
  }

  static int fold(long s) {
    while ((s >>> 16) != 0) {
      s = (s & 0xFFFF) + (s >>> 16);
    }
    return (int) s;
  }
}
