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
 * The kernel walks that sequence under a lock; here one period (sum of weights / gcd turns) is read
 * at a shared lock-free counter that survives updates and starts at a seeded position. Small pools
 * (n x period <= 2^22) precompute the kernel's period exactly. Larger ones use WeightedSchedule's
 * golden-ratio stride, which keeps every backend's share exactly proportional to its weight over
 * each period (the kernel's sequence would cost n x max / gcd steps to build, and scaling weights
 * down to bound it flattened them) and spreads its turns instead of bursting: select is O(1)
 * expected, update O(n). Smooth weighted round robin, the variant that never sends a burst to one
 * backend at any size, is nginx's (SmoothWeightedRoundRobinScheduler).
 */
final class WeightedRoundRobinScheduler extends AbstractScheduler<WeightedSchedule> {

  private final PaddedCounter turn;

  WeightedRoundRobinScheduler(SchedulerConfig config, Options options) {
    super("weighted-round-robin", config, SlowStart.THINNING);
    this.turn = new PaddedCounter(FlowHash.mix64(seed ^ 0x5EED_0002_7E00_0001L) >>> 33);
  }

  @Override
  WeightedSchedule build(Backend[] backends, int[] weights) {
    return WeightedSchedule.of(weights, WeightedRoundRobinScheduler::sequence, work);
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

  @Override
  int choose(Pool<WeightedSchedule> pool, FlowKey flow, long now, boolean ramping) {
    return pool.table.at(turn.getAndIncrement() & Long.MAX_VALUE);
  }
}
