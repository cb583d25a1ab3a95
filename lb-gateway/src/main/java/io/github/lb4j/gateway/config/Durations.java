package io.github.lb4j.gateway.config;

import java.time.Duration;
import java.util.Locale;

/**
 * Parses and prints the durations of flags and configuration files: a whole number and a unit,
 * {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h}, as HAProxy and nginx write them, or a bare
 * {@code 0}.
 *
 * <p>The longest accepted is {@link #MAX}, 2562047h (about 292 years): the longest span of
 * nanoseconds a {@code long} holds, which is how the proxy and the health checks keep time.
 *
 * <p>Stateless; any thread may call it. Allocates the result; never blocks.
 */
public final class Durations {

  /** The longest duration accepted: {@code Long.MAX_VALUE} nanoseconds rounded down to whole hours. */
  public static final Duration MAX = Duration.ofHours(Long.MAX_VALUE / 3_600_000_000_000L);

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @param field the flag or key being parsed, named in the error
   * @param text a non-negative integer followed by {@code ms}, {@code s}, {@code m} or {@code h}, or {@code 0}
   * @return the duration
   * @throws IllegalArgumentException naming the field and value when the text is not a duration or
   *     is longer than {@link #MAX}
   */
  public static Duration parse(String field, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("0")) {
      return Duration.ZERO;
    }
    int i = 0;
    while (i < t.length() && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
      i++;
    }
    String unit = t.substring(i);
    long perUnit = switch (unit) {
      case "ms" -> 1;
      case "s" -> 1_000;
      case "m" -> 60_000;
      case "h" -> 3_600_000;
      default -> -1;
    };
    if (i == 0 || perUnit < 0) {
      throw new IllegalArgumentException(field + " must be a duration such as 500ms, 2s, 5m or 1h, was '" + text + "'");
    }
    String digits = t.substring(0, i);
    long max = MAX.toMillis() / perUnit;
    if (digits.length() > 19 || Long.parseLong(digits) > max) {
      throw new IllegalArgumentException(field + " must be at most " + max + unit + " (about 292 years), was '" + text + "'");
    }
    return Duration.ofMillis(Long.parseLong(digits) * perUnit);
  }

  /**
   * Checks that a duration fits in a {@code long} of nanoseconds, as the proxy keeps time.
   *
   * @param field the setting, named in the error
   * @param d the duration
   * @return {@code d}
   * @throws IllegalArgumentException naming the field when {@code d} is longer than {@link #MAX}
   */
  public static Duration requireRepresentable(String field, Duration d) {
    if (d.compareTo(MAX) > 0) {
      throw new IllegalArgumentException(field + " must be at most " + format(MAX) + " (about 292 years), was " + format(d));
    }
    return d;
  }

  /**
   * Prints a duration in the largest unit that keeps it whole, for example {@code 1500ms} or {@code 2s}.
   *
   * @param d the duration
   * @return the text
   */
  public static String format(Duration d) {
    if (d.compareTo(MAX) > 0) {
      return d.toSeconds() + "s";
    }
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
}
