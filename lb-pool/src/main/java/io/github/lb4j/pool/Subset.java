package io.github.lb4j.pool;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The labels a request asks its backend to carry (Envoy's route {@code metadata_match}), for the
 * pool's subset balancing ({@link BackendPool.Builder#subsets}). A pick with a subset balances over
 * the backends whose labels include every pair, provided its keys are exactly one configured
 * selector's; otherwise the pool's {@link SubsetFallback} decides. Make each subset once and reuse
 * it: a pick then finds its backends without allocating.
 *
 * <p>Immutable; any thread; never blocks.
 */
public final class Subset {

  private final Map<String, String> labels;
  private final String key;

  private Subset(Map<String, String> labels) {
    this.labels = labels;
    this.key = key(labels);
  }

  /**
   * Makes a subset.
   *
   * @param labels the pairs, at least one; no null key or value
   * @return the subset
   * @throws IllegalArgumentException when {@code labels} is empty
   */
  public static Subset of(Map<String, String> labels) {
    Objects.requireNonNull(labels, "labels");
    if (labels.isEmpty()) {
      throw new IllegalArgumentException("a subset names at least one label; pick without a subset for the fallback");
    }
    TreeMap<String, String> sorted = new TreeMap<>();
    labels.forEach((k, v) -> sorted.put(Objects.requireNonNull(k, "label key"),
        Objects.requireNonNull(v, () -> "value of label " + k)));
    return new Subset(java.util.Collections.unmodifiableMap(sorted));
  }

  /**
   * Makes a subset of one label.
   *
   * @param key the label key
   * @param value its value
   * @return the subset
   */
  public static Subset of(String key, String value) {
    return of(Map.of(key, value));
  }

  /**
   * Returns the labels, sorted by key.
   *
   * @return the labels
   */
  public Map<String, String> labels() {
    return labels;
  }

  /** The canonical text of sorted pairs, with lengths so that no two label sets share it. */
  static String key(Map<String, String> sortedLabels) {
    StringBuilder b = new StringBuilder();
    sortedLabels.forEach((k, v) -> b.append(k.length()).append(':').append(k).append(v.length()).append(':').append(v));
    return b.toString();
  }

  String key() {
    return key;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Subset && ((Subset) o).key.equals(key);
  }

  @Override
  public int hashCode() {
    return key.hashCode();
  }

  @Override
  public String toString() {
    return "Subset" + labels;
  }
}
