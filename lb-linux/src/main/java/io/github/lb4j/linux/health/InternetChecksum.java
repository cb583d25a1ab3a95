package io.github.lb4j.linux.health;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit
 * big-endian words, with the TCP pseudo-headers of RFC 9293 §3.1 (IPv4) and RFC 8200 §8.1 (IPv6).
 *
 * <p>Stateless; any thread may call it; never allocates or blocks.
 */
final class InternetChecksum {

  private static final ValueLayout.OfShort BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

  private InternetChecksum() {}

  /** Adds the 16-bit words of {@code length} bytes at {@code offset} to {@code sum}, unfolded. */
  static long add(long sum, MemorySegment data, long offset, int length) {
    long s = sum;
    int i = 0;
    for (; i + 1 < length; i += 2) {
      s += data.get(BE, offset + i) & 0xFFFF;
    }
    if (i < length) {
      s += (data.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF) << 8;
    }
    return s;
  }

  /** Adds the words of an address (4 or 16 bytes). */
  static long add(long sum, byte[] address) {
    long s = sum;
    for (int i = 0; i < address.length; i += 2) {
      s += ((address[i] & 0xFF) << 8) | (address[i + 1] & 0xFF);
    }
    return s;
  }

  /** Folds a sum and complements it: the value to store in the checksum field. */
  static int finish(long sum) {
    long s = sum;
    while ((s >>> 16) != 0) {
      s = (s & 0xFFFF) + (s >>> 16);
    }
    return (int) (~s & 0xFFFF);
  }

  /** The checksum of {@code length} bytes at {@code offset} (ICMPv4). */
  static int of(MemorySegment data, long offset, int length) {
    return finish(add(0, data, offset, length));
  }

  /** The TCP checksum with the pseudo-header of the source and destination (both 4 or both 16 bytes). */
  static int tcp(byte[] source, byte[] destination, MemorySegment segment, long offset, int length) {
    long sum = add(add(0, source), destination);
    sum += 6 + length;
    return finish(add(sum, segment, offset, length));
  }
}
