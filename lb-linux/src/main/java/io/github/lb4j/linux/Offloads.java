package io.github.lb4j.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Turns what the kernel hands an {@code AF_PACKET} socket back into frames as they are on the wire,
 * whatever the interface's offloads:
 *
 * <ol>
 *   <li>A frame whose checksum the sender left to the hardware ({@code CHECKSUM_PARTIAL}: the kernel
 *       marks it {@code TP_STATUS_CSUMNOTREADY} and {@code VIRTIO_NET_HDR_F_NEEDS_CSUM}) carries only
 *       the pseudo-header sum in its checksum field. The sum is completed here as the kernel's {@code
 *       skb_checksum_help} does: the one's complement sum (RFC 1071) from {@code csum_start} to the
 *       end of the IP datagram, folded, complemented and stored at {@code csum_start + csum_offset}
 *       (0 becomes 0xFFFF, {@code CSUM_MANGLED_0}).
 *   <li>A super-frame (GRO on the receiving interface, or TSO/GSO of a sender on a veth or bridge,
 *       which forwards it unsegmented) is cut into the segments it stands for, {@code gso_size} bytes
 *       of payload each, as the kernel's {@code tcp_gso_segment} and {@code __udp_gso_segment} would:
 *       TCP sequence numbers advance, FIN and PSH stay on the last segment and CWR on the first, IPv4
 *       total length, identification (+1 per segment) and header checksum, IPv6 payload length, and a
 *       complete TCP or UDP checksum per segment.
 *   <li>The 802.1Q/802.1ad tag the kernel strips into the ring's metadata ({@code tp_vlan_tci},
 *       {@code tp_vlan_tpid}) is put back after the source MAC.
 * </ol>
 *
 * <p>The offsets come from the {@code virtio_net_hdr} that {@code PACKET_VNET_HDR} puts in front of
 * each frame ({@code include/uapi/linux/virtio_net.h}, in host byte order for packet sockets).
 * Frames are untouched otherwise; a frame whose header offsets do not fit it, or a GSO type that is
 * not TCP or UDP (L4) segmentation, is dropped and counted.
 *
 * <p>One thread (the socket's owner). Owns two native buffers allocated at construction (a whole
 * super-frame and one segment); never allocates afterwards; never blocks.
 */
final class Offloads {

  /** Bytes of the {@code virtio_net_hdr} in front of each frame. */
  static final int VNET_HDR_LEN = 10;
  /** Room kept in front of a frame in the buffers, for the vnet header and a restored VLAN tag. */
  static final int HEAD = 16;
  /** The longest frame taken whole: an IP datagram of 64 KiB, Ethernet and two VLAN tags. */
  static final int MAX_FRAME = 65_535 + 14 + 8;

  static final int F_NEEDS_CSUM = 1;
  static final int GSO_NONE = 0;
  static final int GSO_TCPV4 = 1;
  static final int GSO_UDP = 3;
  static final int GSO_TCPV6 = 4;
  static final int GSO_UDP_L4 = 5;
  static final int GSO_ECN = 0x80;

  /** {@link #prepare} result: drop the frame (counted). */
  static final int DROP = -1;
  /** {@link #prepare} result: one frame at {@link #memory()}, {@link #offset()}, {@link #length()}. */
  static final int PLAIN = 0;
  /** {@link #prepare} result: call {@link #nextSegment()} until it returns false. */
  static final int SEGMENTED = 1;

  private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
  private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
  private static final ValueLayout.OfShort HOST16 = ValueLayout.JAVA_SHORT_UNALIGNED;
  private static final ValueLayout.OfLong HOST64 = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final boolean LITTLE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
  private static final int TCP_FIN = 0x01;
  private static final int TCP_PSH = 0x08;
  private static final int TCP_CWR = 0x80;

  private final MemorySegment whole;
  private final MemorySegment wholeWithVnetHeader;
  private final MemorySegment segment;
  private final long[] counts;

  private MemorySegment memory;
  private long offset;
  private int length;

  // the super-frame being cut, in whole at HEAD
  private int segTotal;
  private int segHeaders;
  private int segL3;
  private int segL4;
  private int segMss;
  private int segNext;
  private int segIndex;
  private boolean segTcp;
  private boolean segV6;
  private int segTag;

