package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * An IPv4 header (RFC 791 §3.1; DSCP and ECN per RFC 2474 and RFC 3168).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (IHL &gt; 5)        |    Padding     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Flags: bit 0 reserved, bit 1 DF (don't fragment), bit 2 MF (more fragments); the fragment
 * offset counts 8-octet units. Addresses are 32-bit {@code int}s. One thread; never allocates; never
 * blocks.
 */
public final class Ipv4Flyweight extends HeaderFlyweight {

  /** Offset of Version and IHL. */
  public static final int VERSION_IHL_OFFSET = 0;
  /** Offset of DSCP and ECN (the former type-of-service octet). */
  public static final int DSCP_ECN_OFFSET = 1;
  /** Offset of Total Length. */
  public static final int TOTAL_LENGTH_OFFSET = 2;
  /** Offset of Identification. */
  public static final int IDENTIFICATION_OFFSET = 4;
  /** Offset of Flags and Fragment Offset. */
  public static final int FLAGS_FRAGMENT_OFFSET_OFFSET = 6;
  /** Offset of Time to Live. */
  public static final int TIME_TO_LIVE_OFFSET = 8;
  /** Offset of Protocol. */
  public static final int PROTOCOL_OFFSET = 9;
  /** Offset of Header Checksum. */
  public static final int HEADER_CHECKSUM_OFFSET = 10;
  /** Offset of Source Address. */
  public static final int SOURCE_ADDRESS_OFFSET = 12;
  /** Offset of Destination Address. */
  public static final int DESTINATION_ADDRESS_OFFSET = 16;
  /** Offset of the first option. */
  public static final int OPTIONS_OFFSET = 20;
  /** Length of a header without options. */
  public static final int MIN_HEADER_LENGTH = 20;
  /** The DF bit in the flags/fragment-offset word. */
  public static final int FLAG_DONT_FRAGMENT = 0x4000;
  /** The MF bit in the flags/fragment-offset word. */
  public static final int FLAG_MORE_FRAGMENTS = 0x2000;
  /** Protocol number of IPv4-in-IPv4 (RFC 2003). */
  public static final int PROTOCOL_IPIP = 4;

  /** Creates an unwrapped flyweight; call {@link #wrap} before use. */
  public Ipv4Flyweight() {
    super();
  }

  @Override
  public Ipv4Flyweight wrap(ByteBuffer buffer, int offset) {
    super.wrap(buffer, offset);
    return this;
  }

  /** {@return Version, 4 for a valid header} */
  public int version() {
    return u8(VERSION_IHL_OFFSET) >>> 4;
  }

  /** {@return IHL, the header length in 32-bit words} */
  public int internetHeaderLength() {
    return u8(VERSION_IHL_OFFSET) & 0x0F;
  }

  /** {@return the header length in bytes, 4 * IHL} */
  public int headerLength() {
    return internetHeaderLength() << 2;
  }

  /**
   * Sets Version to 4 and IHL.
   *
   * @param ihl the header length in 32-bit words, 5..15
   * @return this flyweight
   */
  public Ipv4Flyweight versionAndInternetHeaderLength(int ihl) {
    u8(VERSION_IHL_OFFSET, 0x40 | (ihl & 0x0F));
    return this;
  }

  /** {@return DSCP, the upper six bits of the former TOS octet} */
  public int differentiatedServicesCodePoint() {
    return u8(DSCP_ECN_OFFSET) >>> 2;
  }

  /**
   * Sets DSCP, keeping ECN. Does not update the checksum.
   *
   * @param dscp 0..63
   * @return this flyweight
   */
  public Ipv4Flyweight differentiatedServicesCodePoint(int dscp) {
    u8(DSCP_ECN_OFFSET, (dscp & 0x3F) << 2 | (u8(DSCP_ECN_OFFSET) & 3));
    return this;
  }

  /** {@return ECN, 0..3} */
  public int explicitCongestionNotification() {
    return u8(DSCP_ECN_OFFSET) & 3;
  }

  /**
   * Sets ECN, keeping DSCP. Does not update the checksum.
   *
   * @param ecn 0..3
   * @return this flyweight
   */
  public Ipv4Flyweight explicitCongestionNotification(int ecn) {
    u8(DSCP_ECN_OFFSET, (u8(DSCP_ECN_OFFSET) & 0xFC) | (ecn & 3));
    return this;
  }

  /** {@return Total Length: header and data in bytes} */
  public int totalLength() {
    return u16(TOTAL_LENGTH_OFFSET);
  }

  /**
   * Sets Total Length.
   *
   * @param value bytes
   * @return this flyweight
   */
  public Ipv4Flyweight totalLength(int value) {
    u16(TOTAL_LENGTH_OFFSET, value);
    return this;
  }

  /** {@return Identification} */
  public int identification() {
    return u16(IDENTIFICATION_OFFSET);
  }

  /**
   * Sets Identification.
   *
   * @param value 0..65535
   * @return this flyweight
   */
  public Ipv4Flyweight identification(int value) {
    u16(IDENTIFICATION_OFFSET, value);
    return this;
  }

  /** {@return the three flag bits (reserved, DF, MF)} */
  public int flags() {
    return u16(FLAGS_FRAGMENT_OFFSET_OFFSET) >>> 13;
  }

  /** {@return whether DF is set} */
  public boolean dontFragment() {
    return (u16(FLAGS_FRAGMENT_OFFSET_OFFSET) & FLAG_DONT_FRAGMENT) != 0;
  }

  /** {@return whether MF is set} */
  public boolean moreFragments() {
    return (u16(FLAGS_FRAGMENT_OFFSET_OFFSET) & FLAG_MORE_FRAGMENTS) != 0;
  }

  /** {@return Fragment Offset in 8-octet units} */
  public int fragmentOffset() {
    return u16(FLAGS_FRAGMENT_OFFSET_OFFSET) & 0x1FFF;
  }

  /**
   * Sets the flags and the fragment offset.
   *
   * @param flags the three flag bits (DF = 2, MF = 1)
   * @param fragmentOffset in 8-octet units, 0..8191
   * @return this flyweight
   */
  public Ipv4Flyweight flagsAndFragmentOffset(int flags, int fragmentOffset) {
    u16(FLAGS_FRAGMENT_OFFSET_OFFSET, (flags & 7) << 13 | (fragmentOffset & 0x1FFF));
    return this;
  }

  /** {@return Time to Live} */
  public int timeToLive() {
    return u8(TIME_TO_LIVE_OFFSET);
  }

  /**
   * Sets Time to Live. Does not update the checksum.
   *
   * @param value 0..255
   * @return this flyweight
   */
  public Ipv4Flyweight timeToLive(int value) {
    u8(TIME_TO_LIVE_OFFSET, value);
    return this;
  }

  /** {@return Protocol} */
  public int protocol() {
    return u8(PROTOCOL_OFFSET);
  }

  /**
   * Sets Protocol.
   *
   * @param value 0..255
   * @return this flyweight
   */
  public Ipv4Flyweight protocol(int value) {
    u8(PROTOCOL_OFFSET, value);
    return this;
  }

  /** {@return Header Checksum} */
  public int headerChecksum() {
    return u16(HEADER_CHECKSUM_OFFSET);
  }

  /**
   * Sets Header Checksum.
   *
   * @param value 0..65535
   * @return this flyweight
   */
  public Ipv4Flyweight headerChecksum(int value) {
    u16(HEADER_CHECKSUM_OFFSET, value);
    return this;
  }

  /**
   * Recomputes the header checksum over {@link #headerLength()} bytes.
   *
   * @return this flyweight
   */
  public Ipv4Flyweight computeHeaderChecksum() {
    u16(HEADER_CHECKSUM_OFFSET, 0);
    u16(HEADER_CHECKSUM_OFFSET, Checksums.checksum(buffer, offset, headerLength()));
    return this;
  }

  /** {@return Source Address} */
  public int sourceAddress() {
    return i32(SOURCE_ADDRESS_OFFSET);
  }

  /**
   * Sets Source Address. Does not update checksums.
   *
   * @param address 32 bits
   * @return this flyweight
   */
  public Ipv4Flyweight sourceAddress(int address) {
    i32(SOURCE_ADDRESS_OFFSET, address);
    return this;
  }

  /** {@return Destination Address} */
  public int destinationAddress() {
    return i32(DESTINATION_ADDRESS_OFFSET);
  }

  /**
   * Sets Destination Address. Does not update checksums.
   *
   * @param address 32 bits
   * @return this flyweight
   */
  public Ipv4Flyweight destinationAddress(int address) {
    i32(DESTINATION_ADDRESS_OFFSET, address);
    return this;
  }

  /** {@return the options length in bytes, {@code headerLength() - 20}} */
  public int optionsLength() {
    return headerLength() - MIN_HEADER_LENGTH;
  }

  /**
   * Reads Destination Address of the header at {@code offset} (hot path).
   *
   * @param buffer the buffer
   * @param offset the header's first byte
   * @return 32 bits
   */
  public static int destinationAddress(ByteBuffer buffer, int offset) {
    return buffer.getInt(offset + DESTINATION_ADDRESS_OFFSET);
  }

  /**
   * Writes Destination Address of the header at {@code offset} (hot path; checksum untouched).
   *
   * @param buffer the buffer
   * @param offset the header's first byte
   * @param address 32 bits
   */
  public static void destinationAddress(ByteBuffer buffer, int offset, int address) {
    buffer.putInt(offset + DESTINATION_ADDRESS_OFFSET, address);
  }

  /**
   * Reads Source Address of the header at {@code offset} (hot path).
   *
   * @param buffer the buffer
   * @param offset the header's first byte
   * @return 32 bits
   */
  public static int sourceAddress(ByteBuffer buffer, int offset) {
    return buffer.getInt(offset + SOURCE_ADDRESS_OFFSET);
  }

  /**
   * Writes Source Address of the header at {@code offset} (hot path; checksum untouched).
   *
   * @param buffer the buffer
   * @param offset the header's first byte
   * @param address 32 bits
   */
  public static void sourceAddress(ByteBuffer buffer, int offset, int address) {
    buffer.putInt(offset + SOURCE_ADDRESS_OFFSET, address);
  }

  /**
   * Reads Header Checksum of the header at {@code offset} (hot path).
   *
   * @param buffer the buffer
   * @param offset the header's first byte
   * @return 0..65535
   */
  public static int headerChecksum(ByteBuffer buffer, int offset) {
    return buffer.getShort(offset + HEADER_CHECKSUM_OFFSET) & 0xFFFF;
  }

  /**
   * Writes Header Checksum of the header at {@code offset} (hot path).
   *
   * @param buffer the buffer
   * @param offset the header's first byte
   * @param checksum 0..65535
   */
  public static void headerChecksum(ByteBuffer buffer, int offset, int checksum) {
    buffer.putShort(offset + HEADER_CHECKSUM_OFFSET, (short) checksum);
  }

  /**
   * Formats a 32-bit address as dotted quad (allocates; for traces and messages).
   *
   * @param address 32 bits
   * @return for example {@code "192.0.2.1"}
   */
  public static String format(int address) {
    return (address >>> 24) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF);
  }
}
