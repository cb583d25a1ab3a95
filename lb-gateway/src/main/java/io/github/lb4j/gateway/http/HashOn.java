package io.github.lb4j.gateway.http;

import java.net.InetAddress;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the request key given to {@code BackendPool.pick(key)} is computed from, as HAProxy's {@code
 * balance} keywords choose it: the client's address ({@code balance source}), a header ({@code
 * balance hdr(name)}), a cookie's value, the path ({@code balance uri} without the query), or
 * nothing (every request gets a random key, so only the scheduler decides). With a hashing
 * scheduler ({@code maglev}, {@code ring-hash}, ...) equal keys reach the same backend; a request
 * without the header or cookie falls back to a random key, as HAProxy falls back to round robin.
 *
 * <p>Immutable; any thread. {@link #key} allocates nothing beyond the header lookup.
 *
 * @param kind where the key comes from
 * @param name the header or cookie name; empty for the other kinds
 */
public record HashOn(Kind kind, String name) {

  /** Where the key comes from. */
  public enum Kind {
    /** No key: a random one per request. */
    NONE,
    /** The client's IP address (not its port). */
    SOURCE,
    /** The value of a request header (its first line). */
    HEADER,
    /** The value of a cookie in the Cookie header. */
    COOKIE,
    /** The request path, without the query. */
    PATH
  }

  /** No hashing: the scheduler alone decides. */
  public static final HashOn NONE = new HashOn(Kind.NONE, "");

  /**
   * Validates the fields.
   *
   * @param kind the kind
   * @param name the header or cookie name (a token), empty for other kinds
   */
  public HashOn {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    boolean named = kind == Kind.HEADER || kind == Kind.COOKIE;
    if (named && (name.isEmpty() || !name.chars().allMatch(HeadParser::isTchar))) {
      throw new IllegalArgumentException("hash-on " + kind.name().toLowerCase(Locale.ROOT)
          + " needs a name made of token characters, was '" + name + "'");
    }
    if (!named && !name.isEmpty()) {
      throw new IllegalArgumentException("hash-on " + kind.name().toLowerCase(Locale.ROOT) + " takes no name");
    }
  }

  /**
   * Parses {@code none}, {@code source}, {@code path}, {@code header:NAME} or {@code cookie:NAME}.
   *
   * @param text the text
   * @return the choice
   * @throws IllegalArgumentException naming the accepted forms
   */
  public static HashOn parse(String text) {
    String t = text.strip();
    int colon = t.indexOf(':');
    String kind = (colon < 0 ? t : t.substring(0, colon)).toLowerCase(Locale.ROOT);
    String name = colon < 0 ? "" : t.substring(colon + 1).strip();
    return switch (kind) {
      case "none" -> colon < 0 ? NONE : new HashOn(Kind.NONE, name);
      case "source" -> new HashOn(Kind.SOURCE, name);
      case "path" -> new HashOn(Kind.PATH, name);
      case "header" -> new HashOn(Kind.HEADER, name);
      case "cookie" -> new HashOn(Kind.COOKIE, name);
      default -> throw new IllegalArgumentException(
          "hash-on must be none, source, path, header:NAME or cookie:NAME, was '" + text + "'");
    };
  }

  @Override
  public String toString() {
    String k = kind.name().toLowerCase(Locale.ROOT);
    return name.isEmpty() ? k : k + ":" + name;
  }

  /** The key of a request; random when the request lacks what the key is made of. */
  long key(Head h, InetAddress client) {
    return switch (kind) {
      case NONE -> random();
      case SOURCE -> hash(client.getAddress());
      case HEADER -> {
        String v = h.first(name);
        yield v == null ? random() : hash(v, 0, v.length());
      }
      case COOKIE -> cookie(h);
      case PATH -> {
        String t = h.target;
        int q = t.indexOf('?');
        yield hash(t, 0, q < 0 ? t.length() : q);
      }
    };
  }

  private long cookie(Head h) {
    for (int i = 0; i < h.size(); i++) {
      if (!h.names.get(i).equalsIgnoreCase("cookie")) {
        continue;
      }
      // cookie-string = cookie-pair *( ";" SP cookie-pair ), RFC 6265 4.2.1; tolerate missing spaces.
      String v = h.values.get(i);
      int p = 0;
      while (p < v.length()) {
        while (p < v.length() && (v.charAt(p) == ' ' || v.charAt(p) == ';')) {
          p++;
        }
        int semi = v.indexOf(';', p);
        int end = semi < 0 ? v.length() : semi;
        int eq = v.indexOf('=', p);
        if (eq > p && eq < end && v.regionMatches(p, name, 0, name.length()) && eq - p == name.length()) {
          int s = eq + 1;
          int e = end;
          if (e - s >= 2 && v.charAt(s) == '"' && v.charAt(e - 1) == '"') {
            s++;
            e--;
          }
          return hash(v, s, e);
        }
        p = end + 1;
      }
    }
    return random();
  }

  private static long random() {
    return java.util.concurrent.ThreadLocalRandom.current().nextLong();
  }

  /** FNV-1a over the characters, then a 64-bit finaliser (Stafford's mix 13) to spread short keys. */
  static long hash(String s, int from, int to) {
    long h = 0xcbf29ce484222325L;
    for (int i = from; i < to; i++) {
      h = (h ^ s.charAt(i)) * 0x100000001b3L;
    }
    return mix(h);
  }

  static long hash(byte[] b) {
    long h = 0xcbf29ce484222325L;
    for (byte x : b) {
      h = (h ^ (x & 0xFF)) * 0x100000001b3L;
    }
    return mix(h);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** Used by callers that must not see a null. */
  static HashOn orNone(@Nullable HashOn h) {
    return h == null ? NONE : h;
  }
}
