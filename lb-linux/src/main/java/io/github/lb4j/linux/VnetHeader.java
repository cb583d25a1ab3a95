package io.github.lb4j.linux;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What the kernel knows about a frame's offloads, as packet sockets exchange it with {@code
 * PACKET_VNET_HDR}: the {@code struct virtio_net_hdr} of {@code include/uapi/linux/virtio_net.h}
 * (fields in host byte order for packet sockets).
 *
 * <pre>
 *   0      1      2             4             6             8             10
 *  +------+------+-------------+-------------+-------------+-------------+
 *  |flags | gso  |   hdr_len   |  gso_size   | csum_start  | csum_offset |
 *  |      | type |             |             |             |             |
 *  +------+------+-------------+-------------+-------------+-------------+
 * </pre>
 *
 * <ul>
 *   <li>{@link #needsChecksum()} ({@code VIRTIO_NET_HDR_F_NEEDS_CSUM}): the transport checksum is
 *       partial ({@code CHECKSUM_PARTIAL}): the field at {@code checksumStart + checksumOffset} holds
 *       only the sum of the pseudo-header, and whoever sends the frame on (a NIC, the kernel) sums
 *       from {@code checksumStart} to the end of the IP datagram and stores the complement there.
 *   <li>{@link #gsoType()} other than {@link #GSO_NONE}: a super-frame (TSO/GSO of a sender, GRO of a
 *       receiver) that stands for segments of {@link #gsoSize()} bytes of transport payload each; its
 *       checksum is partial too.
 * </ul>
 *
 * <p>A {@link PacketSocket} with {@link PacketSocket.OffloadMode#CARRY} hands out each received
 * frame's header ({@link ReceivedFrame#vnet()}) and sends frames with the header the caller gives, so
 * that a forwarder passes super-frames and partial checksums on as the kernel does, instead of
 * segmenting and summing in user space. Offsets count from the first byte of the frame (its
 * Ethernet header) as handed out or sent: a forwarder that moves the frame's start (a VLAN tag put
 * in or taken out) moves {@link #checksumStart()} with it.
 *
 * <p>Mutable and reusable; one thread owns an instance; nothing allocates or blocks.
 */
public final class VnetHeader {

  /** Bytes of the header on the wire between user space and the kernel. */
  public static final int LENGTH = 10;
  /** Flag: the transport checksum is partial ({@code VIRTIO_NET_HDR_F_NEEDS_CSUM}). */
  public static final int F_NEEDS_CSUM = 1;
  /** Flag: the checksum was verified ({@code VIRTIO_NET_HDR_F_DATA_VALID}); receive only. */
  public static final int F_DATA_VALID = 2;
  /** Not a super-frame. */
  public static final int GSO_NONE = 0;
  /** TCP over IPv4 segmentation ({@code VIRTIO_NET_HDR_GSO_TCPV4}). */
  public static final int GSO_TCPV4 = 1;
  /** TCP over IPv6 segmentation ({@code VIRTIO_NET_HDR_GSO_TCPV6}). */
  public static final int GSO_TCPV6 = 4;
  /** UDP segmentation, {@code UDP_SEGMENT} ({@code VIRTIO_NET_HDR_GSO_UDP_L4}). */
  public static final int GSO_UDP_L4 = 5;
  /** Flag on the GSO type: the sender set ECN's CWR in the first segment ({@code VIRTIO_NET_HDR_GSO_ECN}). */
  public static final int GSO_ECN = 0x80;

  private int flags;
  private int gsoType;
  private int headerLength;
  private int gsoSize;
  private int checksumStart;
  private int checksumOffset;

  /** An empty header: a complete frame, nothing to offload. */
  public VnetHeader() {}

  /**
   * Clears every field: a complete frame, nothing left to the kernel.
   *
   * @return this header
   */
  public VnetHeader clear() {
    flags = 0;
    gsoType = GSO_NONE;
    headerLength = 0;
    gsoSize = 0;
    checksumStart = 0;
    checksumOffset = 0;
    return this;
  }

  /**
   * Copies another header's fields.
   *
   * @param other the header to copy
   * @return this header
   */
  public VnetHeader set(VnetHeader other) {
    flags = other.flags;
    gsoType = other.gsoType;
    headerLength = other.headerLength;
    gsoSize = other.gsoSize;
    checksumStart = other.checksumStart;
    checksumOffset = other.checksumOffset;
    return this;
  }

  /**
   * Sets a partial transport checksum.
   *
   * @param start where the checksummed part (the transport header) starts, from the frame's first byte
   * @param offset where the checksum field is, from {@code start} (16 for TCP, 6 for UDP)
   * @return this header
   */
  public VnetHeader partialChecksum(int start, int offset) {
    flags |= F_NEEDS_CSUM;
    checksumStart = start;
    checksumOffset = offset;
    return this;
  }

  /**
   * Makes the frame a super-frame.
   *
   * @param type {@link #GSO_TCPV4}, {@link #GSO_TCPV6} or {@link #GSO_UDP_L4}, with {@link #GSO_ECN}
   * @param size transport payload bytes per segment, 1..65535
   * @param headers bytes of headers in front of the payload (a hint for the kernel's linear part)
   * @return this header
   */
  public VnetHeader segmentation(int type, int size, int headers) {
    gsoType = type;
    gsoSize = size;
    headerLength = headers;
    return this;
  }

  /** {@return flags ({@link #F_NEEDS_CSUM}, {@link #F_DATA_VALID})} */
  public int flags() {
    return flags;
  }

  /** {@return whether the transport checksum is partial} */
  public boolean needsChecksum() {
    return (flags & F_NEEDS_CSUM) != 0;
  }

  /** {@return the GSO type, {@link #GSO_NONE} for a frame that is not a super-frame} */
  public int gsoType() {
    return gsoType;
  }

  /** {@return whether the frame is a super-frame} */
  public boolean isSuperFrame() {
    return gsoType != GSO_NONE;
  }

  /** {@return header bytes in front of the payload of a super-frame, as the sender announced them (may be 0)} */
  public int headerLength() {
    return headerLength;
  }

  /** {@return transport payload bytes per segment of a super-frame} */
  public int gsoSize() {
    return gsoSize;
  }

  /** {@return where the partial checksum's sum starts, from the frame's first byte} */
  public int checksumStart() {
    return checksumStart;
  }

  /** {@return where the checksum field is, from {@link #checksumStart()}} */
  public int checksumOffset() {
    return checksumOffset;
  }

  /**
   * Moves the checksum start, for a frame whose first byte moved while its transport header stayed.
   *
   * @param delta bytes to add (4 when a VLAN tag was put in front of the network header)
   * @return this header
   */
  public VnetHeader shift(int delta) {
    if (needsChecksum()) {
      checksumStart += delta;
    }
    if (headerLength > 0) {
      headerLength += delta;
    }
    return this;
  }

  /** Reads the header the kernel wrote at {@code at}. */
  void read(MemorySegment m, long at) {
    flags = m.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    gsoType = m.get(ValueLayout.JAVA_BYTE, at + 1) & 0xFF;
    headerLength = m.get(ValueLayout.JAVA_SHORT_UNALIGNED, at + 2) & 0xFFFF;
    gsoSize = m.get(ValueLayout.JAVA_SHORT_UNALIGNED, at + 4) & 0xFFFF;
    checksumStart = m.get(ValueLayout.JAVA_SHORT_UNALIGNED, at + 6) & 0xFFFF;
    checksumOffset = m.get(ValueLayout.JAVA_SHORT_UNALIGNED, at + 8) & 0xFFFF;
  }

  /** Writes the header for the kernel at {@code at}; the receive-only flag is left out. */
  void write(MemorySegment m, long at) {
    m.set(ValueLayout.JAVA_BYTE, at, (byte) (flags & F_NEEDS_CSUM));
    m.set(ValueLayout.JAVA_BYTE, at + 1, (byte) gsoType);
    m.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 2, (short) headerLength);
    m.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 4, (short) gsoSize);
    m.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 6, (short) checksumStart);
    m.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 8, (short) checksumOffset);
  }

  @Override
  public String toString() {
    return "VnetHeader[flags=" + flags + ", gsoType=" + gsoType + ", hdrLen=" + headerLength + ", gsoSize=" + gsoSize
        + ", csumStart=" + checksumStart + ", csumOffset=" + checksumOffset + "]";
  }
}
