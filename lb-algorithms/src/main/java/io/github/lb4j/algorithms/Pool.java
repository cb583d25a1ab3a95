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
  /** Index in this pool by {@link BackendLoad#handle()}, -1 for backends not in the pool. */
  final int[] indexByHandle;
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
    int maxHandle = -1;
    boolean ramp = false;
    long end = 0;
    for (int i = 0; i < backends.length; i++) {
      sum += weights[i];
      max = Math.max(max, weights[i]);
      maxHandle = Math.max(maxHandle, loads[i].handle());
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
    this.indexByHandle = new int[maxHandle + 1];
    java.util.Arrays.fill(indexByHandle, -1);
    for (int i = 0; i < backends.length; i++) {
      indexByHandle[loads[i].handle()] = i;
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

  int indexOfHandle(int handle) {
    return handle >= 0 && handle < indexByHandle.length ? indexByHandle[handle] : -1;
  }
}