  /**
   * Creates the buffers.
   *
   * @param arena the socket's arena
   * @param counts the socket's counters, indexed by {@link PacketSocket.Counter#ordinal()}; written
   *     with opaque stores by the owner, so that other threads read whole values
   */
  Offloads(Arena arena, long[] counts) {
    this.whole = arena.allocate(HEAD + MAX_FRAME, 64);
    this.wholeWithVnetHeader = whole.asSlice(HEAD - VNET_HDR_LEN);
    this.segment = arena.allocate(HEAD + MAX_FRAME, 64);
    this.counts = counts;
    this.memory = whole;
  }

  /** The buffer a frame is received into whole (copying receive, {@code TP_STATUS_COPY}). */
  MemorySegment whole() {
    return whole;
  }

  /** Where to receive a frame whole behind its vnet header, so that the frame lands at {@link #HEAD} of {@link #whole()}. */
  MemorySegment wholeWithVnetHeader() {
    return wholeWithVnetHeader;
  }

  MemorySegment memory() {
    return memory;
  }

  long offset() {
    return offset;
  }

  int length() {
    return length;
  }

  /**
   * Looks at one received frame and its vnet header ({@code VNET_HDR_LEN} bytes before {@code at}).
   *
   * @param mem where the frame is (a ring frame, or {@link #whole()})
   * @param at the frame's first byte
   * @param len its length
   * @param floor the lowest offset of {@code mem} that may be overwritten (a restored tag needs 4
   *     bytes before the frame)
   * @param tag the stripped VLAN tag as {@code tpid << 16 | tci}, 0 for none
   * @return {@link #DROP}, {@link #PLAIN} or {@link #SEGMENTED}
   */
  int prepare(MemorySegment mem, long at, int len, long floor, int tag) {
    int flags = mem.get(ValueLayout.JAVA_BYTE, at - VNET_HDR_LEN) & 0xFF;
    int gso = mem.get(ValueLayout.JAVA_BYTE, at - VNET_HDR_LEN + 1) & 0xFF;
    int gsoSize = mem.get(HOST16, at - VNET_HDR_LEN + 4) & 0xFFFF;
    int csumStart = mem.get(HOST16, at - VNET_HDR_LEN + 6) & 0xFFFF;
    int csumOffset = mem.get(HOST16, at - VNET_HDR_LEN + 8) & 0xFFFF;
    if (gso != GSO_NONE) {
      if (mem.address() != whole.address() || at != HEAD) {
        MemorySegment.copy(mem, at, whole, HEAD, len);
      }
      return segments(len, gso, gsoSize, (flags & F_NEEDS_CSUM) != 0 ? csumStart : -1, tag);
    }
    if ((flags & F_NEEDS_CSUM) != 0) {
      if (!complete(mem, at, len, csumStart, csumOffset)) {
        count(PacketSocket.Counter.MALFORMED_OFFLOAD);
        return DROP;
      }
      count(PacketSocket.Counter.CHECKSUMS_COMPLETED);
    }
    if (tag != 0) {
      if (at - 4 < floor) {
        count(PacketSocket.Counter.MALFORMED_OFFLOAD);
        return DROP;
      }
      insertTag(mem, at, tag);
      count(PacketSocket.Counter.VLAN_TAGS_RESTORED);
      at -= 4;
      len += 4;
    }
    memory = mem;
    offset = at;
    length = len;
    return PLAIN;
  }

  /**
   * Completes a partial checksum in place.
   *
   * @return false when the offsets do not fit the frame
   */
  static boolean complete(MemorySegment m, long frame, int len, int csumStart, int csumOffset) {
    int end = datagramEnd(m, frame, len);
    int field = csumStart + csumOffset;
    if (csumStart < 14 || field + 2 > end || end > len) {
      return false;
    }
    int c = ~fold(sum(m, frame + csumStart, end - csumStart)) & 0xFFFF;
    m.set(BE16, frame + field, (short) (c == 0 ? 0xFFFF : c));
    return true;
  }

