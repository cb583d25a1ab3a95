package io.github.lb4j.gateway.datapath;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A subnet written {@code address/length}. Immutable; any thread; parsing allocates; never blocks
 * (literal addresses only, no name resolution).
 *
 * @param prefix the network address
 * @param length the prefix length
 */
record Cidr(InetAddress prefix, int length) {

  static Cidr parse(String option, String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException(option + " must be ADDRESS/LENGTH, was '" + text + "'");
    }
    InetAddress a = Addresses.literal(option, text.substring(0, slash));
    int max = a.getAddress().length * 8;
    int len;
    try {
      len = Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " prefix length must be a number, was '" + text + "'");
    }
    if (len < 0 || len > max) {
      throw new IllegalArgumentException(option + " prefix length must be in 0.." + max + ", was '" + text + "'");
    }
    return new Cidr(a, len);
  }

  /** Literal address parsing that never asks a resolver. */
  static final class Addresses {
    private Addresses() {}

    static InetAddress literal(String option, String text) {
      String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
      boolean looksLiteral = !t.isEmpty() && (t.indexOf(':') >= 0 || t.chars().allMatch(c -> c == '.' || Character.isDigit(c)));
      if (!looksLiteral) {
        throw new IllegalArgumentException(option + " must be a literal IPv4 or IPv6 address, was '" + text + "'");
      }
      try {
        return InetAddress.getByName(t);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(option + " must be a literal IPv4 or IPv6 address, was '" + text + "'");
      }
    }
  }
}
