package io.github.lb4j.gateway.config;

import io.github.lb4j.api.Addresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Parses and prints {@code host:port} endpoints as flags and configuration files write them:
 * {@code 127.0.0.1:8080}, {@code [::1]:8080}, {@code localhost:8080}, {@code :8080} (every address).
 *
 * <p>Stateless; any thread may call it. Parsing may resolve a host name (blocks on DNS for names,
 * not for literal addresses).
 */
public final class Endpoints {

  private Endpoints() {}

  /**
   * Parses an endpoint.
   *
   * @param field the flag or key being parsed, named in the error
   * @param text {@code host:port}, {@code [v6]:port} or {@code :port}
   * @return a resolved socket address
   * @throws IllegalArgumentException naming the field and value when the text is not an endpoint or
   *     the host does not resolve
   */
  public static InetSocketAddress parse(String field, String text) {
    String t = text.trim();
    int colon = t.lastIndexOf(':');
    if (colon < 0 || colon == t.length() - 1) {
      throw new IllegalArgumentException(field + " must be host:port, [ipv6]:port or :port, was '" + text + "'");
    }
    String host = t.substring(0, colon);
    String portText = t.substring(colon + 1);
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(field + " has a port that is not a number: '" + text + "'");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(field + " port must be in 0..65535, was " + port + " in '" + text + "'");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw new IllegalArgumentException(field + " must write an IPv6 address in brackets ([::1]:8080), was '" + text + "'");
    }
    if (host.isEmpty() || host.equals("*")) {
      return new InetSocketAddress(port);
    }
    if (looksLiteral(host)) {
      return new InetSocketAddress(literal(field, host), port);
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(field + " names a host that does not resolve: '" + host + "'");
    }
  }

  /** Digits and dots only, or a colon: an address literal, never a name to look up. */
  private static boolean looksLiteral(String host) {
    return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
  }

  /**
   * Parses an address literal, without any name lookup: IPv4 as four decimal numbers 0..255 without
   * leading zeros (RFC 6943 §3.1.1: no octal, no shortened forms such as {@code 10.1}), or IPv6 (RFC
   * 4291 §2.2), bracketed or not.
   *
   * @param field the flag or key being parsed, named in the error
   * @param text the literal
   * @return the address
   * @throws IllegalArgumentException saying why the literal is not an address
   */
  public static InetAddress literal(String field, String text) {
    String t = text.strip();
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1);
    }
    if (t.indexOf(':') >= 0) {
      try {
        // Brackets make the JDK parse an IPv6 literal and never fall back to a name lookup.
        return InetAddress.getByName("[" + t + "]");
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(field + ": '" + text + "' is not a valid IPv6 address");
      }
    }
    String[] parts = t.split("\\.", -1);
    byte[] bytes = new byte[4];
    boolean valid = parts.length == 4;
    for (int i = 0; valid && i < 4; i++) {
      String p = parts[i];
      valid = !p.isEmpty() && p.length() <= 3 && p.chars().allMatch(c -> c >= '0' && c <= '9')
          && (p.length() == 1 || p.charAt(0) != '0') && Integer.parseInt(p) <= 255;
      if (valid) {
        bytes[i] = (byte) Integer.parseInt(p);
      }
    }
    if (!valid) {
      throw new IllegalArgumentException(field + ": '" + text
          + "' is not a valid IPv4 address (four numbers 0..255 without leading zeros, such as 192.0.2.10)");
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("four bytes are always an address", e);
    }
  }

  /**
   * Prints an endpoint as {@link #parse} reads it, IPv6 compressed as RFC 5952 writes it ({@code
   * [::1]:8080}, not {@code [0:0:0:0:0:0:0:1]:8080}).
   *
   * @param a the address
   * @return {@code host:port} or {@code [v6]:port}
   */
  public static String format(InetSocketAddress a) {
    return Addresses.format(a);
  }

  /**
   * Prints an address and port as {@link #parse} reads them, IPv6 bracketed and in RFC 5952 form.
   *
   * @param ip the address
   * @param port the port, or 0 for none: then the address alone ({@code [v6]} bracketed)
   * @return {@code 192.0.2.1:80}, {@code [2001:db8::1]:80}, {@code [2001:db8::1]}
   */
  public static String format(InetAddress ip, int port) {
    if (port != 0) {
      return Addresses.format(ip, port);
    }
    String host = Addresses.format(ip);
    return ip instanceof java.net.Inet6Address ? "[" + host + "]" : host;
  }

  /**
   * Prints an address without brackets: dotted quad, or IPv6 in RFC 5952 form (a scope is kept).
   *
   * @param ip the address
   * @return its text
   */
  public static String host(InetAddress ip) {
    return Addresses.format(ip);
  }
}
