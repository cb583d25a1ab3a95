package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Smooth weighted round robin as nginx (ngx_http_upstream_round_robin.c,
 * ngx_http_upstream_get_peer): every pick adds each backend's weight to its current weight, takes
 * the largest current weight (the first on ties) and subtracts the total from it. Weights a=5, b=1,
 * c=1 give a a b a c a a: the heavy backend's turns are spread out, never a burst.
 *
 * nginx runs this O(n) loop under the upstream lock on every request; here one period (sum of
 * weights / gcd turns) is read at a shared lock-free counter that survives updates and starts at a
 * seeded position. Small pools (n x period <= 2^22) precompute nginx's period exactly; simulating
 * it costs n x period steps, O(n^2) and more for large pools, so beyond that bound
 * WeightedSchedule's golden-ratio stride takes over: the same exact share per period and turns as
 * evenly spread (its gaps are within a small factor of period / weight), O(1) expected per select,
 * O(n) per update.
 */
final class SmoothWeightedRoundRobinScheduler extends AbstractScheduler<WeightedSchedule> {

  private final PaddedCounter turn;

  SmoothWeightedRoundRobinScheduler(SchedulerConfig config, Options options) {
    super("smooth-weighted-round-robin", config, SlowStart.THINNING);
    this.turn = new PaddedCounter(FlowHash.mix64(seed ^ 0x5EED_0003_7E00_0001L) >>> 33);
  }

  @Override
  WeightedSchedule build(Backend[] backends, int[] weights) {
    return WeightedSchedule.of(weights, SmoothWeightedRoundRobinScheduler::sequence, work);
  }

  /** One period of nginx's smooth sequence for the given weights (all positive, gcd 1). */
  static int[] sequence(long[] w) {
    int n = w.length;
    long total = 0;
    for (long x : w) {
      total += x;
    }
    long[] current = new long[n];
    int[] seq = new int[(int) total];
    for (int k = 0; k < seq.length; k++) {
      int best = 0;
      for (int i = 0; i < n; i++) {
        current[i] += w[i];
        if (current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      seq[k] = best;
    }
    return seq;
  }

  @Override
  int choose(Pool<WeightedSchedule> pool, FlowKey flow, long now, boolean ramping) {
    return pool.table.at(turn.getAndIncrement() & Long.MAX_VALUE);
  }
}
