package io.github.lb4j.health.check;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * Reads and validates the options of one checker: every unknown name and every bad value is an
 * {@link IllegalArgumentException} naming the method, the option and the value.
 *
 * <p>Control plane only; allocates; never blocks.
 */
final class Options {

  private final String method;
  private final Map<String, String> values;

  private Options(String method, Map<String, String> values) {
    this.method = method;
    this.values = values;
  }

  /**
   * Checks the option names against the known ones; {@code step.<n>} style names are matched by a
   * known name ending in {@code .<n>}.
   */
  static Options of(String method, Map<String, String> options, Set<String> known) {
    Map<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> e : options.entrySet()) {
      String name = e.getKey();
      if (name == null || e.getValue() == null) {
        throw new IllegalArgumentException(method + ": option names and values must not be null");
      }
      if (!known.contains(name) && !known.contains(indexedPattern(name))) {
        throw new IllegalArgumentException(
            method + ": unknown option '" + name + "'; known: " + (known.isEmpty() ? "none" : String.join(", ", new TreeSet<>(known))));
      }
      copy.put(name, e.getValue());
    }
    return new Options(method, copy);
  }

  private static String indexedPattern(String name) {
    int dot = name.lastIndexOf('.');
    if (dot > 0 && dot < name.length() - 1 && name.substring(dot + 1).chars().allMatch(Character::isDigit)) {
      return name.substring(0, dot) + ".<n>";
    }
    return name;
  }

  String method() {
    return method;
  }

  Map<String, String> all() {
    return values;
  }

  @Nullable String get(String name) {
    return values.get(name);
  }

  String string(String name, String dflt) {
    String v = values.get(name);
    return v == null ? dflt : v;
  }

  boolean bool(String name, boolean dflt) {
    String v = values.get(name);
    if (v == null) {
      return dflt;
    }
    switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true":
      case "yes":
      case "on":
        return true;
      case "false":
      case "no":
      case "off":
        return false;
      default:
        throw bad(name, v, "true or false");
    }
  }

  int integer(String name, int dflt, int min, int max) {
    String v = values.get(name);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < min || n > max) {
        throw bad(name, v, "an integer in " + min + ".." + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw bad(name, v, "an integer in " + min + ".." + max);
    }
  }

  /** Returns the value, which must be one of {@code choices}; the first choice is the default. */
  String choice(String name, String... choices) {
    String v = values.get(name);
    if (v == null) {
      return choices[0];
    }
    String t = v.trim().toLowerCase(Locale.ROOT);
    for (String c : choices) {
      if (c.equals(t)) {
        return c;
      }
    }
    throw bad(name, v, "one of " + String.join("|", choices));
  }

  @Nullable Pattern regex(String name) {
    String v = values.get(name);
    if (v == null) {
      return null;
    }
    try {
      return Pattern.compile(v);
    } catch (PatternSyntaxException e) {
      throw bad(name, v, "a valid regular expression (" + e.getDescription() + ")");
    }
  }

  /**
   * Decodes the escapes {@code \r \n \t \0 \\ \xHH} of a payload option; other bytes are taken as
   * UTF-8.
   */
  byte[] payload(String name, String dflt) {
    String v = string(name, dflt);
    return unescape(name, v);
  }

  private byte[] unescape(String name, String v) {
    byte[] raw = v.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[raw.length];
    int n = 0;
    for (int i = 0; i < raw.length; i++) {
      byte b = raw[i];
      if (b != '\\') {
        out[n++] = b;
        continue;
      }
      if (i + 1 >= raw.length) {
        throw bad(name, v, "a payload whose escapes are \\r \\n \\t \\0 \\\\ \\xHH (trailing backslash)");
      }
      byte c = raw[++i];
      switch (c) {
        case 'r':
          out[n++] = '\r';
          break;
        case 'n':
          out[n++] = '\n';
          break;
        case 't':
          out[n++] = '\t';
          break;
        case '0':
          out[n++] = 0;
          break;
        case '\\':
          out[n++] = '\\';
          break;
        case 'x':
          int hi = i + 1 < raw.length ? Character.digit(raw[i + 1], 16) : -1;
          int lo = i + 2 < raw.length ? Character.digit(raw[i + 2], 16) : -1;
          if (hi < 0 || lo < 0) {
            throw bad(name, v, "\\x followed by two hex digits");
          }
          out[n++] = (byte) (hi << 4 | lo);
          i += 2;
          break;
        default:
          throw bad(name, v, "a payload whose escapes are \\r \\n \\t \\0 \\\\ \\xHH (unknown escape \\" + (char) c + ")");
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }

  byte[] unescapeValue(String name, String value) {
    return unescape(name, value);
  }

  IllegalArgumentException bad(String name, String value, String expected) {
    return new IllegalArgumentException(
        method + ": option '" + name + "' must be " + expected + ", was '" + value + "'");
  }
}
