package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * The IPv6 Fragment extension header (RFC 8200 §4.5).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Identification                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>One thread; never allocates; never blocks.
 */
public final class Ipv6FragmentFlyweight extends HeaderFlyweight {

  /** Offset of Next Header. */
  public static final int NEXT_HEADER_OFFSET = 0;
  /** Offset of Fragment Offset and the M flag. */
  public static final int FRAGMENT_OFFSET_OFFSET = 2;
  /** Offset of Identification. */
  public static final int IDENTIFICATION_OFFSET = 4;
  /** Length of the header. */
  public static final int LENGTH = 8;

  /** Creates an unwrapped flyweight; call {@link #wrap} before use. */
  public Ipv6FragmentFlyweight() {
    super();
  }

  @Override
  public Ipv6FragmentFlyweight wrap(ByteBuffer buffer, int offset) {
    super.wrap(buffer, offset);
    return this;
  }

  /** {@return Next Header} */
  public int nextHeader() {
    return u8(NEXT_HEADER_OFFSET);
  }

  /** {@return Fragment Offset in 8-octet units} */
  public int fragmentOffset() {
    return u16(FRAGMENT_OFFSET_OFFSET) >>> 3;
  }

  /** {@return the M (more fragments) flag} */
  public boolean moreFragments() {
    return (u16(FRAGMENT_OFFSET_OFFSET) & 1) != 0;
  }

  /** {@return Identification, 32 bits} */
  public int identification() {
    return i32(IDENTIFICATION_OFFSET);
  }

  /**
   * Writes the whole header.
   *
   * @param nextHeader the header after this one
   * @param fragmentOffset in 8-octet units
   * @param more the M flag
   * @param identification 32 bits
   * @return this flyweight
   */
  public Ipv6FragmentFlyweight set(int nextHeader, int fragmentOffset, boolean more, int identification) {
    u8(NEXT_HEADER_OFFSET, nextHeader);
    u8(1, 0);
    u16(FRAGMENT_OFFSET_OFFSET, (fragmentOffset & 0x1FFF) << 3 | (more ? 1 : 0));
    i32(IDENTIFICATION_OFFSET, identification);
    return this;
  }
}
