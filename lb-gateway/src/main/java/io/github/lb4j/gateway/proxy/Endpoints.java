package io.github.lb4j.gateway.proxy;

import io.github.lb4j.nat.IpAddresses;
import java.net.Inet6Address;
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
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(field + " names a host that does not resolve: '" + host + "'");
    }
  }

  /**
   * Prints an endpoint as {@link #parse} reads it.
   *
   * @param a the address
   * @return {@code host:port} or {@code [v6]:port}
   */
  public static String format(InetSocketAddress a) {
    InetAddress ip = a.getAddress();
    if (ip == null) {
      return a.getHostString() + ":" + a.getPort();
    }
    return format(ip, a.getPort());
  }

  /**
   * Prints an address and port as {@link #parse} reads them, IPv6 in brackets and in its RFC 5952
   * text form (lowercase, no leading zeros, the longest run of zero groups as {@code ::}).
   *
   * @param ip the address
   * @param port the port, or 0 for none: then the address alone ({@code [v6]} bracketed)
   * @return {@code 192.0.2.1:80}, {@code [2001:db8::1]:80}, {@code [2001:db8::1]}
   */
  public static String format(InetAddress ip, int port) {
    String host = host(ip);
    if (ip instanceof Inet6Address) {
      host = "[" + host + "]";
    }
    return port == 0 ? host : host + ":" + port;
  }

  /**
   * Prints an address without brackets: dotted quad, or IPv6 in RFC 5952 text form (a scope, as in
   * {@code fe80::1%eth0}, is kept).
   *
   * @param ip the address
   * @return its text
   */
  public static String host(InetAddress ip) {
    if (!(ip instanceof Inet6Address six)) {
      return ip.getHostAddress();
    }
    byte[] b = six.getAddress();
    long high = 0;
    long low = 0;
    for (int i = 0; i < 8; i++) {
      high = high << 8 | (b[i] & 0xFF);
      low = low << 8 | (b[i + 8] & 0xFF);
    }
    String text = IpAddresses.format(true, high, low);
    String full = six.getHostAddress();
    int scope = full.indexOf('%');
    return scope < 0 ? text : text + full.substring(scope);
  }
}
