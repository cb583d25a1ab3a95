package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Envoy's weighted least request (source/extensions/load_balancing_policies/least_request/
 * least_request_lb.cc; the LeastRequest proto's choice_count, active_request_bias and
 * slow_start_config), with a backend's active requests read as its requests in flight plus its
 * active sessions (BackendLoad pending + active):
 *
 *  - all weights equal and no backend in slow start: power of two choices (M. Mitzenmacher, IEEE
 *    TPDS 2001): `choices` (default 2) random backends, the one with the fewest active requests
 *    wins, the first drawn on ties. Envoy draws with replacement; here the draws are distinct, so a
 *    backend is never compared with itself.
 *  - otherwise: each backend is chosen in proportion to its effective weight
 *        weight / (active + 1)^active-request-bias
 *    (bias 1.0 by default; 0 ignores the load and is plain weighted random), where the weight is
 *    the slow-start ramped weight (SchedulerConfig.slowStart: Envoy's window, aggression and
 *    min_weight_percent). Envoy keeps a per-worker EDF schedule and re-inserts the picked host
 *    with the effective weight of that moment; a shared lock-free select cannot mutate a schedule,
 *    so it draws the same proportions: a draw by weight (alias table, thinned by the ramp) is
 *    accepted with probability ((a_min + 1) / (active + 1))^bias, a_min being the fewest active
 *    requests in the pool, rescanned every max(1024, n) selects (O(1) amortized). After 16
 *    rejections the best of the drawn is taken.
 *
 * Select is O(choices) or O(1) expected; update builds an alias table, O(n).
 */
final class LeastRequestScheduler extends AbstractScheduler<LeastRequestScheduler.Table> {

  private static final int MAX_CHOICES = 8;
  private static final int REDRAWS = 4;
  private static final int TRIES = 16;
  private static final int THINNING_TRIES = 8;
  private static final long ACCEPT_KEY = 0x4C45_4153_5452_4551L;

  /** The alias table of the weights and whether they are all equal. Immutable. */
  static final class Table {
    final AliasTable alias;
    final boolean equalWeights;
    final int rescanEvery;

    Table(AliasTable alias, boolean equalWeights, int n) {
      this.alias = alias;
      this.equalWeights = equalWeights;
      this.rescanEvery = Math.max(1024, n);
    }
  }

  private final int choices;
  private final double bias;
  // The cached fewest active requests of the pool: racy by design (a stale value only shifts the
  // acceptance rate until the next rescan), never a reason to synchronize. The countdown is a plain
  // field so that counting selects costs no fence; a lost decrement only delays a rescan.
  private volatile long fewestActive;
  private int untilRescan;
  private volatile Object scannedTable = new Object();

  LeastRequestScheduler(SchedulerConfig config, Options options) {
    super("least-request", config, SlowStart.WEIGHT);
    this.choices = options.integer("choices", 2, 2, MAX_CHOICES);
    this.bias = options.decimal("active-request-bias", 1.0, 0.0, 100.0);
  }

  @Override
  Table build(Backend[] backends, int[] weights) {
    boolean equal = true;
    for (int w : weights) {
      equal &= w == weights[0];
    }
    work.add(5L * weights.length);
    return new Table(new AliasTable(weights), equal, weights.length);
  }

  @Override
  int choose(Pool<Table> pool, FlowKey flow, long now, boolean ramping) {
    int n = pool.size();
    if (n == 1) {
      return 0;
    }
    Table table = pool.table;
    if (table.equalWeights && !ramping) {
      return twoChoices(pool, n);
    }
    return proportional(pool, now, ramping);
  }

  static long active(BackendLoad l) {
    return l.pending() + l.active();
  }

