package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Interleaved weighted round robin as IPVS wrr (net/netfilter/ipvs/ip_vs_wrr.c): the current weight
 * cw starts at the largest weight and steps down by the gcd of all weights each time the scan wraps;
 * every backend whose weight is at least cw takes a turn. Weights 4, 3, 2 give A A B A B C A B C.
 *
 * The kernel walks that sequence under a lock; here one period (sum of weights / gcd) is
 * precomputed per snapshot and select reads it at a shared lock-free counter, O(1). When a period
 * would cost more than 2^24 steps to build, weights are scaled down proportionally first (each kept
 * at least 1), which changes shares by less than one part in 2^24 / n.
 * Smooth weighted round robin, the variant that never sends a burst to one backend, is nginx's
 * (SmoothWeightedRoundRobinScheduler).
 */
final class WeightedRoundRobinScheduler extends AbstractScheduler<int[]> {

  static final long WORK_LIMIT = 1L << 24;

  private final PaddedCounter turn;

  WeightedRoundRobinScheduler(SchedulerConfig config, Options options) {
    super("weighted-round-robin", config, SlowStart.THINNING);
    this.turn = new PaddedCounter(FlowHash.mix64(seed ^ 0x5EED_0002_7E00_0001L) >>> 33);
  }

  @Override
  int[] build(Backend[] backends, int[] weights) {
    return sequence(scaled(weights, WORK_LIMIT, true));
  }

  /** One period of the IPVS wrr sequence for the given weights (all positive). */
  static int[] sequence(long[] w) {
    int n = w.length;
    long g = 0;
    long max = 0;
    long sum = 0;
    for (long x : w) {
      g = Hashing.gcd(x, g);
      max = Math.max(max, x);
      sum += x;
    }
    int[] seq = new int[(int) (sum / g)];
    int k = 0;
    for (long cw = max; cw > 0; cw -= g) {
      for (int i = 0; i < n; i++) {
        if (w[i] >= cw) {
          seq[k++] = i;
        }
      }
    }
    return seq;
  }

  /**
   * Returns the weights, scaled down proportionally when building a period would take more than
   * {@code limit} steps: {@code byMax} bounds n * max / gcd (IPVS levels), else n * sum / gcd.
   */
  static long[] scaled(int[] weights, long limit, boolean byMax) {
    int n = weights.length;
    long g = 0;
    long max = 0;
    long sum = 0;
    for (int x : weights) {
      g = Hashing.gcd(x, g);
      max = Math.max(max, x);
      sum += x;
    }
    long work = (long) n * ((byMax ? max : sum) / g);
    long[] out = new long[n];
    if (work <= limit) {
      for (int i = 0; i < n; i++) {
        out[i] = weights[i] / g;
      }
      return out;
    }
    double target = Math.max(1.0, (double) limit / n);
    double factor = target / (byMax ? max : sum);
    for (int i = 0; i < n; i++) {
      out[i] = Math.max(1L, Math.round(weights[i] * factor));
    }
    return out;
  }

  @Override
  int choose(Pool<int[]> pool, FlowKey flow, long now, boolean ramping) {
    int[] seq = pool.table;
    return seq[(int) ((turn.getAndIncrement() & Long.MAX_VALUE) % seq.length)];
  }
}
