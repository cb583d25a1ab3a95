package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * A UDP header (RFC 768).
 *
 * <pre>
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |     Source      |   Destination   |
 * |      Port       |      Port       |
 * +--------+--------+--------+--------+
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * </pre>
 *
 * <p>Over IPv4 a checksum of 0 means "not computed" and must stay 0 through rewrites; a computed 0
 * is sent as 0xFFFF (RFC 768). Over IPv6 the checksum is mandatory (RFC 8200 §8.1). One thread;
 * never allocates; never blocks.
 */
public final class UdpFlyweight extends HeaderFlyweight {

  /** Offset of Source Port. */
  public static final int SOURCE_PORT_OFFSET = 0;
  /** Offset of Destination Port. */
  public static final int DESTINATION_PORT_OFFSET = 2;
  /** Offset of Length. */
  public static final int LENGTH_OFFSET = 4;
  /** Offset of Checksum. */
  public static final int CHECKSUM_OFFSET = 6;
  /** Length of the header. */
  public static final int HEADER_LENGTH = 8;

  /** Creates an unwrapped flyweight; call {@link #wrap} before use. */
  public UdpFlyweight() {
    super();
  }

  @Override
  public UdpFlyweight wrap(ByteBuffer buffer, int offset) {
    super.wrap(buffer, offset);
    return this;
  }

  /** {@return Source Port} */
  public int sourcePort() {
    return u16(SOURCE_PORT_OFFSET);
  }

  /**
   * Sets Source Port. Does not update the checksum.
   *
   * @param port 0..65535
   * @return this flyweight
   */
  public UdpFlyweight sourcePort(int port) {
    u16(SOURCE_PORT_OFFSET, port);
    return this;
  }

  /** {@return Destination Port} */
  public int destinationPort() {
    return u16(DESTINATION_PORT_OFFSET);
  }

  /**
   * Sets Destination Port. Does not update the checksum.
   *
   * @param port 0..65535
   * @return this flyweight
   */
  public UdpFlyweight destinationPort(int port) {
    u16(DESTINATION_PORT_OFFSET, port);
    return this;
  }

  /** {@return Length: header and data in bytes} */
  public int length() {
    return u16(LENGTH_OFFSET);
  }

  /**
   * Sets Length.
   *
   * @param value header and data in bytes
   * @return this flyweight
   */
  public UdpFlyweight length(int value) {
    u16(LENGTH_OFFSET, value);
    return this;
  }

  /** {@return Checksum, 0 when not computed (IPv4 only)} */
  public int checksum() {
    return u16(CHECKSUM_OFFSET);
  }

  /**
   * Sets Checksum.
   *
   * @param value 0..65535
   * @return this flyweight
   */
  public UdpFlyweight checksum(int value) {
    u16(CHECKSUM_OFFSET, value);
    return this;
  }

  /**
   * Reads Checksum of the header at {@code offset} (hot path).
   *
   * @param buffer the buffer
   * @param offset the header's first byte
   * @return 0..65535
   */
  public static int checksum(ByteBuffer buffer, int offset) {
    return buffer.getShort(offset + CHECKSUM_OFFSET) & 0xFFFF;
  }

  /**
   * Writes Checksum of the header at {@code offset} (hot path).
   *
   * @param buffer the buffer
   * @param offset the header's first byte
   * @param checksum 0..65535
   */
  public static void checksum(ByteBuffer buffer, int offset, int checksum) {
    buffer.putShort(offset + CHECKSUM_OFFSET, (short) checksum);
  }
}