  /** Envoy's unweighted pick: the fewest active requests of `choices` distinct draws. */
  private int twoChoices(Pool<Table> pool, int n) {
    BackendLoad[] loads = pool.loads;
    int c0 = Hashing.reduce(nextRandom(), n);
    if (choices >= n) {
      int best = c0;
      long least = active(loads[c0]);
      for (int k = 1; k < n; k++) {
        int i = c0 + k < n ? c0 + k : c0 + k - n;
        long a = active(loads[i]);
        if (a < least) {
          best = i;
          least = a;
        }
      }
      return best;
    }
    int best = c0;
    long least = active(loads[c0]);
    int c1 = -1;
    int c2 = -1;
    int c3 = -1;
    int c4 = -1;
    int c5 = -1;
    int c6 = -1;
    for (int k = 1; k < choices; k++) {
      int c = Hashing.reduce(nextRandom(), n);
      for (int r = 0; r < REDRAWS && seen(c, c0, c1, c2, c3, c4, c5, c6); r++) {
        c = Hashing.reduce(nextRandom(), n);
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
      long a = active(loads[c]);
      if (a < least) {
        best = c;
        least = a;
      }
    }
    return best;
  }

  private static boolean seen(int c, int c0, int c1, int c2, int c3, int c4, int c5, int c6) {
    return c == c0 || c == c1 || c == c2 || c == c3 || c == c4 || c == c5 || c == c6;
  }

  /** A backend drawn in proportion to weight / (active + 1)^bias, the weight ramped. */
  private int proportional(Pool<Table> pool, long now, boolean ramping) {
    long floor = fewestActive(pool);
    int best = -1;
    for (int t = 0; t < TRIES; t++) {
      long random = nextRandom();
      int c = draw(pool, random, now, ramping);
      long a = active(pool.loads[c]);
      // The acceptance draw comes from the same 64 random bits, remixed (SplitMix64 is a
      // bijection with full avalanche), so a try costs one step of the shared stream.
      if (accept(a, floor, FlowHash.mix64(random ^ ACCEPT_KEY))) {
        return c;
      }
      if (best < 0 || heavier(pool, c, best, now, ramping)) {
        best = c;
      }
    }
    return best;
  }

  /** Accepts a draw with probability ((floor + 1) / (active + 1))^bias, from 64 random bits. */
  private boolean accept(long active, long floor, long random) {
    if (bias == 0.0 || active <= floor) {
      return true;
    }
    double u = Hashing.unitOpen(random);
    if (bias == 1.0) {
      return u * (active + 1) < floor + 1;
    }
    return u < Math.pow((floor + 1.0) / (active + 1.0), bias);
  }

  /** Whether backend a has a larger effective weight than b: exact products for bias 0 and 1. */
  private boolean heavier(Pool<Table> pool, int a, int b, long now, boolean ramping) {
    long wa = pool.effectiveWeight(a, now, ramping);
    long wb = pool.effectiveWeight(b, now, ramping);
    if (bias == 0.0) {
      return wa > wb;
    }
    long aa = active(pool.loads[a]) + 1;
    long ab = active(pool.loads[b]) + 1;
    if (bias == 1.0) {
      return LeastConnectionsScheduler.greaterProduct(wa, ab, wb, aa);
    }
    return wa / Math.pow(aa, bias) > wb / Math.pow(ab, bias);
  }

  /** A draw proportional to weight, thinned by the slow-start ramp while some backend ramps. */
  private int draw(Pool<Table> pool, long random, long now, boolean ramping) {
    AliasTable alias = pool.table.alias;
    int c = alias.draw(random);
    if (!ramping) {
      return c;
    }
    for (int attempt = 1; attempt < THINNING_TRIES; attempt++) {
      long share = pool.rampShare(c, now);
      if (share >= Pool.FULL || (nextRandom() >>> (64 - Pool.WEIGHT_SHIFT)) < share) {
        return c;
      }
      c = alias.draw(nextRandom());
    }
    return c;
  }

  /** The fewest active requests in the pool, rescanned every max(1024, n) selects. */
  private long fewestActive(Pool<Table> pool) {
    int left = untilRescan - 1;
    if (scannedTable == pool.table && left > 0) {
      untilRescan = left;
      return fewestActive;
    }
    long least = Long.MAX_VALUE;
    for (BackendLoad l : pool.loads) {
      least = Math.min(least, active(l));
    }
    fewestActive = least;
    untilRescan = pool.table.rescanEvery;
    scannedTable = pool.table;
    return least;
  }
}
