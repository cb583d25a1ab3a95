package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * The Internet checksum (RFC 1071): full computation over a buffer range, the TCP/UDP/ICMPv6
 * pseudo-headers of IPv4 (RFC 9293 §3.1, RFC 768) and IPv6 (RFC 8200 §8.1), and the incremental
 * update of RFC 1624 eqn. 3, {@code HC' = ~(~HC + ~m + m')}, which keeps a rewrite O(1) in the
 * packet length.
 *
 * <p>UDP over IPv4 is special: a checksum of 0 means "none" and must stay 0 through any rewrite,
 * and a computed 0 is sent as 0xFFFF (RFC 768); {@link #updateUdp16} and {@link #updateUdp32}
 * follow both rules.
 *
 * <p>Static and stateless: any thread; never allocates; never blocks.
 */
public final class Checksums {

  private Checksums() {}

  /**
   * Adds the 16-bit big-endian words of a range to a running sum (an odd last byte is padded with
   * zero), without folding.
   *
   * @param buffer the buffer
   * @param offset first byte
   * @param length bytes
   * @param initial a running sum, for example a pseudo-header sum
   * @return the unfolded sum
   */
  public static long sum(ByteBuffer buffer, int offset, int length, long initial) {
    long s = initial;
    int i = offset;
    int end = offset + length;
    while (i + 4 <= end) {
      s += buffer.getInt(i) & 0xFFFF_FFFFL;
      i += 4;
    }
    if (i + 2 <= end) {
      s += buffer.getShort(i) & 0xFFFF;
      i += 2;
    }
    if (i < end) {
      s += (buffer.get(i) & 0xFF) << 8;
    }
    return s;
  }

  /**
   * Folds a running sum into 16 bits with end-around carry.
   *
   * @param sum an unfolded sum
   * @return 0..65535
   */
  public static int fold(long sum) {
    sum = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
    sum = (sum & 0xFFFF) + (sum >>> 16);
    sum = (sum & 0xFFFF) + (sum >>> 16);
    sum = (sum & 0xFFFF) + (sum >>> 16);
    return (int) sum;
  }

  /**
   * Computes the checksum of a range: the complement of its folded sum.
   *
   * @param buffer the buffer
   * @param offset first byte
   * @param length bytes
   * @return the checksum to write, 0..65535
   */
  public static int checksum(ByteBuffer buffer, int offset, int length) {
    return ~fold(sum(buffer, offset, length, 0)) & 0xFFFF;
  }

  /**
   * Sums the IPv4 pseudo-header.
   *
   * @param source source address
   * @param destination destination address
   * @param protocol protocol number
   * @param length the transport length (header and data)
   * @return the unfolded sum
   */
  public static long pseudoHeaderV4(int source, int destination, int protocol, int length) {
    return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF)
        + protocol + length;
  }

  /**
   * Sums the IPv6 pseudo-header.
   *
   * @param sourceHigh bits 127..64 of the source
   * @param sourceLow bits 63..0 of the source
   * @param destinationHigh bits 127..64 of the destination
   * @param destinationLow bits 63..0 of the destination
   * @param nextHeader the upper-layer protocol (6, 17, 58)
   * @param length the upper-layer packet length
   * @return the unfolded sum
   */
  public static long pseudoHeaderV6(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow,
      int nextHeader, int length) {
    return words(sourceHigh) + words(sourceLow) + words(destinationHigh) + words(destinationLow)
        + nextHeader + (length >>> 16) + (length & 0xFFFF);
  }

  private static long words(long v) {
    return (v >>> 48) + (v >>> 32 & 0xFFFF) + (v >>> 16 & 0xFFFF) + (v & 0xFFFF);
  }

  /**
   * Computes a TCP, UDP or ICMPv6 checksum over IPv4 (field assumed zeroed or included: the caller
   * zeroes the checksum field first when computing, or leaves it to verify).
   *
   * @param buffer the buffer
   * @param ipOffset the IPv4 header
   * @param l4Offset the transport header
   * @param l4Length transport header and data
   * @param protocol the protocol number
   * @return the folded sum complemented; 0 when verifying a correct segment
   */
  public static int transportChecksumV4(ByteBuffer buffer, int ipOffset, int l4Offset, int l4Length, int protocol) {
    long s = pseudoHeaderV4(Ipv4Flyweight.sourceAddress(buffer, ipOffset),
        Ipv4Flyweight.destinationAddress(buffer, ipOffset), protocol, l4Length);
    return ~fold(sum(buffer, l4Offset, l4Length, s)) & 0xFFFF;
  }

  /**
   * Computes a TCP, UDP or ICMPv6 checksum over IPv6 (see {@link #transportChecksumV4}).
   *
   * @param buffer the buffer
   * @param ipOffset the IPv6 fixed header
   * @param l4Offset the upper-layer header
   * @param l4Length upper-layer header and data
   * @param nextHeader the upper-layer protocol
   * @return the folded sum complemented; 0 when verifying a correct packet
   */
  public static int transportChecksumV6(ByteBuffer buffer, int ipOffset, int l4Offset, int l4Length, int nextHeader) {
    long s = pseudoHeaderV6(buffer.getLong(ipOffset + Ipv6Flyweight.SOURCE_ADDRESS_OFFSET),
        buffer.getLong(ipOffset + Ipv6Flyweight.SOURCE_ADDRESS_OFFSET + 8),
        buffer.getLong(ipOffset + Ipv6Flyweight.DESTINATION_ADDRESS_OFFSET),
        buffer.getLong(ipOffset + Ipv6Flyweight.DESTINATION_ADDRESS_OFFSET + 8), nextHeader, l4Length);
    return ~fold(sum(buffer, l4Offset, l4Length, s)) & 0xFFFF;
  }

  /**
   * RFC 1624 eqn. 3 for one 16-bit field changing from {@code oldValue} to {@code newValue}.
   *
   * @param checksum the current checksum field
   * @param oldValue the field's old value
   * @param newValue the field's new value
   * @return the new checksum field
   */
  public static int update16(int checksum, int oldValue, int newValue) {
    int s = (~checksum & 0xFFFF) + (~oldValue & 0xFFFF) + (newValue & 0xFFFF);
    s = (s & 0xFFFF) + (s >>> 16);
    s = (s & 0xFFFF) + (s >>> 16);
    return ~s & 0xFFFF;
  }

  /**
   * RFC 1624 eqn. 3 for one 32-bit field (an IPv4 address).
   *
   * @param checksum the current checksum field
   * @param oldValue the field's old value
   * @param newValue the field's new value
   * @return the new checksum field
   */
  public static int update32(int checksum, int oldValue, int newValue) {
    // five 16-bit terms stay below 2^19: two folds reach 16 bits
    int s = (~checksum & 0xFFFF) + (~oldValue >>> 16 & 0xFFFF) + (~oldValue & 0xFFFF)
        + (newValue >>> 16 & 0xFFFF) + (newValue & 0xFFFF);
    s = (s & 0xFFFF) + (s >>> 16);
    s = (s & 0xFFFF) + (s >>> 16);
    return ~s & 0xFFFF;
  }

  /**
   * RFC 1624 eqn. 3 for a 64-bit field (half of an IPv6 address).
   *
   * @param checksum the current checksum field
   * @param oldValue the field's old value
   * @param newValue the field's new value
   * @return the new checksum field
   */
  public static int update64(int checksum, long oldValue, long newValue) {
    long s = (~checksum & 0xFFFF) + words(~oldValue) + words(newValue);
    return ~fold(s) & 0xFFFF;
  }

  /**
   * {@link #update16} for a UDP-over-IPv4 checksum: 0 ("none") stays 0 and a result of 0 becomes
   * 0xFFFF.
   *
   * @param checksum the current checksum field
   * @param oldValue the field's old value
   * @param newValue the field's new value
   * @return the new checksum field
   */
  public static int updateUdp16(int checksum, int oldValue, int newValue) {
    if (checksum == 0) {
      return 0;
    }
    int c = update16(checksum, oldValue, newValue);
    return c == 0 ? 0xFFFF : c;
  }

  /**
   * {@link #update32} for a UDP-over-IPv4 checksum, with the rules of {@link #updateUdp16}.
   *
   * @param checksum the current checksum field
   * @param oldValue the field's old value
   * @param newValue the field's new value
   * @return the new checksum field
   */
  public static int updateUdp32(int checksum, int oldValue, int newValue) {
    if (checksum == 0) {
      return 0;
    }
    int c = update32(checksum, oldValue, newValue);
    return c == 0 ? 0xFFFF : c;
  }
}
