package io.github.lb4j.algorithms;

import io.github.lb4j.api.SchedulerConfig;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Reads and validates the algorithm-specific options of a {@link SchedulerConfig}: each algorithm
 * reads the names it knows, then {@link #finish()} rejects every name nobody read, so a misspelt
 * option fails at creation instead of being silently ignored.
 *
 * <p>Control plane only (one thread, allocates).
 */
final class Options {

  private final String algorithm;
  private final SchedulerConfig config;
  private final Set<String> known = new TreeSet<>();

  Options(String algorithm, SchedulerConfig config) {
    this.algorithm = algorithm;
    this.config = config;
  }

  SchedulerConfig config() {
    return config;
  }

  int integer(String name, int defaultValue, int min, int max) {
    String raw = read(name);
    if (raw == null) {
      return defaultValue;
    }
    long v;
    try {
      v = Long.parseLong(raw.trim());
    } catch (NumberFormatException e) {
      throw bad(name, raw, "must be an integer in " + min + ".." + max);
    }
    if (v < min || v > max) {
      throw bad(name, raw, "must be in " + min + ".." + max);
    }
    return (int) v;
  }

  double decimal(String name, double defaultValue, double min, double max) {
    String raw = read(name);
    if (raw == null) {
      return defaultValue;
    }
    double v;
    try {
      v = Double.parseDouble(raw.trim());
    } catch (NumberFormatException e) {
      throw bad(name, raw, "must be a number in " + min + ".." + max);
    }
    if (!(v >= min && v <= max)) {
      throw bad(name, raw, "must be in " + min + ".." + max);
    }
    return v;
  }

  /** A duration in seconds (a decimal number, for example {@code 0.5}), returned in nanoseconds. */
  long seconds(String name, double defaultSeconds, double minSeconds, double maxSeconds) {
    return (long) (decimal(name, defaultSeconds, minSeconds, maxSeconds) * 1e9);
  }

  HashKey hashKey(String name, HashKey defaultValue) {
    String raw = read(name);
    if (raw == null) {
      return defaultValue;
    }
    for (HashKey k : HashKey.values()) {
      if (k.optionValue().equals(raw.trim())) {
        return k;
      }
    }
    StringBuilder allowed = new StringBuilder();
    for (HashKey k : HashKey.values()) {
      allowed.append(allowed.length() == 0 ? "" : ", ").append(k.optionValue());
    }
    throw bad(name, raw, "must be one of " + allowed);
  }

  IllegalArgumentException bad(String name, String value, String why) {
    return new IllegalArgumentException(
        "scheduler " + algorithm + ": option " + name + "=" + value + " " + why);
  }

  void finish() {
    for (Map.Entry<String, String> e : config.options().entrySet()) {
      if (!known.contains(e.getKey())) {
        throw new IllegalArgumentException("scheduler " + algorithm + ": unknown option " + e.getKey() + "="
            + e.getValue() + (known.isEmpty() ? " (it takes no options)" : "; known: " + String.join(", ", known)));
      }
    }
  }

  private @Nullable String read(String name) {
    known.add(name);
    return config.option(name);
  }
}