  /** Where the IP datagram of a frame ends (Ethernet padding excluded), or {@code len} for other frames. */
  private static int datagramEnd(MemorySegment m, long frame, int len) {
    int l3 = networkOffset(m, frame, len);
    if (l3 < 0 || l3 + 20 > len) {
      return len;
    }
    int type = m.get(BE16, frame + l3 - 2) & 0xFFFF;
    if (type == 0x0800) {
      return Math.min(len, l3 + (m.get(BE16, frame + l3 + 2) & 0xFFFF));
    }
    if (type == 0x86DD && l3 + 40 <= len) {
      return Math.min(len, l3 + 40 + (m.get(BE16, frame + l3 + 4) & 0xFFFF));
    }
    return len;
  }

  /** The offset of the network header after any VLAN tags, or -1 for a frame too short. */
  private static int networkOffset(MemorySegment m, long frame, int len) {
    int l3 = 14;
    if (len < l3) {
      return -1;
    }
    int type = m.get(BE16, frame + 12) & 0xFFFF;
    while ((type == 0x8100 || type == 0x88A8) && l3 + 4 <= len) {
      type = m.get(BE16, frame + l3 + 2) & 0xFFFF;
      l3 += 4;
    }
    return l3;
  }

  private int segments(int len, int gso, int gsoSize, int l4, int tag) {
    int kind = gso & ~GSO_ECN;
    boolean tcp = kind == GSO_TCPV4 || kind == GSO_TCPV6;
    if (!tcp && kind != GSO_UDP_L4) {
      count(PacketSocket.Counter.UNSUPPORTED_OFFLOAD);
      return DROP;
    }
    MemorySegment m = whole;
    int l3 = networkOffset(m, HEAD, len);
    if (l3 < 0 || l4 < l3 + 20 || gsoSize == 0) {
      count(PacketSocket.Counter.MALFORMED_OFFLOAD);
      return DROP;
    }
    int type = m.get(BE16, HEAD + l3 - 2) & 0xFFFF;
    boolean v6 = type == 0x86DD;
    if ((!v6 && type != 0x0800) || (kind == GSO_TCPV4 && v6) || (kind == GSO_TCPV6 && !v6) || (v6 && l4 < l3 + 40)) {
      count(PacketSocket.Counter.MALFORMED_OFFLOAD);
      return DROP;
    }
    int headers = tcp ? l4 + 20 : l4 + 8;
    if (headers > len) {
      count(PacketSocket.Counter.MALFORMED_OFFLOAD);
      return DROP;
    }
    if (tcp) {
      headers = l4 + ((m.get(ValueLayout.JAVA_BYTE, HEAD + l4 + 12) & 0xF0) >>> 2);
    }
    int end = datagramEnd(m, HEAD, len);
    if (headers < l4 + (tcp ? 20 : 8) || headers > end) {
      count(PacketSocket.Counter.MALFORMED_OFFLOAD);
      return DROP;
    }
    segTotal = end;
    segHeaders = headers;
    segL3 = l3;
    segL4 = l4;
    segMss = gsoSize;
    segNext = headers;
    segIndex = 0;
    segTcp = tcp;
    segV6 = v6;
    segTag = tag;
    count(PacketSocket.Counter.SUPER_FRAMES);
    return SEGMENTED;
  }

  /** Whether segments of a super-frame are still to be handed out. */
  boolean pending() {
    return segNext < segTotal;
  }

