package io.github.lb4j.gateway.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One parsed message head: a request line or a status line, and the field lines in the order
 * received (names as sent; lookups ignore case, RFC 9110 5.1). Field values are ISO-8859-1 decoded
 * bytes with the surrounding whitespace removed, so obs-text survives a round trip unchanged.
 *
 * <p>Confined to the connection's thread; allocates one string per name and value.
 */
final class Head {

  /** The request method; empty for a response. */
  String method = "";
  /** The request target as received; empty for a response. */
  String target = "";
  /** The minor version of HTTP/1.x: 0 or 1 (a higher minor version is handled as 1, RFC 9110 6.2). */
  int minor = 1;
  /** The status code of a response; 0 for a request. */
  int status;
  /** The reason phrase of a response. */
  String reason = "";

  final List<String> names = new ArrayList<>(16);
  final List<String> values = new ArrayList<>(16);

  /*
   * The fields every message is asked about several times (framing, Host, Connection) are
   * recognised once, as they are added: their counts and first positions answer count, first and
   * hasToken without scanning the fields or allocating.
   */
  private static final int OTHER = 0;
  private static final int HOST = 1;
  private static final int CONTENT_LENGTH = 2;
  private static final int TRANSFER_ENCODING = 3;
  private static final int CONNECTION = 4;
  private static final int EXPECT = 5;
  private final byte[] counts = new byte[6];
  private final byte[] firsts = new byte[6];

  int size() {
    return names.size();
  }

  void add(String name, String value) {
    int k = known(name);
    if (k != OTHER && counts[k] < Byte.MAX_VALUE) {
      if (counts[k]++ == 0) {
        firsts[k] = (byte) Math.min(names.size(), Byte.MAX_VALUE);
      }
    }
    names.add(name);
    values.add(value);
  }

  /** Which well-known field a name sent in any case is. */
  private static int known(String name) {
    return switch (name.length()) {
      case 4 -> name.equalsIgnoreCase("host") ? HOST : OTHER;
      case 6 -> name.equalsIgnoreCase("expect") ? EXPECT : OTHER;
      case 10 -> name.equalsIgnoreCase("connection") ? CONNECTION : OTHER;
      case 14 -> name.equalsIgnoreCase("content-length") ? CONTENT_LENGTH : OTHER;
      case 17 -> name.equalsIgnoreCase("transfer-encoding") ? TRANSFER_ENCODING : OTHER;
      default -> OTHER;
    };
  }

  /** The first value of a field, or null. */
  @Nullable String first(String name) {
    int k = known(name);
    if (k != OTHER && counts[k] < Byte.MAX_VALUE && firsts[k] < Byte.MAX_VALUE) {
      return counts[k] == 0 ? null : values.get(firsts[k]);
    }
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equalsIgnoreCase(name)) {
        return values.get(i);
      }
    }
    return null;
  }

  int count(String name) {
    int k = known(name);
    if (k != OTHER && counts[k] < Byte.MAX_VALUE) {
      return counts[k];
    }
    int n = 0;
    for (String s : names) {
      if (s.equalsIgnoreCase(name)) {
        n++;
      }
    }
    return n;
  }

  /** Whether a comma-separated field (all its lines) holds a token, ignoring case (Connection: close). */
  boolean hasToken(String name, String token) {
    int k = known(name);
    if (k != OTHER && counts[k] == 0) {
      return false;
    }
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equalsIgnoreCase(name)) {
        for (String part : values.get(i).split(",")) {
          if (part.strip().equalsIgnoreCase(token)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** The lower-case tokens of every line of a comma-separated field. */
  List<String> tokens(String name) {
    int k = known(name);
    if (k != OTHER && counts[k] == 0) {
      return List.of();
    }
    List<String> out = new ArrayList<>(2);
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equalsIgnoreCase(name)) {
        for (String part : values.get(i).split(",", -1)) {
          out.add(part.strip().toLowerCase(Locale.ROOT));
        }
      }
    }
    return out;
  }
}
