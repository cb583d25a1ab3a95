package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * The common part of every header flyweight: a buffer and the absolute offset of the header in it,
 * as Aeron's {@code HeaderFlyweight}. Subclasses add the fields of one header, named after the RFC.
 *
 * <p>One instance belongs to one thread and is re-pointed with {@link #wrap} per frame; it never
 * allocates and never blocks. Accessors do not check bounds: callers wrap only offsets the {@link
 * FrameParser} validated.
 */
public abstract class HeaderFlyweight {

  /** The buffer holding the header; big-endian. */
  protected ByteBuffer buffer;
  /** The absolute index of the header's first byte. */
  protected int offset;

  /** Creates a flyweight over an empty buffer; call {@link #wrap} before use. */
  protected HeaderFlyweight() {
    this.buffer = EMPTY;
  }

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  /**
   * Points this flyweight at a header.
   *
   * @param buffer the buffer, big-endian
   * @param offset the absolute index of the header's first byte
   * @return this flyweight
   */
  public HeaderFlyweight wrap(ByteBuffer buffer, int offset) {
    this.buffer = buffer;
    this.offset = offset;
    return this;
  }

  /**
   * Returns the buffer this flyweight reads.
   *
   * @return the buffer this flyweight reads
   */
  public ByteBuffer buffer() {
    return buffer;
  }

  /**
   * Returns the absolute index of the header's first byte.
   *
   * @return the absolute index of the header's first byte
   */
  public int offset() {
    return offset;
  }

  final int u8(int at) {
    return buffer.get(offset + at) & 0xFF;
  }

  final void u8(int at, int value) {
    buffer.put(offset + at, (byte) value);
  }

  final int u16(int at) {
    return buffer.getShort(offset + at) & 0xFFFF;
  }

  final void u16(int at, int value) {
    buffer.putShort(offset + at, (short) value);
  }

  final long u32(int at) {
    return buffer.getInt(offset + at) & 0xFFFF_FFFFL;
  }

  final int i32(int at) {
    return buffer.getInt(offset + at);
  }

  final void i32(int at, int value) {
    buffer.putInt(offset + at, value);
  }

  final long u48(int at) {
    return u48(buffer, offset + at);
  }

  final void u48(int at, long value) {
    u48(buffer, offset + at, value);
  }

  static long u48(ByteBuffer b, int i) {
    return ((b.getShort(i) & 0xFFFFL) << 32) | (b.getInt(i + 2) & 0xFFFF_FFFFL);
  }

  static void u48(ByteBuffer b, int i, long value) {
    b.putShort(i, (short) (value >>> 32));
    b.putInt(i + 2, (int) value);
  }
}
