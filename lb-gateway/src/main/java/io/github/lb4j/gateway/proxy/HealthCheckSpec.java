package io.github.lb4j.gateway.proxy;

import io.github.lb4j.gateway.config.Durations;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link ProxyServer} health-checks its backends (seed S2): a checker by registry name with its
 * options, how often, how long one check may take, and the rise and fall thresholds (HAProxy's
 * {@code inter}, {@code timeout check}, {@code rise} and {@code fall}).
 *
 * <p>Immutable; any thread may use it. Creation allocates and validates; nothing blocks.
 *
 * @param checker the registry name of the checker, for example {@code "http"}
 * @param options the checker's options, for example {@code path=/health}
 * @param interval the time between two checks of one backend, positive
 * @param timeout how long one check may take, positive and at most {@code interval}
 * @param rise consecutive passes that bring a backend up, 1 or more
 * @param fall consecutive failures that take a backend down, 1 or more
 */
public record HealthCheckSpec(
    String checker, Map<String, String> options, Duration interval, Duration timeout, int rise, int fall) {

  /** HAProxy's default interval between checks. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);

  /** HAProxy's default {@code rise}. */
  public static final int DEFAULT_RISE = 2;

  /** HAProxy's default {@code fall}. */
  public static final int DEFAULT_FALL = 3;

  /**
   * Validates the fields.
   *
   * @param checker the registry name
   * @param options the checker's options
   * @param interval the interval
   * @param timeout the timeout
   * @param rise the rise threshold
   * @param fall the fall threshold
   * @throws IllegalArgumentException naming the field (as the configuration file does: {@code
   *     check.interval}, {@code check.timeout}, {@code check.rise}, {@code check.fall}) and the value
   *     when one is out of range
   */
  public HealthCheckSpec {
    Objects.requireNonNull(checker, "checker");
    if (checker.isBlank()) {
      throw new IllegalArgumentException("check must name a health checker, was blank");
    }
    options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    positive("check.interval", interval);
    positive("check.timeout", timeout);
    if (timeout.compareTo(interval) > 0) {
      throw new IllegalArgumentException(
          "check.timeout must not exceed check.interval, was " + Durations.format(timeout) + " > " + Durations.format(interval));
    }
    if (rise < 1) {
      throw new IllegalArgumentException("check.rise must be at least 1, was " + rise);
    }
    if (fall < 1) {
      throw new IllegalArgumentException("check.fall must be at least 1, was " + fall);
    }
  }

  /**
   * A check with the default interval, a timeout of half the interval, and the default rise and fall.
   *
   * @param checker the registry name of the checker
   * @return the specification
   */
  public static HealthCheckSpec of(String checker) {
    return new HealthCheckSpec(checker, Map.of(), DEFAULT_INTERVAL, DEFAULT_INTERVAL.dividedBy(2), DEFAULT_RISE, DEFAULT_FALL);
  }

  /**
   * Returns the longest time from a backend's death to its detection: {@code fall} checks, each
   * waiting one interval after the previous one ended and taking at most one timeout.
   *
   * @return {@code fall x (interval + timeout)}
   */
  public Duration detectionBound() {
    return interval.plus(timeout).multipliedBy(fall);
  }

  private static void positive(String field, Duration d) {
    Objects.requireNonNull(d, field);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(field + " must be positive, was " + Durations.format(d));
    }
    Durations.requireRepresentable(field, d);
  }
}
