package io.github.lb4j.pool;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Envoy's retry budget ({@code envoy.config.cluster.v3.CircuitBreakers.Thresholds.RetryBudget}): at
 * most {@code max(minRetryConcurrency, budgetPercent / 100 * active)} retries in flight, where active
 * is every request and connection in flight (retries included). Envoy's defaults: 20 % and 3. A
 * low-traffic pool can always retry a few; a pool in trouble cannot multiply its load by retrying
 * everything.
 *
 * <p>Retries are rare, so one shared counter serves. Any thread; lock-free; never allocates.
 */
final class RetryBudget {

  private final double percent;
  private final int minConcurrency;
  private final AtomicInteger active = new AtomicInteger();

  RetryBudget(double percent, int minConcurrency) {
    this.percent = percent;
    this.minConcurrency = minConcurrency;
  }

  /** Admits one more retry when fewer than the budget allows are in flight. */
  boolean tryAcquire(long activeRequests) {
    long cap = Math.max(minConcurrency, (long) (percent / 100.0 * activeRequests));
    for (;;) {
      int a = active.get();
      if (a >= cap) {
        return false;
      }
      if (active.compareAndSet(a, a + 1)) {
        return true;
      }
    }
  }

  /** Ends one retry; never below zero (a retry lease completed twice must not free another's share). */
  void release() {
    for (;;) {
      int a = active.get();
      if (a <= 0 || active.compareAndSet(a, a - 1)) {
        return;
      }
    }
  }

  int active() {
    return active.get();
  }
}
