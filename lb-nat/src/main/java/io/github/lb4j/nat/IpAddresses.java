package io.github.lb4j.nat;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Conversions between {@link InetAddress} and the (high, low) pair of longs the packet core uses,
 * IPv4 in its IPv4-mapped form as {@link io.github.lb4j.api.FlowKey} defines. Control plane only:
 * these allocate. Static; any thread; never blocks.
 */
final class IpAddresses {

  /** The high 32 bits of the low half of an IPv4-mapped address, {@code ::ffff:0:0/96}. */
  public static final long V4_MAPPED = 0x0000_FFFF_0000_0000L;

  private IpAddresses() {}

  /**
   * Returns bits 127..64.
   *
   * @param a an address
   * @return 0 for IPv4
   */
  public static long high(InetAddress a) {
    byte[] b = a.getAddress();
    return b.length == 4 ? 0 : read(b, 0);
  }

  /**
   * Returns bits 63..0 (IPv4-mapped for IPv4).
   *
   * @param a an address
   * @return the low half
   */
  public static long low(InetAddress a) {
    byte[] b = a.getAddress();
    if (b.length == 4) {
      return V4_MAPPED | (v4(a) & 0xFFFF_FFFFL);
    }
    return read(b, 8);
  }

  /**
   * Returns an IPv4 address as 32 bits.
   *
   * @param a an IPv4 address
   * @return 32 bits
   * @throws IllegalArgumentException when {@code a} is IPv6
   */
  public static int v4(InetAddress a) {
    byte[] b = a.getAddress();
    if (b.length != 4) {
      throw new IllegalArgumentException("expected an IPv4 address, was " + a.getHostAddress());
    }
    return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
  }

  /**
   * Parses a literal address (no name resolution).
   *
   * @param literal for example {@code "192.0.2.1"} or {@code "2001:db8::1"}
   * @return the address
   * @throws IllegalArgumentException naming the text when it is not a literal address
   */
  public static InetAddress parse(String literal) {
    if (literal.isEmpty() || !(Character.digit(literal.charAt(0), 16) >= 0 || literal.charAt(0) == ':')
        || literal.chars().anyMatch(c -> Character.digit(c, 16) < 0 && c != '.' && c != ':')) {
      throw new IllegalArgumentException("not a literal IP address: '" + literal + "'");
    }
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not a literal IP address: '" + literal + "'", e);
    }
  }

  /**
   * Formats a (high, low) pair (allocates; traces).
   *
   * @param ipv6 the family
   * @param high bits 127..64
   * @param low bits 63..0
   * @return dotted quad or IPv6 text
   */
  public static String format(boolean ipv6, long high, long low) {
    try {
      if (!ipv6) {
        int v = (int) low;
        return InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v})
            .getHostAddress();
      }
      // RFC 5952: lowercase hex, no leading zeros, the longest run of two or more zero groups as "::"
      int[] g = new int[8];
      for (int i = 0; i < 8; i++) {
        g[i] = (int) ((i < 4 ? high : low) >>> (48 - 16 * (i & 3))) & 0xFFFF;
      }
      int bestStart = -1;
      int bestLength = 1;
      for (int i = 0; i < 8; ) {
        int j = i;
        while (j < 8 && g[j] == 0) {
          j++;
        }
        if (j - i > bestLength) {
          bestStart = i;
          bestLength = j - i;
        }
        i = j == i ? i + 1 : j;
      }
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 8; i++) {
        if (i == bestStart) {
          sb.append("::");
          i += bestLength - 1;
          continue;
        }
        if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
          sb.append(':');
        }
        sb.append(Integer.toHexString(g[i]));
      }
      return sb.toString();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean isV4(InetAddress a) {
    return a instanceof Inet4Address;
  }

  private static long read(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = v << 8 | (b[at + i] & 0xFF);
    }
    return v;
  }
}
