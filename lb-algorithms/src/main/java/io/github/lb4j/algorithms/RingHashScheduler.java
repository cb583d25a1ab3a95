package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Ring (Ketama) consistent hashing: D. Karger et al., "Consistent Hashing and Random Trees", STOC
 * 1997, with many points per backend as libketama.
 *
 * Sizing. Each backend gets points-per-weight (default 1024) points per unit of weight, fixed by
 * its own weight alone, as HAProxy's consistent hash gives each server a fixed number of nodes per
 * weight unit (lb_chash.c, weight x BE_WEIGHT_SCALE). Two properties follow:
 *  - balance does not degrade with n: a backend's share of the circle has a relative standard
 *    deviation near 1/sqrt(points), so 1024 points give about 0.03 at any n (Envoy's and gRPC's
 *    sizing, scale = min(ceil(minShare * min_ring_size) / minShare, max_ring_size), spreads 1024
 *    points over all backends: 11 each at 100 backends, a deviation of 0.32);
 *  - removing or adding a backend moves only that backend's flows: every other backend keeps its
 *    exact points (with Envoy's sizing each backend's point count depends on n, so a removal also
 *    moves a little of everybody's flows).
 * The ring is bounded by min-ring-size and max-ring-size (Envoy's names and defaults, 1024 and
 * 8388608): when the points would fall outside, the points per weight are multiplied or divided by
 * the smallest power of two that brings them in (each backend keeps at least one point). The
 * factor changes only when the total crosses a power of two, so consistency holds across every
 * change that does not.
 *
 * Points are a SplitMix64 stream seeded by each backend's id hash. The ring keeps 44 bits of each
 * point above a 20-bit owner index in one sorted long[] (at most 2^20 backends), sorted by a
 * counting pass over its top bits (O(points), the points being uniform) which also yields an index
 * (one entry per point up to 2^16 points, per eight beyond) that lets select jump straight to the
 * few candidates: O(1) expected instead of a binary search, one cache miss on a ring larger than
 * the cache. The default ring has n x 1024 x mean weight points (8 bytes each), so from about a
 * thousand backends a lookup waits for memory; Maglev's table stays smaller.
 * Options: points-per-weight, min-ring-size, max-ring-size, hash-key (default five-tuple),
 * hash-balance-factor (bounded loads: an over-loaded owner passes the flow clockwise to the next
 * backend, as HAProxy's consistent hash with hash-balance-factor).
 */
final class RingHashScheduler extends AbstractScheduler<RingHashScheduler.Ring> {

  private static final int OWNER_BITS = 20;
  private static final long OWNER_MASK = (1L << OWNER_BITS) - 1;

  /** The sorted points and their top-bits index. Immutable. */
  static final class Ring {
    final long[] points;
    final int[] start;
    final int shift;

    Ring(long[] points, int[] start, int shift) {
      this.points = points;
      this.start = start;
      this.shift = shift;
    }

    int owner(int j) {
      return (int) (points[j] & OWNER_MASK);
    }

    /** The index of the first point clockwise from {@code hash}. */
    int find(long hash) {
      int b = (int) (hash >>> shift);
      int hi = start[b + 1];
      long want = hash >>> OWNER_BITS;
      for (int j = start[b]; j < hi; j++) {
        if ((points[j] >>> OWNER_BITS) >= want) {
          return j;
        }
      }
      return hi == points.length ? 0 : hi;
    }
  }

  /** Points per unit of weight by default: a relative deviation of load near 1/sqrt(1024) = 0.03. */
  static final int DEFAULT_POINTS_PER_WEIGHT = 1024;

  private final int pointsPerWeight;
  private final int minRingSize;
  private final int maxRingSize;
  private final HashKey key;
  private final BoundedLoads bounded;

  RingHashScheduler(SchedulerConfig config, Options options) {
    super("ring-hash", config, SlowStart.NONE);
    this.pointsPerWeight = options.integer("points-per-weight", DEFAULT_POINTS_PER_WEIGHT, 1, 1 << 23);
    this.minRingSize = options.integer("min-ring-size", 1024, 1, 1 << 23);
    this.maxRingSize = options.integer("max-ring-size", 1 << 23, 1, 1 << 23);
    if (minRingSize > maxRingSize) {
      throw options.bad("min-ring-size", Integer.toString(minRingSize), "must not exceed max-ring-size=" + maxRingSize);
    }
    this.key = options.hashKey("hash-key", HashKey.FIVE_TUPLE);
    this.bounded = BoundedLoads.fromOptions(options);
  }

  @Override
  boolean usesClock() {
    return bounded.enabled();
  }

  @Override
  Ring build(Backend[] backends, int[] weights) {
    return ring(backends, weights, pointsPerWeight, minRingSize, maxRingSize, seed, work);
  }

  /**
   * The points of each backend: {@code max(1, w * pointsPerWeight * 2^e)} with the exponent e
   * nearest 0 that keeps the total within [minRingSize, maxRingSize] (the upper bound wins).
   */
  static long[] pointCounts(int[] weights, int pointsPerWeight, int minRingSize, int maxRingSize) {
    long[] counts = new long[weights.length];
    int e = 0;
    long total = scaled(weights, pointsPerWeight, e, counts);
    while (total > maxRingSize) {
      total = scaled(weights, pointsPerWeight, --e, counts);
    }
    while (total < minRingSize) {
      long next = scaled(weights, pointsPerWeight, e + 1, counts);
      if (next > maxRingSize) {
        scaled(weights, pointsPerWeight, e, counts);
        break;
      }
      e++;
      total = next;
    }
    return counts;
  }

  /** Fills counts with max(1, w * pointsPerWeight * 2^e) and returns their sum. */
  private static long scaled(int[] weights, int pointsPerWeight, int e, long[] counts) {
    long total = 0;
    for (int i = 0; i < weights.length; i++) {
      long p = (long) weights[i] * pointsPerWeight;
      p = e >= 0 ? p << e : e > -63 ? p >> -e : 0;
      counts[i] = Math.max(1L, p);
      total += counts[i];
    }
    return total;
  }

  static Ring ring(Backend[] backends, int[] weights, int pointsPerWeight, int minRingSize, int maxRingSize, long seed) {
    return ring(backends, weights, pointsPerWeight, minRingSize, maxRingSize, seed, new Work());
  }

  static Ring ring(Backend[] backends, int[] weights, int pointsPerWeight, int minRingSize, int maxRingSize, long seed, Work work) {
    int n = backends.length;
    if (n > OWNER_MASK + 1 || n > maxRingSize) {
      throw new IllegalArgumentException("ring-hash supports at most " + Math.min(OWNER_MASK + 1, maxRingSize)
          + " backends (one point each at max-ring-size=" + maxRingSize + "), was " + n);
    }
    long[] counts = pointCounts(weights, pointsPerWeight, minRingSize, maxRingSize);
    long[] ids = new long[n];
    long total = 0;
    for (int i = 0; i < n; i++) {
      ids[i] = Hashing.ofId(backends[i].id(), seed);
      total += counts[i];
    }
    work.add(8L * n);
    int count = (int) total;
    // About one point per bucket while the ring is small enough to stay in cache; beyond 2^16 points
    // about eight, so the index (half a byte per point) stays in cache and the scan from a bucket's
    // first point reads one or two cache lines of the ring: one miss per lookup instead of two.
    int log = 64 - Long.numberOfLeadingZeros(Math.max(1, count - 1));
    int bits = Math.max(4, Math.min(22, count > 1 << 16 ? log - 3 : log));
    int shift = 64 - bits;
    int buckets = 1 << bits;
    // Counting sort by the top bits: count, place (the points are generated twice rather than
    // stored twice), then an insertion sort inside each bucket, about one point long.
    int[] start = new int[buckets + 1];
    for (int i = 0; i < n; i++) {
      for (long k = 1; k <= counts[i]; k++) {
        start[(int) (point(ids[i], k) >>> shift) + 1]++;
      }
    }
    for (int b = 0; b < buckets; b++) {
      start[b + 1] += start[b];
    }
    int[] fill = java.util.Arrays.copyOf(start, buckets);
    long[] points = new long[count];
    for (int i = 0; i < n; i++) {
      for (long k = 1; k <= counts[i]; k++) {
        long p = point(ids[i], k);
        points[fill[(int) (p >>> shift)]++] = (p & ~OWNER_MASK) | i;
      }
    }
    long moves = 0;
    for (int b = 0; b < buckets; b++) {
      for (int j = start[b] + 1; j < start[b + 1]; j++) {
        long v = points[j];
        int h = j - 1;
        // Same top bits, hence the same sign: a signed comparison orders them as unsigned.
        while (h >= start[b] && points[h] > v) {
          points[h + 1] = points[h];
          h--;
          moves++;
        }
        points[h + 1] = v;
      }
    }
    work.add(3L * count + 2L * buckets + moves);
    return new Ring(points, start, shift);
  }

  /** The k-th point (k >= 1) of the backend whose id hashes to {@code id}. */
  private static long point(long id, long k) {
    return FlowHash.mix64(id + k * Hashing.GOLDEN);
  }

  @Override
  int choose(Pool<Ring> pool, FlowKey flow, long now, boolean ramping) {
    Ring ring = pool.table;
    int j = ring.find(key.hash(flow, seed));
    int first = ring.owner(j);
    if (!bounded.enabled() || bounded.admits(pool, first, now)) {
      return first;
    }
    long[] points = ring.points;
    for (int step = 1; step < points.length; step++) {
      j = j + 1 == points.length ? 0 : j + 1;
      int candidate = ring.owner(j);
      if (candidate != first && bounded.admits(pool, candidate, now)) {
        return candidate;
      }
    }
    return first;
  }
}
