package io.github.lb4j.algorithms;

/**
 * Walker's alias method in Vose's numerically stable construction (M. D. Vose, "A linear algorithm
 * for generating random numbers with a given distribution", IEEE TSE 17(9), 1991): O(n) to build,
 * O(1) per weighted draw from one 64-bit random value.
 *
 * <p>Immutable after construction; any thread may draw; drawing never allocates.
 */
final class AliasTable {

  private static final long ONE = 1L << 31;

  private final int[] threshold;
  private final int[] alias;

  AliasTable(int[] weights) {
    int n = weights.length;
    threshold = new int[n];
    alias = new int[n];
    long sum = 0;
    for (int w : weights) {
      sum += w;
    }
    double[] scaled = new double[n];
    int[] small = new int[n];
    int[] large = new int[n];
    int s = 0;
    int l = 0;
    for (int i = 0; i < n; i++) {
      scaled[i] = (double) weights[i] * n / sum;
      if (scaled[i] < 1.0) {
        small[s++] = i;
      } else {
        large[l++] = i;
      }
    }
    while (s > 0 && l > 0) {
      int lo = small[--s];
      int hi = large[--l];
      threshold[lo] = (int) Math.min(ONE, Math.round(scaled[lo] * ONE));
      alias[lo] = hi;
      scaled[hi] = scaled[hi] + scaled[lo] - 1.0;
      if (scaled[hi] < 1.0) {
        small[s++] = hi;
      } else {
        large[l++] = hi;
      }
    }
    while (l > 0) {
      int i = large[--l];
      threshold[i] = (int) ONE;
      alias[i] = i;
    }
    while (s > 0) {
      int i = small[--s];
      threshold[i] = (int) ONE;
      alias[i] = i;
    }
  }

  /** Draws an index with probability proportional to its weight, from 64 random bits. */
  int draw(long random) {
    int column = Hashing.reduce(random, threshold.length);
    return (random & (ONE - 1)) < (threshold[column] & 0xFFFF_FFFFL) ? column : alias[column];
  }
}
