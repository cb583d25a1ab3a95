package io.github.lb4j.gateway.config;

import java.time.Duration;
import java.util.Locale;

/**
 * Parses and prints the durations of flags and configuration files: a number and a unit, {@code
 * 250ms}, {@code 2s}, {@code 5m}, {@code 1h}, as HAProxy and nginx write them.
 *
 * <p>Stateless; any thread may call it. Allocates the result; never blocks.
 */
public final class Durations {

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @param field the flag or key being parsed, named in the error
   * @param text a non-negative integer followed by {@code ms}, {@code s}, {@code m} or {@code h}
   * @return the duration
   * @throws IllegalArgumentException naming the field and value when the text is not a duration
   */
  public static Duration parse(String field, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    int i = 0;
    while (i < t.length() && Character.isDigit(t.charAt(i))) {
      i++;
    }
    String unit = t.substring(i);
    if (i == 0 || i > 12) {
      throw bad(field, text);
    }
    long n = Long.parseLong(t.substring(0, i));
    switch (unit) {
      case "ms":
        return Duration.ofMillis(n);
      case "s":
        return Duration.ofSeconds(n);
      case "m":
        return Duration.ofMinutes(n);
      case "h":
        return Duration.ofHours(n);
      default:
        throw bad(field, text);
    }
  }

  /**
   * Prints a duration in the largest unit that keeps it whole, for example {@code 1500ms} or {@code 2s}.
   *
   * @param d the duration
   * @return the text
   */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms != 0 && ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms != 0 && ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }

  private static IllegalArgumentException bad(String field, String text) {
    return new IllegalArgumentException(
        field + " must be a duration such as 500ms, 2s, 5m or 1h, was '" + text + "'");
  }
}
