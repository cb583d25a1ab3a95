package io.github.lb4j.api;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A 48-bit IEEE 802 MAC address, held as the low 48 bits of a {@code long} in network (transmission)
 * order, so that the packet core can compare and write it without allocating.
 *
 * <p>Immutable; any thread may use it. Parsing allocates; {@link #toLong()} and {@link
 * #writeTo(byte[], int)} do not. Never blocks.
 */
public final class MacAddress {

  /** The all-ones broadcast address {@code ff:ff:ff:ff:ff:ff}. */
  public static final MacAddress BROADCAST = new MacAddress(0xFFFF_FFFF_FFFFL);

  private static final long MASK = 0xFFFF_FFFF_FFFFL;

  private final long value;

  private MacAddress(long value) {
    this.value = value;
  }

  /**
   * Returns the address whose six octets are the low 48 bits of {@code value}, first octet in bits
   * 47..40.
   *
   * @param value the address as a number
   * @return the address
   * @throws IllegalArgumentException if any of the upper 16 bits is set
   */
  public static MacAddress ofLong(long value) {
    if ((value & ~MASK) != 0) {
      throw new IllegalArgumentException(
          "mac value must fit in 48 bits, was 0x" + Long.toHexString(value));
    }
    return new MacAddress(value);
  }

  /**
   * Returns the address held in six bytes.
   *
   * @param octets exactly six bytes, first transmitted first
   * @return the address
   * @throws IllegalArgumentException if {@code octets} is not six bytes long
   */
  public static MacAddress of(byte[] octets) {
    if (octets.length != 6) {
      throw new IllegalArgumentException("mac must be 6 octets, was " + octets.length);
    }
    long v = 0;
    for (byte b : octets) {
      v = (v << 8) | (b & 0xFF);
    }
    return new MacAddress(v);
  }

  /**
   * Parses the colon or hyphen separated form {@code 02:00:5e:10:00:01}, case-insensitive.
   *
   * @param text six two-digit hexadecimal octets separated by {@code ':'} or {@code '-'}
   * @return the address
   * @throws IllegalArgumentException naming the text when it is not a MAC address
   */
  public static MacAddress parse(String text) {
    if (text.length() != 17) {
      throw new IllegalArgumentException("mac must look like 02:00:5e:10:00:01, was '" + text + "'");
    }
    char sep = text.charAt(2);
    if (sep != ':' && sep != '-') {
      throw new IllegalArgumentException("mac must look like 02:00:5e:10:00:01, was '" + text + "'");
    }
    long v = 0;
    for (int i = 0; i < 6; i++) {
      int at = i * 3;
      if (i > 0 && text.charAt(at - 1) != sep) {
        throw new IllegalArgumentException("mac must look like 02:00:5e:10:00:01, was '" + text + "'");
      }
      int hi = Character.digit(text.charAt(at), 16);
      int lo = Character.digit(text.charAt(at + 1), 16);
      if (hi < 0 || lo < 0) {
        throw new IllegalArgumentException("mac has a non-hexadecimal octet, was '" + text + "'");
      }
      v = (v << 8) | (hi << 4) | lo;
    }
    return new MacAddress(v);
  }

  /**
   * Returns the address as the low 48 bits of a {@code long}, first octet in bits 47..40.
   *
   * @return the address as a number
   */
  public long toLong() {
    return value;
  }

  /**
   * Returns a new array with the six octets.
   *
   * @return the octets, first transmitted first
   */
  public byte[] toBytes() {
    byte[] out = new byte[6];
    writeTo(out, 0);
    return out;
  }

  /**
   * Writes the six octets into {@code dst} at {@code offset}. Does not allocate.
   *
   * @param dst the destination
   * @param offset where the first octet goes
   */
  public void writeTo(byte[] dst, int offset) {
    for (int i = 0; i < 6; i++) {
      dst[offset + i] = (byte) (value >>> (40 - 8 * i));
    }
  }

  /**
   * Tells whether the group bit (least significant bit of the first octet) is set.
   *
   * @return {@code true} for multicast and broadcast addresses
   */
  public boolean isMulticast() {
    return (value & 0x0100_0000_0000L) != 0;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof MacAddress && ((MacAddress) o).value == value;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(value);
  }

  /** Returns the lower-case colon form, {@code 02:00:5e:10:00:01}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(17);
    for (int i = 0; i < 6; i++) {
      if (i > 0) {
        sb.append(':');
      }
      sb.append(String.format(Locale.ROOT, "%02x", (value >>> (40 - 8 * i)) & 0xFF));
    }
    return sb.toString();
  }
}
