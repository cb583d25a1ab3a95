package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * IP-in-IP encapsulation into the headroom in front of a frame, as IPVS's tunnel method and Katran
 * do: IPv4 in IPv4 (RFC 2003, protocol 4), IPv6 in IPv6 (RFC 2473, next header 41), and the mixed
 * families (IPv6 in IPv4, protocol 41; IPv4 in IPv6, next header 4).
 *
 * <pre>
 *  before:            [ Ethernet | inner IP | transport ... ]
 *                     ^offset
 *  after:  [ Ethernet | outer IP | inner IP | transport ... ]
 *          ^offset - outer header length
 * </pre>
 *
 * <p>The inner packet does not move: only the Ethernet header is copied into the headroom and the
 * outer header is written between it and the inner packet. The caller checks the headroom and the
 * MTU first. Static: any thread on its own buffer; never allocates; never blocks.
 */
public final class Encapsulation {

  /** Length of an outer IPv4 header (no options). */
  public static final int IPV4_OUTER_LENGTH = Ipv4Flyweight.MIN_HEADER_LENGTH;
  /** Length of an outer IPv6 header (no extension headers). */
  public static final int IPV6_OUTER_LENGTH = Ipv6Flyweight.HEADER_LENGTH;

  private Encapsulation() {}

  /**
   * Pushes an outer IPv4 header. The new frame starts {@link #IPV4_OUTER_LENGTH} bytes earlier.
   *
   * @param buffer the buffer
   * @param frameOffset the frame's first byte; at least 20 bytes of headroom before it
   * @param ethernetLength 14, or 18 when tagged
   * @param innerLength the inner IP packet's length in bytes
   * @param innerIpv6 whether the inner packet is IPv6 (protocol 41) rather than IPv4 (protocol 4)
   * @param source the outer source address
   * @param destination the outer destination address
   * @param timeToLive the outer TTL
   * @param dscpEcn the outer DSCP/ECN octet (RFC 2003 §3.1 copies the inner TOS)
   * @param identification the outer identification
   * @return the new frame offset
   */
  public static int pushIpv4(ByteBuffer buffer, int frameOffset, int ethernetLength, int innerLength,
      boolean innerIpv6, int source, int destination, int timeToLive, int dscpEcn, int identification) {
    int start = frameOffset - IPV4_OUTER_LENGTH;
    moveEthernet(buffer, frameOffset, start, ethernetLength, EthernetFlyweight.ETHER_TYPE_IPV4);
    int ip = start + ethernetLength;
    buffer.putInt(ip, 0x4500_0000 | (dscpEcn & 0xFF) << 16 | ((innerLength + IPV4_OUTER_LENGTH) & 0xFFFF));
    buffer.putInt(ip + 4, (identification & 0xFFFF) << 16 | Ipv4Flyweight.FLAG_DONT_FRAGMENT);
    buffer.putInt(ip + 8, (timeToLive & 0xFF) << 24 | (innerIpv6 ? 41 : Ipv4Flyweight.PROTOCOL_IPIP) << 16);
    buffer.putInt(ip + 12, source);
    buffer.putInt(ip + 16, destination);
    buffer.putShort(ip + Ipv4Flyweight.HEADER_CHECKSUM_OFFSET,
        (short) Checksums.checksum(buffer, ip, IPV4_OUTER_LENGTH));
    return start;
  }

  /**
   * Pushes an outer IPv6 header. The new frame starts {@link #IPV6_OUTER_LENGTH} bytes earlier.
   *
   * @param buffer the buffer
   * @param frameOffset the frame's first byte; at least 40 bytes of headroom before it
   * @param ethernetLength 14, or 18 when tagged
   * @param innerLength the inner IP packet's length in bytes
   * @param innerIpv6 whether the inner packet is IPv6 (next header 41) rather than IPv4 (4)
   * @param sourceHigh bits 127..64 of the outer source
   * @param sourceLow bits 63..0 of the outer source
   * @param destinationHigh bits 127..64 of the outer destination
   * @param destinationLow bits 63..0 of the outer destination
   * @param hopLimit the outer hop limit
   * @param trafficClass the outer traffic class
   * @param flowLabel the outer flow label (a hash of the inner flow spreads ECMP, RFC 6438)
   * @return the new frame offset
   */
  public static int pushIpv6(ByteBuffer buffer, int frameOffset, int ethernetLength, int innerLength,
      boolean innerIpv6, long sourceHigh, long sourceLow, long destinationHigh, long destinationLow,
      int hopLimit, int trafficClass, int flowLabel) {
    int start = frameOffset - IPV6_OUTER_LENGTH;
    moveEthernet(buffer, frameOffset, start, ethernetLength, EthernetFlyweight.ETHER_TYPE_IPV6);
    int ip = start + ethernetLength;
    buffer.putInt(ip, 6 << 28 | (trafficClass & 0xFF) << 20 | (flowLabel & 0xFFFFF));
    buffer.putInt(ip + 4, (innerLength & 0xFFFF) << 16 | (innerIpv6 ? 41 : Ipv4Flyweight.PROTOCOL_IPIP) << 8
        | (hopLimit & 0xFF));
    buffer.putLong(ip + Ipv6Flyweight.SOURCE_ADDRESS_OFFSET, sourceHigh);
    buffer.putLong(ip + Ipv6Flyweight.SOURCE_ADDRESS_OFFSET + 8, sourceLow);
    buffer.putLong(ip + Ipv6Flyweight.DESTINATION_ADDRESS_OFFSET, destinationHigh);
    buffer.putLong(ip + Ipv6Flyweight.DESTINATION_ADDRESS_OFFSET + 8, destinationLow);
    return start;
  }

  private static void moveEthernet(ByteBuffer buffer, int from, int to, int ethernetLength, int outerEtherType) {
    buffer.putLong(to, buffer.getLong(from));
    buffer.putInt(to + 8, buffer.getInt(from + 8));
    if (ethernetLength == EthernetFlyweight.TAGGED_HEADER_LENGTH) {
      buffer.putInt(to + 12, buffer.getInt(from + 12));
      buffer.putShort(to + 16, (short) outerEtherType);
    } else {
      buffer.putShort(to + 12, (short) outerEtherType);
    }
  }
}
