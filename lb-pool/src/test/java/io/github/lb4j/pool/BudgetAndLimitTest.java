package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.ImmutableFlowKey;
import io.github.lb4j.api.Protocol;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Retry budget, per-backend limits and the pool-wide circuit breaker, counted exactly. */
class BudgetAndLimitTest {

  @Test
  void retryBudget_allowsTheMinimumWhenQuiet() {
    try (BackendPool pool = BackendPool.builder().backends(Fixtures.backends(5)).build()) {
      Lease first = pool.pick(1L);
      List<Backend> tried = List.of(first.backend());
      List<Lease> retries = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Lease r = pool.pick(1L, tried);
        assertThat(r.status()).isEqualTo(PickStatus.OK);
        assertThat(r.isRetry()).isTrue();
        retries.add(r);
      }
      // 4 requests in flight: 20 % is 0.8, so Envoy's minimum of 3 concurrent retries rules.
      assertThat(pool.pick(1L, tried).status()).isEqualTo(PickStatus.BUDGET);
      assertThat(pool.stats().budgetExhausted()).isEqualTo(1);
      assertThat(pool.stats().activeRetries()).isEqualTo(3);
      retries.get(0).complete(Outcome.SUCCESS, 0);
      Lease again = pool.pick(1L, tried);
      assertThat(again.status()).isEqualTo(PickStatus.OK);
      again.complete(Outcome.SUCCESS, 0);
      retries.get(1).complete(Outcome.SUCCESS, 0);
      retries.get(2).complete(Outcome.SUCCESS, 0);
      first.complete(Outcome.SUCCESS, 0);
      assertThat(pool.stats().activeRetries()).isZero();
      assertThat(pool.stats().retries()).isEqualTo(4);
      // A pick with an empty exclusion list is a first try, outside the budget.
      Lease plain = pool.pick(1L, List.of());
      assertThat(plain.isRetry()).isFalse();
      plain.complete(Outcome.SUCCESS, 0);
    }
  }

  @Test
  void retryBudget_isAShareOfWhatIsInFlight_withOrWithoutACircuitBreaker() {
    for (int limit : new int[] {1024, Integer.MAX_VALUE}) {
      retryBudget_isAShareOfWhatIsInFlight(limit);
    }
  }

  private void retryBudget_isAShareOfWhatIsInFlight(int breaker) {
    try (BackendPool pool = BackendPool.builder().circuitBreaker(breaker, breaker).backends(Fixtures.backends(10)).build()) {
      List<Lease> inFlight = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        inFlight.add(pool.pick(i));
      }
      List<Backend> tried = List.of(inFlight.get(0).backend());
      int granted = 0;
      while (pool.pick(7L, tried).status() == PickStatus.OK) {
        granted++;
      }
      // 20 % of 100, then of the retries added in flight: 100 -> 20, 120 -> 24, 124 -> 24.
      assertThat(granted).isEqualTo(24);
      assertThat(pool.stats().activeRetries()).isEqualTo(24);
      assertThat(pool.stats().activeRequests()).isEqualTo(124);
    }
  }

  @Test
  void perBackendLimit_skipsFullBackends_andSaysLimitWhenAllAreFull() {
    try (BackendPool pool = BackendPool.builder().scheduler("maglev").maxRequestsPerBackend(2)
        .backends(Fixtures.backends(3)).build()) {
      Map<String, Integer> held = new HashMap<>();
      List<Lease> leases = new ArrayList<>();
      for (long key = 0; key < 6; key++) {
        Lease l = pool.pick(key * 7919);
        assertThat(l.status()).isEqualTo(PickStatus.OK);
        held.merge(l.backendId(), 1, Integer::sum);
        leases.add(l);
      }
      assertThat(held).containsOnly(Map.entry("b0", 2), Map.entry("b1", 2), Map.entry("b2", 2));
      Lease refused = pool.pick(99L);
      assertThat(refused.status()).isEqualTo(PickStatus.LIMIT);
      assertThat(pool.stats().limited()).isEqualTo(1);
      assertThat(pool.stats().activeRequests()).isEqualTo(6);
      Lease freed = leases.get(0);
      freed.complete(Outcome.SUCCESS, 0);
      Lease next = pool.pick(12345L);
      assertThat(next.backendId()).isEqualTo(freed.backendId());
    }
  }

  @Test
  void limitAndExclusion_together_sayLimit() {
    try (BackendPool pool = BackendPool.builder().maxRequestsPerBackend(1).backends(Fixtures.backends(2)).build()) {
      Lease a = pool.pick(1L);
      Lease b = pool.pick(2L);
      assertThat(a.backendId()).isNotEqualTo(b.backendId());
      // The one not excluded is full: the reason is the limit, which may clear, not ALL_EXCLUDED.
      assertThat(pool.pick(3L, List.of(a.backend())).status()).isEqualTo(PickStatus.LIMIT);
      b.complete(Outcome.SUCCESS, 0);
      Lease retry = pool.pick(3L, List.of(a.backend()));
      assertThat(retry.backendId()).isEqualTo(b.backendId());
      assertThat(pool.pick(4L, List.of(a.backend(), b.backend())).status()).isEqualTo(PickStatus.ALL_EXCLUDED);
    }
  }

  @Test
  void circuitBreaker_opensAtTheLimit_andClosesAsLeasesEnd() {
    for (int stripes : new int[] {1, 2, 8}) {
      try (BackendPool pool = BackendPool.builder().stripes(stripes).circuitBreaker(10, 3)
          .backends(Fixtures.backends(4)).build()) {
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          Lease l = pool.pick(i);
          assertThat(l.status()).as("stripes %d, request %d", stripes, i).isEqualTo(PickStatus.OK);
          leases.add(l);
        }
        assertThat(pool.pick(10L).status()).isEqualTo(PickStatus.CIRCUIT_OPEN);
        assertThat(pool.stats().circuitOpen()).isEqualTo(1);
        leases.remove(0).complete(Outcome.SUCCESS, 0);
        Lease again = pool.pick(11L);
        assertThat(again.status()).isEqualTo(PickStatus.OK);
        leases.add(again);
        assertThat(pool.pick(12L).status()).isEqualTo(PickStatus.CIRCUIT_OPEN);
        leases.forEach(l -> l.complete(Outcome.SUCCESS, 0));
        assertThat(pool.stats().activeRequests()).isZero();
        // The breaker counts requests and connections apart.
        List<Lease> connections = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          connections.add(pool.connect(flow(i)));
        }
        assertThat(pool.connect(flow(3)).status()).isEqualTo(PickStatus.CIRCUIT_OPEN);
        assertThat(pool.pick(13L).status()).isEqualTo(PickStatus.OK);
        connections.forEach(c -> c.complete(Outcome.SUCCESS, 0));
        assertThat(pool.stats().activeConnections()).isZero();
      }
    }
  }

  @Test
  void connectionLeases_countSessionsInactiveThenActive_andBoundPerBackend() {
    try (BackendPool pool = BackendPool.builder().clock(new ManualClock()).maxConnectionsPerBackend(1)
        .backends(Fixtures.backends(2)).build()) {
      Lease a = pool.connect(flow(1));
      Lease b = pool.connect(flow(2));
      assertThat(a.isConnection()).isTrue();
      assertThat(a.backendId()).isNotEqualTo(b.backendId());
      assertThat(pool.connect(flow(3)).status()).isEqualTo(PickStatus.LIMIT);
      assertThat(pool.sessions().of(a.backendId()).inactive()).isEqualTo(1);
      assertThat(a.established(2_000_000)).isTrue();
      assertThat(a.established(2_000_000)).isFalse();
      assertThat(pool.sessions().of(a.backendId()).active()).isEqualTo(1);
      assertThat(pool.sessions().of(a.backendId()).inactive()).isZero();
      assertThat(pool.sessions().of(a.backendId()).latencyCostNanos()).isEqualTo(2_000_000.0);
      assertThat(a.complete(Outcome.SUCCESS, 0)).isTrue();
      assertThat(a.complete(Outcome.SUCCESS, 0)).isFalse();
      assertThat(pool.stats().doubleCompletions()).isEqualTo(1);
      assertThat(b.complete(Outcome.FAILURE, 0)).isTrue();
      for (String id : List.of("b0", "b1")) {
        assertThat(pool.sessions().of(id).active()).isZero();
        assertThat(pool.sessions().of(id).inactive()).isZero();
        assertThat(pool.sessions().of(id).unmatchedCloses()).isZero();
      }
      assertThat(pool.sessions().of(a.backendId()).totalSessions()).isEqualTo(1);
      Lease retry = pool.connect(flow(1), List.of(a.backend()));
      assertThat(retry.backendId()).isEqualTo(b.backendId());
      assertThat(retry.isRetry()).isTrue();
      retry.complete(Outcome.CANCELLED, 0);
      assertThat(pool.stats().activeRetries()).isZero();
    }
  }

  static ImmutableFlowKey flow(int i) {
    try {
      return ImmutableFlowKey.of(Protocol.TCP, InetAddress.getByName("198.51.100." + (1 + i % 200)), 40_000 + i,
          InetAddress.getByName("203.0.113.1"), 443);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
