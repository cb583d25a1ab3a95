package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * An IPv6 fixed header (RFC 8200 §3).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                         Source Address                        +
 * |                          (128 bits)                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                      Destination Address                      +
 * |                          (128 bits)                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Addresses are two {@code long} halves (high = bits 127..64), as {@link
 * io.github.lb4j.api.FlowKey}. The traffic class holds DSCP (upper six bits) and ECN. Extension
 * headers are walked by {@link FrameParser}; the fragment header has {@link Ipv6FragmentFlyweight}.
 * One thread; never allocates; never blocks.
 */
public final class Ipv6Flyweight extends HeaderFlyweight {

  /** Offset of Version, Traffic Class and Flow Label. */
  public static final int VERSION_CLASS_LABEL_OFFSET = 0;
  /** Offset of Payload Length. */
  public static final int PAYLOAD_LENGTH_OFFSET = 4;
  /** Offset of Next Header. */
  public static final int NEXT_HEADER_OFFSET = 6;
  /** Offset of Hop Limit. */
  public static final int HOP_LIMIT_OFFSET = 7;
  /** Offset of Source Address. */
  public static final int SOURCE_ADDRESS_OFFSET = 8;
  /** Offset of Destination Address. */
  public static final int DESTINATION_ADDRESS_OFFSET = 24;
  /** Length of the fixed header. */
  public static final int HEADER_LENGTH = 40;
  /** Next Header of Hop-by-Hop Options. */
  public static final int NEXT_HEADER_HOP_BY_HOP = 0;
  /** Next Header of IPv6-in-IPv6 (RFC 2473). */
  public static final int NEXT_HEADER_IPV6 = 41;
  /** Next Header of the Routing header. */
  public static final int NEXT_HEADER_ROUTING = 43;
  /** Next Header of the Fragment header. */
  public static final int NEXT_HEADER_FRAGMENT = 44;
  /** Next Header of ESP, not walked. */
  public static final int NEXT_HEADER_ESP = 50;
  /** Next Header of the Authentication Header (length in 4-octet units). */
  public static final int NEXT_HEADER_AUTHENTICATION = 51;
  /** Next Header meaning nothing follows. */
  public static final int NEXT_HEADER_NONE = 59;
  /** Next Header of Destination Options. */
  public static final int NEXT_HEADER_DESTINATION_OPTIONS = 60;

  /** Creates an unwrapped flyweight; call {@link #wrap} before use. */
  public Ipv6Flyweight() {
    super();
  }

  @Override
  public Ipv6Flyweight wrap(ByteBuffer buffer, int offset) {
    super.wrap(buffer, offset);
    return this;
  }

  /** {@return Version, 6 for a valid header} */
  public int version() {
    return u8(VERSION_CLASS_LABEL_OFFSET) >>> 4;
  }

  /** {@return Traffic Class, 0..255} */
  public int trafficClass() {
    return (i32(VERSION_CLASS_LABEL_OFFSET) >>> 20) & 0xFF;
  }

  /** {@return Flow Label, 0..0xFFFFF} */
  public int flowLabel() {
    return i32(VERSION_CLASS_LABEL_OFFSET) & 0xFFFFF;
  }

  /**
   * Sets Version to 6, Traffic Class and Flow Label.
   *
   * @param trafficClass 0..255
   * @param flowLabel 0..0xFFFFF
   * @return this flyweight
   */
  public Ipv6Flyweight versionClassAndLabel(int trafficClass, int flowLabel) {
    i32(VERSION_CLASS_LABEL_OFFSET, 6 << 28 | (trafficClass & 0xFF) << 20 | (flowLabel & 0xFFFFF));
    return this;
  }

  /**
   * Sets Traffic Class, keeping version and flow label.
   *
   * @param trafficClass 0..255
   * @return this flyweight
   */
  public Ipv6Flyweight trafficClass(int trafficClass) {
    i32(VERSION_CLASS_LABEL_OFFSET, (i32(VERSION_CLASS_LABEL_OFFSET) & 0xF00F_FFFF) | (trafficClass & 0xFF) << 20);
    return this;
  }

  /** {@return Payload Length: bytes after the fixed header} */
  public int payloadLength() {
    return u16(PAYLOAD_LENGTH_OFFSET);
  }

  /**
   * Sets Payload Length.
   *
   * @param value bytes after the fixed header
   * @return this flyweight
   */
  public Ipv6Flyweight payloadLength(int value) {
    u16(PAYLOAD_LENGTH_OFFSET, value);
    return this;
  }

  /** {@return Next Header} */
  public int nextHeader() {
    return u8(NEXT_HEADER_OFFSET);
  }

  /**
   * Sets Next Header.
   *
   * @param value 0..255
   * @return this flyweight
   */
  public Ipv6Flyweight nextHeader(int value) {
    u8(NEXT_HEADER_OFFSET, value);
    return this;
  }

  /** {@return Hop Limit} */
  public int hopLimit() {
    return u8(HOP_LIMIT_OFFSET);
  }

  /**
   * Sets Hop Limit.
   *
   * @param value 0..255
   * @return this flyweight
   */
  public Ipv6Flyweight hopLimit(int value) {
    u8(HOP_LIMIT_OFFSET, value);
    return this;
  }

  /** {@return bits 127..64 of Source Address} */
  public long sourceAddressHigh() {
    return buffer.getLong(offset + SOURCE_ADDRESS_OFFSET);
  }

  /** {@return bits 63..0 of Source Address} */
  public long sourceAddressLow() {
    return buffer.getLong(offset + SOURCE_ADDRESS_OFFSET + 8);
  }

  /**
   * Sets Source Address.
   *
   * @param high bits 127..64
   * @param low bits 63..0
   * @return this flyweight
   */
  public Ipv6Flyweight sourceAddress(long high, long low) {
    buffer.putLong(offset + SOURCE_ADDRESS_OFFSET, high);
    buffer.putLong(offset + SOURCE_ADDRESS_OFFSET + 8, low);
    return this;
  }

  /** {@return bits 127..64 of Destination Address} */
  public long destinationAddressHigh() {
    return buffer.getLong(offset + DESTINATION_ADDRESS_OFFSET);
  }

  /** {@return bits 63..0 of Destination Address} */
  public long destinationAddressLow() {
    return buffer.getLong(offset + DESTINATION_ADDRESS_OFFSET + 8);
  }

  /**
   * Sets Destination Address.
   *
   * @param high bits 127..64
   * @param low bits 63..0
   * @return this flyweight
   */
  public Ipv6Flyweight destinationAddress(long high, long low) {
    buffer.putLong(offset + DESTINATION_ADDRESS_OFFSET, high);
    buffer.putLong(offset + DESTINATION_ADDRESS_OFFSET + 8, low);
    return this;
  }

  /**
   * Formats an address (allocates; for traces).
   *
   * @param high bits 127..64
   * @param low bits 63..0
   * @return the full, uncompressed hex groups joined by ':' with leading zeros dropped
   */
  public static String format(long high, long low) {
    StringBuilder sb = new StringBuilder(39);
    for (int g = 0; g < 8; g++) {
      long half = g < 4 ? high : low;
      int v = (int) (half >>> (48 - 16 * (g & 3))) & 0xFFFF;
      if (g > 0) {
        sb.append(':');
      }
      sb.append(Integer.toHexString(v));
    }
    return sb.toString();
  }
}
