package io.github.lb4j.gateway.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Hop-by-hop fields (RFC 9110 7.6.1): {@code Connection} and every field it names, and the fields
 * that are hop-by-hop by definition or by legacy ({@code Keep-Alive}, {@code Proxy-Connection},
 * {@code TE}, {@code Transfer-Encoding}, {@code Upgrade}), are removed before a message is
 * forwarded. {@code Content-Length} and {@code Transfer-Encoding} are rewritten by the proxy from
 * the framing it read, and a {@code Connection} option naming {@code Host} or a framing field is
 * ignored, so a client cannot make the proxy drop them (a known way to desynchronise a backend).
 *
 * <p>Stateless; any thread.
 */
final class Hop {

  private static final Set<String> ALWAYS = Set.of("connection", "keep-alive", "proxy-connection", "te",
      "transfer-encoding", "upgrade", "content-length", "http2-settings");

  private static final Set<String> PROTECTED = Set.of("host", "content-length", "transfer-encoding");

  private Hop() {}

  /** Fields a trailer section must not carry onwards (framing and hop-by-hop ones). */
  static boolean isFraming(String name) {
    return always(name);
  }

  /** ALWAYS by name length, so a field is looked up without lower-casing it (no allocation). */
  private static final String[][] ALWAYS_BY_LENGTH = byLength(ALWAYS);

  private static String[][] byLength(Set<String> names) {
    int max = names.stream().mapToInt(String::length).max().orElse(0);
    String[][] out = new String[max + 1][];
    for (int n = 0; n <= max; n++) {
      int len = n;
      out[n] = names.stream().filter(x -> x.length() == len).toArray(String[]::new);
    }
    return out;
  }

  /** ALWAYS.contains(the name lower-cased). */
  private static boolean always(String name) {
    int n = name.length();
    if (n >= ALWAYS_BY_LENGTH.length) {
      return false;
    }
    for (String a : ALWAYS_BY_LENGTH[n]) {
      if (a.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  /** The lower-case names of the fields the message's Connection header names (its options). */
  static List<String> connectionOptions(Head h) {
    if (h.count("connection") == 0) {
      return List.of();
    }
    List<String> out = new ArrayList<>(0);
    for (String t : h.tokens("connection")) {
      if (!t.isEmpty() && !PROTECTED.contains(t) && !t.equals("close") && !t.equals("keep-alive")) {
        out.add(t);
      }
    }
    return out;
  }

  /** Whether field i is dropped when forwarding. */
  static boolean drop(String name, List<String> options) {
    if (always(name)) {
      return true;
    }
    for (int i = 0; i < options.size(); i++) {
      if (options.get(i).equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }
}
