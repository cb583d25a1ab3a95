package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;
import java.util.Arrays;

/*
 * Ring (Ketama) consistent hashing: D. Karger et al., "Consistent Hashing and Random Trees", STOC
 * 1997, with many points per backend as libketama, sized as Envoy's ring_hash load balancer
 * (source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc; gRPC's ring_hash.cc sizes
 * its ring the same way): scale = min(ceil(minWeightShare * min-ring-size) /
 * minWeightShare, max-ring-size) and each backend gets ceil-accumulated scale * weightShare points,
 * so the lightest backend still gets enough points and weights are honoured. With 100 equal backends
 * on a 65536 ring the relative standard deviation of load stays within Envoy's 0.045.
 *
 * Points are a SplitMix64 stream seeded by each backend's id hash. The ring keeps 44 bits of each
 * point above a 20-bit owner index in one sorted long[] (at most 2^20 backends), and an index of the
 * top bits points straight at the few candidates, so select is O(1) expected instead of a binary
 * search. Options: min-ring-size (default 1024, Envoy's), max-ring-size (default 8388608, Envoy's),
 * hash-key (default five-tuple), hash-balance-factor (bounded loads: an over-loaded owner passes the
 * flow clockwise to the next backend, as HAProxy's consistent hash with hash-balance-factor).
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

  private final int minRingSize;
  private final int maxRingSize;
  private final HashKey key;
  private final BoundedLoads bounded;

  RingHashScheduler(SchedulerConfig config, Options options) {
    super("ring-hash", config, SlowStart.NONE);
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
    return ring(backends, weights, minRingSize, maxRingSize, seed);
  }

  static Ring ring(Backend[] backends, int[] weights, int minRingSize, int maxRingSize, long seed) {
    int n = backends.length;
    if (n > OWNER_MASK + 1) {
      throw new IllegalArgumentException("ring-hash supports at most " + (OWNER_MASK + 1) + " backends, was " + n);
    }
    long sum = 0;
    int min = Integer.MAX_VALUE;
    for (int w : weights) {
      sum += w;
      min = Math.min(min, w);
    }
    double minShare = (double) min / sum;
    double scale = Math.min(Math.ceil(minShare * minRingSize) / minShare, maxRingSize);
    int size = (int) Math.ceil(scale) + n;
    long[] points = new long[size];
    int count = 0;
    double target = 0;
    long current = 0;
    for (int i = 0; i < n; i++) {
      long h = Hashing.ofId(backends[i].id(), seed);
      target += scale * weights[i] / sum;
      for (long k = 1; current < target && count < size; k++, current++) {
        long point = FlowHash.mix64(h + k * Hashing.GOLDEN);
        points[count++] = (point & ~OWNER_MASK) | i;
      }
    }
    points = Arrays.copyOf(points, count);
    // Sort as unsigned: flip the sign bit, sort, flip back.
    for (int j = 0; j < count; j++) {
      points[j] ^= Long.MIN_VALUE;
    }
    Arrays.sort(points);
    for (int j = 0; j < count; j++) {
      points[j] ^= Long.MIN_VALUE;
    }
    int bits = Math.max(4, Math.min(22, 64 - Long.numberOfLeadingZeros(Math.max(1, count - 1))));
    int shift = 64 - bits;
    int buckets = 1 << bits;
    int[] start = new int[buckets + 1];
    int j = 0;
    for (int b = 0; b <= buckets; b++) {
      while (j < count && (int) (points[j] >>> shift) < b) {
        j++;
      }
      start[b] = j;
    }
    return new Ring(points, start, shift);
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
