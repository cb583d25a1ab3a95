package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * A TCP header (RFC 9293 §3.1).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (Data Offset &gt; 5)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The checksum covers the RFC 9293 §3.1 pseudo-header; see {@link Checksums}. One thread; never
 * allocates; never blocks.
 */
public final class TcpFlyweight extends HeaderFlyweight {

  /** Offset of Source Port. */
  public static final int SOURCE_PORT_OFFSET = 0;
  /** Offset of Destination Port. */
  public static final int DESTINATION_PORT_OFFSET = 2;
  /** Offset of Sequence Number. */
  public static final int SEQUENCE_NUMBER_OFFSET = 4;
  /** Offset of Acknowledgment Number. */
  public static final int ACKNOWLEDGMENT_NUMBER_OFFSET = 8;
  /** Offset of Data Offset (upper four bits). */
  public static final int DATA_OFFSET_OFFSET = 12;
  /** Offset of the control bits. */
  public static final int FLAGS_OFFSET = 13;
  /** Offset of Window. */
  public static final int WINDOW_OFFSET = 14;
  /** Offset of Checksum. */
  public static final int CHECKSUM_OFFSET = 16;
  /** Offset of Urgent Pointer. */
  public static final int URGENT_POINTER_OFFSET = 18;
  /** Length of a header without options. */
  public static final int MIN_HEADER_LENGTH = 20;
  /** FIN control bit. */
  public static final int FIN = 0x01;
  /** SYN control bit. */
  public static final int SYN = 0x02;
  /** RST control bit. */
  public static final int RST = 0x04;
  /** PSH control bit. */
  public static final int PSH = 0x08;
  /** ACK control bit. */
  public static final int ACK = 0x10;
  /** URG control bit. */
  public static final int URG = 0x20;
  /** ECE control bit. */
  public static final int ECE = 0x40;
  /** CWR control bit. */
  public static final int CWR = 0x80;

  /** Creates an unwrapped flyweight; call {@link #wrap} before use. */
  public TcpFlyweight() {
    super();
  }

  @Override
  public TcpFlyweight wrap(ByteBuffer buffer, int offset) {
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
  public TcpFlyweight sourcePort(int port) {
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
  public TcpFlyweight destinationPort(int port) {
    u16(DESTINATION_PORT_OFFSET, port);
    return this;
  }

  /** {@return Sequence Number, unsigned 32 bits} */
  public long sequenceNumber() {
    return u32(SEQUENCE_NUMBER_OFFSET);
  }

  /**
   * Sets Sequence Number.
   *
   * @param value unsigned 32 bits
   * @return this flyweight
   */
  public TcpFlyweight sequenceNumber(long value) {
    i32(SEQUENCE_NUMBER_OFFSET, (int) value);
    return this;
  }

  /** {@return Acknowledgment Number, unsigned 32 bits} */
  public long acknowledgmentNumber() {
    return u32(ACKNOWLEDGMENT_NUMBER_OFFSET);
  }

  /**
   * Sets Acknowledgment Number.
   *
   * @param value unsigned 32 bits
   * @return this flyweight
   */
  public TcpFlyweight acknowledgmentNumber(long value) {
    i32(ACKNOWLEDGMENT_NUMBER_OFFSET, (int) value);
    return this;
  }

  /** {@return Data Offset in 32-bit words} */
  public int dataOffset() {
    return u8(DATA_OFFSET_OFFSET) >>> 4;
  }

  /** {@return the header length in bytes, 4 * Data Offset} */
  public int headerLength() {
    return dataOffset() << 2;
  }

  /** {@return the options length in bytes} */
  public int optionsLength() {
    return headerLength() - MIN_HEADER_LENGTH;
  }

  /**
   * Sets Data Offset (and clears the reserved bits).
   *
   * @param words 5..15
   * @return this flyweight
   */
  public TcpFlyweight dataOffset(int words) {
    u8(DATA_OFFSET_OFFSET, (words & 0x0F) << 4);
    return this;
  }

  /** {@return the eight control bits (CWR..FIN)} */
  public int flags() {
    return u8(FLAGS_OFFSET);
  }

  /**
   * Sets the eight control bits.
   *
   * @param flags CWR..FIN, for example {@code SYN | ACK}
   * @return this flyweight
   */
  public TcpFlyweight flags(int flags) {
    u8(FLAGS_OFFSET, flags);
    return this;
  }

  /** {@return Window} */
  public int window() {
    return u16(WINDOW_OFFSET);
  }

  /**
   * Sets Window.
   *
   * @param value 0..65535
   * @return this flyweight
   */
  public TcpFlyweight window(int value) {
    u16(WINDOW_OFFSET, value);
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
  public TcpFlyweight checksum(int value) {
    u16(CHECKSUM_OFFSET, value);
    return this;
  }

  /** {@return Urgent Pointer} */
  public int urgentPointer() {
    return u16(URGENT_POINTER_OFFSET);
  }

  /**
   * Sets Urgent Pointer.
   *
   * @param value 0..65535
   * @return this flyweight
   */
  public TcpFlyweight urgentPointer(int value) {
    u16(URGENT_POINTER_OFFSET, value);
    return this;
  }

  /**
   * Reads the control bits of the header at {@code offset} (hot path).
   *
   * @param buffer the buffer
   * @param offset the header's first byte
   * @return CWR..FIN
   */
  public static int flags(ByteBuffer buffer, int offset) {
    return buffer.get(offset + FLAGS_OFFSET) & 0xFF;
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
