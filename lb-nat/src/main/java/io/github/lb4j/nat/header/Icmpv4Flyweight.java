package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * An ICMP for IPv4 message (RFC 792): echo request and reply, and the errors that quote the IP
 * header and first 8 bytes of the offending packet (destination unreachable, with the next-hop MTU
 * of RFC 1191 for "fragmentation needed"; time exceeded).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Identifier (echo) / unused   | Sequence Number / Next-Hop MTU|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    Data (echo) / Internet Header + 64 bits of Original Data   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The checksum covers the whole ICMP message, no pseudo-header. One thread; never allocates;
 * never blocks.
 */
public final class Icmpv4Flyweight extends HeaderFlyweight {

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
  /** Offset of Next-Hop MTU (destination unreachable, code 4). */
  public static final int NEXT_HOP_MTU_OFFSET = 6;
  /** Offset of the echo data or the quoted packet of an error. */
  public static final int DATA_OFFSET = 8;
  /** Length of the header before the data. */
  public static final int HEADER_LENGTH = 8;
  /** Type echo reply. */
  public static final int TYPE_ECHO_REPLY = 0;
  /** Type destination unreachable. */
  public static final int TYPE_DESTINATION_UNREACHABLE = 3;
  /** Type echo request. */
  public static final int TYPE_ECHO_REQUEST = 8;
  /** Type time exceeded. */
  public static final int TYPE_TIME_EXCEEDED = 11;
  /** Type parameter problem. */
  public static final int TYPE_PARAMETER_PROBLEM = 12;
  /** Destination unreachable code: port unreachable. */
  public static final int CODE_PORT_UNREACHABLE = 3;
  /** Destination unreachable code: fragmentation needed and DF set (RFC 1191). */
  public static final int CODE_FRAGMENTATION_NEEDED = 4;

  /** Creates an unwrapped flyweight; call {@link #wrap} before use. */
  public Icmpv4Flyweight() {
    super();
  }

  @Override
  public Icmpv4Flyweight wrap(ByteBuffer buffer, int offset) {
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
  public Icmpv4Flyweight type(int value) {
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
  public Icmpv4Flyweight code(int value) {
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
  public Icmpv4Flyweight checksum(int value) {
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
  public Icmpv4Flyweight identifier(int value) {
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
  public Icmpv4Flyweight sequenceNumber(int value) {
    u16(SEQUENCE_NUMBER_OFFSET, value);
    return this;
  }

  /** {@return Next-Hop MTU of a "fragmentation needed" error} */
  public int nextHopMtu() {
    return u16(NEXT_HOP_MTU_OFFSET);
  }

  /**
   * Sets the unused word to 0 and Next-Hop MTU.
   *
   * @param mtu 0..65535
   * @return this flyweight
   */
  public Icmpv4Flyweight nextHopMtu(int mtu) {
    u16(IDENTIFIER_OFFSET, 0);
    u16(NEXT_HOP_MTU_OFFSET, mtu);
    return this;
  }

  /**
   * Recomputes Checksum over the whole message.
   *
   * @param length the ICMP message length in bytes
   * @return this flyweight
   */
  public Icmpv4Flyweight computeChecksum(int length) {
    u16(CHECKSUM_OFFSET, 0);
    u16(CHECKSUM_OFFSET, Checksums.checksum(buffer, offset, length));
    return this;
  }

  /**
   * Tells whether a type is an error that quotes the offending packet.
   *
   * @param type an ICMP type
   * @return true for destination unreachable, time exceeded and parameter problem
   */
  public static boolean isError(int type) {
    return type == TYPE_DESTINATION_UNREACHABLE || type == TYPE_TIME_EXCEEDED || type == TYPE_PARAMETER_PROBLEM;
  }
}