  /**
   * Builds the next segment of the super-frame in the segment buffer.
   *
   * @return false when every segment was handed out
   */
  boolean nextSegment() {
    if (segNext >= segTotal) {
      return false;
    }
    MemorySegment src = whole;
    MemorySegment dst = segment;
    int headers = segHeaders;
    int payload = Math.min(segMss, segTotal - segNext);
    boolean last = segNext + payload >= segTotal;
    long at = HEAD;
    MemorySegment.copy(src, HEAD, dst, at, headers);
    MemorySegment.copy(src, HEAD + segNext, dst, at + headers, payload);
    int l3 = segL3;
    int l4 = segL4;
    int l4Length = headers - l4 + payload;
    if (segV6) {
      dst.set(BE16, at + l3 + 4, (short) (l4 - l3 - 40 + l4Length));
    } else {
      int ihl = (dst.get(ValueLayout.JAVA_BYTE, at + l3) & 0x0F) << 2;
      dst.set(BE16, at + l3 + 2, (short) (l4 - l3 + l4Length));
      dst.set(BE16, at + l3 + 4, (short) (dst.get(BE16, at + l3 + 4) + segIndex));
      dst.set(BE16, at + l3 + 10, (short) 0);
      dst.set(BE16, at + l3 + 10, (short) (~fold(sum(dst, at + l3, ihl)) & 0xFFFF));
    }
    int checksumAt;
    int protocol;
    if (segTcp) {
      dst.set(BE32, at + l4 + 4, dst.get(BE32, at + l4 + 4) + (segNext - headers));
      int flags = dst.get(ValueLayout.JAVA_BYTE, at + l4 + 13) & 0xFF;
      if (!last) {
        flags &= ~(TCP_FIN | TCP_PSH);
      }
      if (segIndex > 0) {
        flags &= ~TCP_CWR;
      }
      dst.set(ValueLayout.JAVA_BYTE, at + l4 + 13, (byte) flags);
      checksumAt = 16;
      protocol = 6;
    } else {
      dst.set(BE16, at + l4 + 4, (short) l4Length);
      checksumAt = 6;
      protocol = 17;
    }
    dst.set(BE16, at + l4 + checksumAt, (short) 0);
    long s = sum(dst, at + l4, l4Length) + pseudoHeader(dst, at + l3, segV6, protocol, l4Length);
    int c = ~fold(s) & 0xFFFF;
    dst.set(BE16, at + l4 + checksumAt, (short) (c == 0 && protocol == 17 ? 0xFFFF : c));
    int frameLength = headers + payload;
    segNext += payload;
    segIndex++;
    count(PacketSocket.Counter.SEGMENTS);
    if (segTag != 0) {
      insertTag(dst, at, segTag);
      count(PacketSocket.Counter.VLAN_TAGS_RESTORED);
      at -= 4;
      frameLength += 4;
    }
    memory = dst;
    offset = at;
    length = frameLength;
    return true;
  }

  /** Drops what is left of a super-frame. */
  void discard() {
    segNext = segTotal;
  }

  /** The RFC 9293 / RFC 8200 pseudo-header as an unfolded sum of big-endian 16-bit words. */
  private static long pseudoHeader(MemorySegment m, long l3, boolean v6, int protocol, int l4Length) {
    long s = protocol + l4Length;
    if (v6) {
      for (int i = 8; i < 40; i += 2) {
        s += m.get(BE16, l3 + i) & 0xFFFF;
      }
    } else {
      for (int i = 12; i < 20; i += 2) {
        s += m.get(BE16, l3 + i) & 0xFFFF;
      }
    }
    return s;
  }

  /**
   * Puts an 802.1Q/802.1ad tag after the source MAC of the frame at {@code at}, moving the two MAC
   * addresses 4 bytes towards the front: the frame then starts at {@code at - 4}.
   *
   * @param tag {@code tpid << 16 | tci}
   */
  static void insertTag(MemorySegment m, long at, int tag) {
    MemorySegment.copy(m, at, m, at - 4, 12);
    m.set(BE32, at + 8, tag);
  }

  /**
   * The one's complement sum (RFC 1071) of {@code length} bytes as big-endian 16-bit words, not
   * folded. Reads 8 bytes at a time in host order and swaps once at the end (RFC 1071 section 2(B):
   * the sum is byte-order independent).
   */
  static long sum(MemorySegment m, long from, int length) {
    long s = 0;
    long i = from;
    long end = from + length;
    for (; i + 8 <= end; i += 8) {
      long v = m.get(HOST64, i);
      s += (v & 0xFFFF_FFFFL) + (v >>> 32);
    }
    for (; i + 2 <= end; i += 2) {
      s += m.get(HOST16, i) & 0xFFFF;
    }
    if (i < end) {
      // an odd last byte is the high byte of a big-endian word padded with zero
      int b = m.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
      s += LITTLE ? b : b << 8;
    }
    if (LITTLE) {
      int folded = fold(s);
      return ((folded & 0xFF) << 8) | (folded >>> 8);
    }
    return s;
  }

  /** Folds a sum of 16-bit words to 16 bits with end-around carry. */
  static int fold(long s) {
    while ((s >>> 16) != 0) {
      s = (s & 0xFFFF) + (s >>> 16);
    }
    return (int) s;
  }

  private void count(PacketSocket.Counter c) {
    int i = c.ordinal();
    COUNTS.setOpaque(counts, i, counts[i] + 1);
  }
}
