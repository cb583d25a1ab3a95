package io.github.lb4j.api;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The text of IP addresses as lb4j prints them in logs, status and errors: IPv4 as a dotted quad,
 * IPv6 in the canonical form of RFC 5952 §4 (lowercase hex, no leading zeros, the longest run of two
 * or more zero groups shortened to {@code ::}, the first run on a tie; an IPv4-mapped address as
 * {@code ::ffff:192.0.2.1}, §5), and an IPv6 address with a port in brackets, {@code [2001:db8::1]:80}
 * (§6). {@link InetAddress#getHostAddress()} writes {@code 0:0:0:0:0:0:0:1} instead.
 *
 * <p>Static and stateless: any thread; allocates the text; never blocks (no name lookup).
 */
public final class Addresses {

  private Addresses() {}

  /**
   * Formats an address.
   *
   * @param address an IPv4 or IPv6 address; an IPv6 scope is kept as {@code %scope}
   * @return the canonical text
   */
  public static String format(InetAddress address) {
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address || b.length == 4) {
      return (b[0] & 0xFF) + "." + (b[1] & 0xFF) + "." + (b[2] & 0xFF) + "." + (b[3] & 0xFF);
    }
    String text = ipv6(b);
    if (address instanceof Inet6Address six) {
      if (six.getScopedInterface() != null) {
        return text + "%" + six.getScopedInterface().getName();
      }
      if (six.getScopeId() != 0) {
        return text + "%" + six.getScopeId();
      }
    }
    return text;
  }

  /**
   * Formats an address and port: {@code 192.0.2.1:80}, {@code [2001:db8::1]:80}; an unresolved one
   * as its host name and port.
   *
   * @param address the socket address
   * @return the text
   */
  public static String format(InetSocketAddress address) {
    InetAddress ip = address.getAddress();
    if (ip == null) {
      return address.getHostString() + ":" + address.getPort();
    }
    return format(ip, address.getPort());
  }

  /**
   * Formats an address and port.
   *
   * @param address the address
   * @param port the port
   * @return {@code host:port}, with the host in brackets when it is IPv6
   */
  public static String format(InetAddress address, int port) {
    String host = format(address);
    return address instanceof Inet6Address ? "[" + host + "]:" + port : host + ":" + port;
  }

  private static String ipv6(byte[] b) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = (b[2 * i] & 0xFF) << 8 | (b[2 * i + 1] & 0xFF);
    }
    if (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xFFFF) {
      return "::ffff:" + (b[12] & 0xFF) + "." + (b[13] & 0xFF) + "." + (b[14] & 0xFF) + "." + (b[15] & 0xFF);
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8;) {
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
    StringBuilder sb = new StringBuilder(39);
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
  }
}
