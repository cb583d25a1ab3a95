package io.github.lb4j.algorithms;

/**
 * Counts the elementary steps of one {@code update} (loop iterations, comparisons of a sort, slots
 * filled), so that a test can check that the cost of an update grows as O(n log n) by counting
 * instead of timing. Each build adds the steps of its own loops where they run.
 *
 * <p>Control plane only (one thread at a time, as {@code update}); never allocates or blocks.
 */
final class Work {

  private long steps;

  /** Adds {@code n} steps. */
  void add(long n) {
    steps += n;
  }

  /** Adds the comparisons of sorting {@code n} elements, n log2 n. */
  void sort(long n) {
    steps += n * (64 - Long.numberOfLeadingZeros(Math.max(1, n)));
  }

  long steps() {
    return steps;
  }

  void reset() {
    steps = 0;
  }
}
