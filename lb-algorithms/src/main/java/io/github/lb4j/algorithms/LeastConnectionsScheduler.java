package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * The IPVS connection-count schedulers, reading the live session table (seed S3.2) through
 * BackendLoad, with the kernel's formulas and tie rules (the first backend in order wins a tie):
 *
 *  - least-connections, ip_vs_lc.c: least overhead = active * 256 + inactive (ip_vs_dest_conn_overhead),
 *    weights ignored except 0 = drain;
 *  - weighted-least-connections, ip_vs_wlc.c: least overhead / weight, compared without division
 *    as loh * w(d) > doh * w(least);
 *  - shortest-expected-delay, ip_vs_sed.c: least (active + 1) / weight;
 *  - never-queue, ip_vs_nq.c: the first idle backend (active == 0), else as sed.
 *
 * Requests in flight (BackendLoad pending, fed by request-level callers such as lb-pool's leases)
 * count as active sessions, as power-of-two-choices counts them, so these schedulers balance
 * requests as well as connections; callers that only open sessions see the kernel's formulas.
 *
 * Like the kernel these scan every backend: O(n) per select, a tight loop over an array of
 * counters. Products are compared exactly in 128 bits, so huge counts cannot overflow. Slow start
 * divides by the ramped weight (least-connections ramps an implicit weight of 1).
 */
final class LeastConnectionsScheduler extends AbstractScheduler<Object> {

  /** Which IPVS formula. */
  enum Formula {
    LC("least-connections"),
    WLC("weighted-least-connections"),
    SED("shortest-expected-delay"),
    NQ("never-queue");

    final String schedulerName;

    Formula(String schedulerName) {
      this.schedulerName = schedulerName;
    }
  }

  private final Formula formula;

  LeastConnectionsScheduler(Formula formula, SchedulerConfig config, Options options) {
    super(formula.schedulerName, config, SlowStart.WEIGHT);
    this.formula = formula;
  }

  @Override
  Object build(Backend[] backends, int[] weights) {
    return NO_TABLE;
  }

  @Override
  int choose(Pool<Object> pool, FlowKey flow, long now, boolean ramping) {
    switch (formula) {
      case LC:
        return leastConnections(pool, now, ramping);
      case WLC:
        return weightedLeastConnections(pool, now, ramping);
      case SED:
        return shortestExpectedDelay(pool, now, ramping, false);
      default:
        return shortestExpectedDelay(pool, now, ramping, true);
    }
  }

  /** IPVS's connection overhead: active sessions (and requests in flight) weigh 256 inactive ones. */
  static long overhead(BackendLoad load) {
    return ((load.active() + load.pending()) << 8) + load.inactive();
  }

  static int leastConnections(Pool<?> pool, long now, boolean ramping) {
    BackendLoad[] loads = pool.loads;
    int least = 0;
    long loh = overhead(loads[0]);
    if (!ramping) {
      for (int i = 1; i < loads.length; i++) {
        long doh = overhead(loads[i]);
        if (doh < loh) {
          least = i;
          loh = doh;
        }
      }
      return least;
    }
    long lw = pool.rampShare(0, now);
    for (int i = 1; i < loads.length; i++) {
      long doh = overhead(loads[i]);
      long dw = pool.rampShare(i, now);
      if (greaterProduct(loh, dw, doh, lw)) {
        least = i;
        loh = doh;
        lw = dw;
      }
    }
    return least;
  }

  static int weightedLeastConnections(Pool<?> pool, long now, boolean ramping) {
    BackendLoad[] loads = pool.loads;
    int least = 0;
    long loh = overhead(loads[0]);
    long lw = weight(pool, 0, now, ramping);
    for (int i = 1; i < loads.length; i++) {
      long doh = overhead(loads[i]);
      long dw = weight(pool, i, now, ramping);
      if (greaterProduct(loh, dw, doh, lw)) {
        least = i;
        loh = doh;
        lw = dw;
      }
    }
    return least;
  }

  static int shortestExpectedDelay(Pool<?> pool, long now, boolean ramping, boolean neverQueue) {
    BackendLoad[] loads = pool.loads;
    int least = -1;
    long loh = 0;
    long lw = 0;
    for (int i = 0; i < loads.length; i++) {
      long active = loads[i].active() + loads[i].pending();
      if (neverQueue && active == 0) {
        return i;
      }
      long doh = active + 1;
      long dw = weight(pool, i, now, ramping);
      if (least < 0 || greaterProduct(loh, dw, doh, lw)) {
        least = i;
        loh = doh;
        lw = dw;
      }
    }
    return least;
  }

  private static long weight(Pool<?> pool, int i, long now, boolean ramping) {
    return ramping ? pool.effectiveWeight(i, now, true) : pool.weights[i];
  }

  /** Whether a * b > c * d, exactly, for non-negative operands. */
  static boolean greaterProduct(long a, long b, long c, long d) {
    long hi1 = Math.multiplyHigh(a, b);
    long hi2 = Math.multiplyHigh(c, d);
    if (hi1 != hi2) {
      return hi1 > hi2;
    }
    return Long.compareUnsigned(a * b, c * d) > 0;
  }
}
