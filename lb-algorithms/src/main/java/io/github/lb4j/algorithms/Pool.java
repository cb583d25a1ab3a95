package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;

/**
 * The backends a scheduler chooses among in one snapshot, with their live counters, weights and
 * slow-start ramps resolved once on the control plane, plus the algorithm's own precomputed
 * {@code table}. Never holds a drained backend (weight 0).
 *
 * <p>Immutable after construction and published with the snapshot's volatile write: any thread may
 * read it; reading never allocates or blocks.
 *
 * @param <T> the algorithm's precomputed table
 */
final class Pool<T> {

  /** Effective weights are scaled by this factor, so a ramp has resolution below one weight unit. */
  static final int WEIGHT_SHIFT = 10;

  /** Full ramp, as a fraction of {@code 1 << WEIGHT_SHIFT}. */
  static final long FULL = 1L << WEIGHT_SHIFT;

  static final long NO_RAMP = Long.MIN_VALUE;

  /** Envoy never dates a ramp below one second: {@code TimeFactor = max(elapsed, 1 s) / window}. */
  private static final long ONE_SECOND = 1_000_000_000L;

  /**
   * The slow-start ramps of one snapshot: when each backend (re)joined and Envoy's ramp shape
   * ({@code min_weight_percent}, {@code aggression}). Immutable.
   */
  static final class Ramp {
    final long[] start;
    final long window;
    final double minShare;
    final double aggression;

    Ramp(long[] start, long window, double minShare, double aggression) {
      this.start = start;
      this.window = window;
      this.minShare = minShare;
      this.aggression = aggression;
    }
  }

  final Backend[] backends;
  final BackendLoad[] loads;
  final int[] weights;
  final long weightSum;
  final int maxWeight;
  /** Clock reading when each backend (re)joined, {@link #NO_RAMP} when it is not ramping. */
  final long[] rampStart;
  final boolean hasRamp;
  final long rampEnd;
  final long window;
  private final double minShare;
  private final double inverseAggression;
  /**
   * Open-addressing map from {@link BackendLoad#handle()} to index in this pool: handles at even
   * slots, indexes at odd ones, power-of-two size at least 4n, -1 for empty. Sized by n, not by the
   * largest handle, so an update stays O(n) however many backends the shared counters have seen.
   */
  private final int[] indexByHandle;
  private final int handleMask;
  private final int handleShift;
  /** {@code true} when this pool includes unhealthy backends (fail-open or panic). */
  final boolean degraded;
  final T table;

  Pool(Backend[] backends, BackendLoad[] loads, int[] weights, Ramp ramps, boolean degraded, T table) {
    this.backends = backends;
    this.loads = loads;
    this.weights = weights;
    this.rampStart = ramps.start;
    this.window = ramps.window;
    this.minShare = ramps.minShare;
    this.inverseAggression = 1.0 / ramps.aggression;
    long[] rampStart = ramps.start;
    this.degraded = degraded;
    this.table = table;
    long sum = 0;
    int max = 0;
    boolean ramp = false;
    long end = 0;
    for (int i = 0; i < backends.length; i++) {
      sum += weights[i];
      max = Math.max(max, weights[i]);
      if (rampStart[i] != NO_RAMP) {
        long e = rampStart[i] + window;
        end = ramp ? (e - end > 0 ? e : end) : e;
        ramp = true;
      }
    }
    this.weightSum = sum;
    this.maxWeight = max;
    this.hasRamp = ramp;
    this.rampEnd = end;
    int pairs = Integer.highestOneBit(Math.max(1, backends.length) * 4 - 1);
    this.indexByHandle = new int[pairs * 2];
    this.handleMask = pairs * 2 - 2;
    this.handleShift = 32 - Integer.numberOfTrailingZeros(pairs);
    java.util.Arrays.fill(indexByHandle, -1);
    for (int i = 0; i < backends.length; i++) {
      int handle = loads[i].handle();
      int s = slot(handle);
      while (indexByHandle[s] >= 0) {
        s = (s + 2) & handleMask;
      }
      indexByHandle[s] = handle;
      indexByHandle[s + 1] = i;
    }
  }

  int size() {
    return backends.length;
  }

  /** Whether some backend is still ramping at {@code now}. */
  boolean rampingAt(long now) {
    return hasRamp && now - rampEnd < 0;
  }

  /**
   * Returns the slow-start share of backend {@code i} at {@code now}, in units of {@link #FULL}:
   * Envoy's {@code max(minWeightPercent, (max(elapsed, 1 s) / window)^(1 / aggression))}.
   */
  long rampShare(int i, long now) {
    long start = rampStart[i];
    if (start == NO_RAMP) {
      return FULL;
    }
    long elapsed = now - start;
    if (elapsed >= window) {
      return FULL;
    }
    double t = (double) Math.max(elapsed, ONE_SECOND) / window;
    double f = Math.max(minShare, inverseAggression == 1.0 ? t : Math.pow(Math.min(1.0, t), inverseAggression));
    return Math.max(1L, Math.min(FULL, (long) (f * FULL)));
  }

  /** The weight of backend {@code i} scaled by {@link #FULL} and by its slow-start share. */
  long effectiveWeight(int i, long now, boolean ramping) {
    long w = (long) weights[i] << WEIGHT_SHIFT;
    if (!ramping) {
      return w;
    }
    return Math.max(1L, (w * rampShare(i, now)) >> WEIGHT_SHIFT);
  }

  /** The index of the backend whose counters have this handle, -1 when it is not in this pool. */
  int indexOfHandle(int handle) {
    if (handle < 0) {
      return -1;
    }
    int[] map = indexByHandle;
    for (int s = slot(handle);; s = (s + 2) & handleMask) {
      int h = map[s];
      if (h == handle) {
        return map[s + 1];
      }
      if (h < 0) {
        return -1;
      }
    }
  }

  /** Fibonacci hashing (Knuth, TAOCP vol. 3, 6.4): the top bits of handle x 2^32/phi, as a pair offset. */
  private int slot(int handle) {
    return ((handle * 0x9E37_79B9) >>> handleShift) << 1;
  }
}
