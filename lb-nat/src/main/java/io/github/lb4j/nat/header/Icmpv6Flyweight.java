package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * An ICMPv6 message (RFC 4443): echo request and reply, the errors that quote the offending packet
 * (destination unreachable, packet too big with its MTU, time exceeded), and the neighbor
 * solicitation and advertisement of Neighbor Discovery (RFC 4861 §4.3, §4.4).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Identifier / MTU (PTB) / R|S|O|reserved (NA) | Sequence Number|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Echo data / as much of the invoking packet as fits / NS, NA: |
 * +                 Target Address (128 bits)                     +
 * |                 then options (type, length in 8 octets, ...)  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The checksum covers the IPv6 pseudo-header (RFC 8200 §8.1) with next header 58; see {@link
 * Checksums}. One thread; never allocates; never blocks.
 */
public final class Icmpv6Flyweight extends HeaderFlyweight {

  /** Offset of Type. */
  public static final int TYPE_OFFSET = 0;
  /** Offset of Code. */
  public static final int CODE_OFFSET = 1;
  /** Offset of Checksum. */
  public static final int CHECKSUM_OFFSET = 2;
  /** Offset of Identifier (echo). */
  public static final int IDENTIFIER_OFFSET = 4;
  /** Offset of Sequence Number (echo). */
  public static final int SEQUENCE_NUMBER_OFFSET = 6;
  /** Offset of MTU (packet too big). */
  public static final int MTU_OFFSET = 4;
  /** Offset of the R, S, O flags (neighbor advertisement). */
  public static final int FLAGS_OFFSET = 4;
  /** Offset of Target Address (neighbor solicitation and advertisement). */
  public static final int TARGET_ADDRESS_OFFSET = 8;
  /** Offset of the first ND option after the target address. */
  public static final int ND_OPTIONS_OFFSET = 24;
  /** Offset of the quoted packet of an error, or of the echo data. */
  public static final int DATA_OFFSET = 8;
  /** Length of the header before the data. */
  public static final int HEADER_LENGTH = 8;
  /** Type destination unreachable. */
  public static final int TYPE_DESTINATION_UNREACHABLE = 1;
  /** Type packet too big. */
  public static final int TYPE_PACKET_TOO_BIG = 2;
  /** Type time exceeded. */
  public static final int TYPE_TIME_EXCEEDED = 3;
  /** Type parameter problem. */
  public static final int TYPE_PARAMETER_PROBLEM = 4;
  /** Type echo request. */
  public static final int TYPE_ECHO_REQUEST = 128;
  /** Type echo reply. */
  public static final int TYPE_ECHO_REPLY = 129;
  /** Type neighbor solicitation. */
  public static final int TYPE_NEIGHBOR_SOLICITATION = 135;
  /** Type neighbor advertisement. */
  public static final int TYPE_NEIGHBOR_ADVERTISEMENT = 136;
  /** Destination unreachable code: port unreachable. */
  public static final int CODE_PORT_UNREACHABLE = 4;
  /** NA flag: sender is a router. */
  public static final int FLAG_ROUTER = 0x80;
  /** NA flag: sent in response to a solicitation. */
  public static final int FLAG_SOLICITED = 0x40;
  /** NA flag: override an existing cache entry. */
  public static final int FLAG_OVERRIDE = 0x20;
  /** ND option: source link-layer address. */
  public static final int OPTION_SOURCE_LINK_LAYER_ADDRESS = 1;
  /** ND option: target link-layer address. */
  public static final int OPTION_TARGET_LINK_LAYER_ADDRESS = 2;

  /** Creates an unwrapped flyweight; call {@link #wrap} before use. */
  public Icmpv6Flyweight() {
    super();
  }

  @Override
  public Icmpv6Flyweight wrap(ByteBuffer buffer, int offset) {
    super.wrap(buffer, offset);
    return this;
  }

  /** {@return Type} */
  public int type() {
    return u8(TYPE_OFFSET);
  }

  /**
   * Sets Type.
   *
   * @param value 0..255
   * @return this flyweight
   */
  public Icmpv6Flyweight type(int value) {
    u8(TYPE_OFFSET, value);
    return this;
  }

