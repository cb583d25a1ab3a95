package io.github.lb4j.algorithms;

import io.github.lb4j.api.BackendLoad;

/**
 * Consistent hashing with bounded loads (V. Mirrokni, M. Thorup, M. Zadimoghaddam, SODA 2018), with
 * the balance factor of HAProxy's {@code hash-balance-factor}: a backend may take a new flow only
 * while its load is below {@code ceil((total + 1) * factor / 100 * weight / weightSum)}; otherwise
 * the hash walks on to the next candidate (HAProxy {@code chash_server_is_eligible}). Load is a
 * backend's active + inactive sessions + pending requests.
 *
 * <p>The total over all backends is re-summed at most once per {@link #REFRESH_NANOS} (and at once
 * after a snapshot swap), so a select costs O(1) amortized plus one O(n) pass per millisecond. The
 * cached total is read and written racily: a slightly stale total only shifts the bound by the
 * flows of the last millisecond. Any thread; never allocates; never blocks.
 */
final class BoundedLoads {

  static final long REFRESH_NANOS = 1_000_000L;

  private final int factorPercent;
  private volatile long total;
  private volatile long stamp;
  private volatile Object summedPool = new Object();

  BoundedLoads(int factorPercent) {
    this.factorPercent = factorPercent;
  }

  static BoundedLoads fromOptions(Options options) {
    int f = options.integer("hash-balance-factor", 0, 0, 100_000);
    if (f != 0 && f <= 100) {
      throw options.bad("hash-balance-factor", Integer.toString(f), "must be 0 (off) or above 100 (percent of the average load)");
    }
    return new BoundedLoads(f);
  }

  boolean enabled() {
    return factorPercent > 0;
  }

  int factorPercent() {
    return factorPercent;
  }

  static long load(BackendLoad l) {
    return l.active() + l.inactive() + l.pending();
  }

  /** Whether backend {@code i} of {@code pool} may take one more flow at {@code now}. */
  boolean admits(Pool<?> pool, int i, long now) {
    long sum = total(pool, now);
    double cap = (sum + 1.0) * factorPercent / 100.0 * pool.weights[i] / pool.weightSum;
    return load(pool.loads[i]) < cap;
  }

  private long total(Pool<?> pool, long now) {
    if (summedPool == pool && now - stamp < REFRESH_NANOS) {
      return total;
    }
    long sum = 0;
    BackendLoad[] loads = pool.loads;
    for (BackendLoad l : loads) {
      sum += load(l);
    }
    total = sum;
    stamp = now;
    summedPool = pool;
    return sum;
  }
}
