package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Power of d choices and its latency-aware form, both O(d) per select:
 *
 *  - power-of-two-choices: draw d distinct backends with probability proportional to weight and
 *    keep the least loaded (M. Mitzenmacher, "The Power of Two Choices in Randomized Load
 *    Balancing", IEEE TPDS 12(10), 2001; Envoy LEAST_REQUEST with choice_count). Load is IPVS's
 *    overhead with in-flight requests counted as active, (active + pending) * 256 + inactive,
 *    divided by the (ramped) weight; option choices, default 2, 2..8.
 *  - peak-ewma: Finagle's P2C with the Peak EWMA load (finagle-core loadbalancer/PeakEwma.scala):
 *    cost = the latency EWMA of BackendLoad, which jumps to every new peak and decays with tau;
 *    load = cost * (outstanding + 1); a backend with no latency history yet but outstanding work
 *    costs Finagle's penalty (Long.MAX_VALUE >> 16) + outstanding. Outstanding counts pending
 *    requests plus active sessions, fed by the session feedback; divided by the (ramped) weight.
 *
 * The d draws are distinct: a repeated index is drawn again (a few times) and otherwise replaced
 * by the next index not yet drawn, so two choices never compare a backend with itself. With d >= n
 * every backend is compared.
 */
final class PowerOfChoicesScheduler extends AbstractScheduler<AliasTable> {

  static final double PENALTY = Long.MAX_VALUE >> 16;
  private static final int MAX_CHOICES = 8;
  private static final int REDRAWS = 4;

  private final boolean peakEwma;
  private final int choices;

  PowerOfChoicesScheduler(boolean peakEwma, SchedulerConfig config, Options options) {
    super(peakEwma ? "peak-ewma" : "power-of-two-choices", config, SlowStart.WEIGHT);
    this.peakEwma = peakEwma;
    this.choices = peakEwma ? 2 : options.integer("choices", 2, 2, MAX_CHOICES);
  }

  @Override
  AliasTable build(Backend[] backends, int[] weights) {
    work.add(4L * weights.length);
    return new AliasTable(weights);
  }

  @Override
  int choose(Pool<AliasTable> pool, FlowKey flow, long now, boolean ramping) {
    int n = pool.size();
    if (n == 1) {
      return 0;
    }
    if (choices >= n) {
      int best = 0;
      for (int i = 1; i < n; i++) {
        if (lighter(pool, i, best, now, ramping)) {
          best = i;
        }
      }
      return best;
    }
    AliasTable alias = pool.table;
    // The drawn indexes live in locals (at most MAX_CHOICES), so select stays allocation-free.
    int c0 = alias.draw(nextRandom());
    int best = c0;
    int c1 = -1;
    int c2 = -1;
    int c3 = -1;
    int c4 = -1;
    int c5 = -1;
    int c6 = -1;
    for (int k = 1; k < choices; k++) {
      int c = alias.draw(nextRandom());
      for (int r = 0; r < REDRAWS && seen(c, c0, c1, c2, c3, c4, c5, c6); r++) {
        c = alias.draw(nextRandom());
      }
      while (seen(c, c0, c1, c2, c3, c4, c5, c6)) {
        c = c + 1 == n ? 0 : c + 1;
      }
      switch (k) {
        case 1: c1 = c; break;
        case 2: c2 = c; break;
        case 3: c3 = c; break;
        case 4: c4 = c; break;
        case 5: c5 = c; break;
        case 6: c6 = c; break;
        default: break;
      }
      if (lighter(pool, c, best, now, ramping)) {
        best = c;
      }
    }
    return best;
  }

  private static boolean seen(int c, int c0, int c1, int c2, int c3, int c4, int c5, int c6) {
    return c == c0 || c == c1 || c == c2 || c == c3 || c == c4 || c == c5 || c == c6;
  }

  /** Whether backend a is strictly less loaded than backend b. */
  private boolean lighter(Pool<AliasTable> pool, int a, int b, long now, boolean ramping) {
    long wa = pool.effectiveWeight(a, now, ramping);
    long wb = pool.effectiveWeight(b, now, ramping);
    if (peakEwma) {
      return peakLoad(pool.loads[a]) * wb < peakLoad(pool.loads[b]) * wa;
    }
    return LeastConnectionsScheduler.greaterProduct(load(pool.loads[b]), wa, load(pool.loads[a]), wb);
  }

  static long load(BackendLoad l) {
    return ((l.active() + l.pending()) << 8) + l.inactive();
  }

  static double peakLoad(BackendLoad l) {
    long outstanding = l.pending() + l.active();
    double cost = l.latencyCostNanos();
    if (cost == 0.0 && outstanding != 0) {
      return PENALTY + outstanding;
    }
    return cost * (outstanding + 1);
  }
}