  /** {@return Code} */
  public int code() {
    return u8(CODE_OFFSET);
  }

  /**
   * Sets Code.
   *
   * @param value 0..255
   * @return this flyweight
   */
  public Icmpv6Flyweight code(int value) {
    u8(CODE_OFFSET, value);
    return this;
  }

  /** {@return Checksum} */
  public int checksum() {
    return u16(CHECKSUM_OFFSET);
  }

  /**
   * Sets Checksum.
   *
   * @param value 0..65535
   * @return this flyweight
   */
  public Icmpv6Flyweight checksum(int value) {
    u16(CHECKSUM_OFFSET, value);
    return this;
  }

  /** {@return Identifier of an echo} */
  public int identifier() {
    return u16(IDENTIFIER_OFFSET);
  }

  /**
   * Sets Identifier.
   *
   * @param value 0..65535
   * @return this flyweight
   */
  public Icmpv6Flyweight identifier(int value) {
    u16(IDENTIFIER_OFFSET, value);
    return this;
  }

  /** {@return Sequence Number of an echo} */
  public int sequenceNumber() {
    return u16(SEQUENCE_NUMBER_OFFSET);
  }

  /**
   * Sets Sequence Number.
   *
   * @param value 0..65535
   * @return this flyweight
   */
  public Icmpv6Flyweight sequenceNumber(int value) {
    u16(SEQUENCE_NUMBER_OFFSET, value);
    return this;
  }

  /** {@return MTU of a packet too big message, unsigned 32 bits} */
  public long mtu() {
    return u32(MTU_OFFSET);
  }

  /**
   * Sets MTU.
   *
   * @param mtu unsigned 32 bits
   * @return this flyweight
   */
  public Icmpv6Flyweight mtu(long mtu) {
    i32(MTU_OFFSET, (int) mtu);
    return this;
  }

  /** {@return the R, S, O flags of an advertisement in the upper bits of an octet} */
  public int advertisementFlags() {
    return u8(FLAGS_OFFSET) & 0xE0;
  }

  /**
   * Sets the R, S, O flags and clears the reserved bits.
   *
   * @param flags a combination of {@link #FLAG_ROUTER}, {@link #FLAG_SOLICITED}, {@link #FLAG_OVERRIDE}
   * @return this flyweight
   */
  public Icmpv6Flyweight advertisementFlags(int flags) {
    i32(FLAGS_OFFSET, (flags & 0xE0) << 24);
    return this;
  }

  /** {@return bits 127..64 of Target Address} */
  public long targetAddressHigh() {
    return buffer.getLong(offset + TARGET_ADDRESS_OFFSET);
  }

  /** {@return bits 63..0 of Target Address} */
  public long targetAddressLow() {
    return buffer.getLong(offset + TARGET_ADDRESS_OFFSET + 8);
  }

  /**
   * Sets Target Address.
   *
   * @param high bits 127..64
   * @param low bits 63..0
   * @return this flyweight
   */
  public Icmpv6Flyweight targetAddress(long high, long low) {
    buffer.putLong(offset + TARGET_ADDRESS_OFFSET, high);
    buffer.putLong(offset + TARGET_ADDRESS_OFFSET + 8, low);
    return this;
  }

  /**
   * Writes one link-layer address option (8 bytes) at {@link #ND_OPTIONS_OFFSET}.
   *
   * @param optionType {@link #OPTION_SOURCE_LINK_LAYER_ADDRESS} or {@link #OPTION_TARGET_LINK_LAYER_ADDRESS}
   * @param mac the low 48 bits
   * @return this flyweight
   */
  public Icmpv6Flyweight linkLayerAddressOption(int optionType, long mac) {
    u8(ND_OPTIONS_OFFSET, optionType);
    u8(ND_OPTIONS_OFFSET + 1, 1);
    u48(ND_OPTIONS_OFFSET + 2, mac);
    return this;
  }

  /**
   * Tells whether a type is an error that quotes the offending packet.
   *
   * @param type an ICMPv6 type
   * @return true for types 1..4
   */
  public static boolean isError(int type) {
    return type >= TYPE_DESTINATION_UNREACHABLE && type <= TYPE_PARAMETER_PROBLEM;
  }
}
