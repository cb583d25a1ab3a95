package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Schedulers;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every scheduler in the registry: a retry never gets an excluded backend back, finds the only
 * one left, says ALL_EXCLUDED when none is, and hashing schedulers answer a retry alike every time.
 */
class RetryExclusionTest {

  static Stream<String> everyScheduler() {
    assertThat(Schedulers.descriptions()).hasSizeGreaterThanOrEqualTo(19);
    return Schedulers.descriptions().keySet().stream();
  }

  private static BackendPool pool(String algorithm, int n) {
    // An unbounded budget: this test is about exclusion, BudgetAndLimitTest about the budget.
    return BackendPool.builder().scheduler(algorithm).seed(11).retryBudget(100, Integer.MAX_VALUE)
        .backends(Fixtures.backends(n)).build();
  }

  @ParameterizedTest
  @MethodSource("everyScheduler")
  void retry_neverReturnsAnExcludedBackend(String algorithm) {
    try (BackendPool pool = pool(algorithm, 6)) {
      for (long key = 0; key < 300; key++) {
        List<Backend> tried = new ArrayList<>();
        for (int attempt = 0; attempt < 6; attempt++) {
          Lease lease = attempt == 0 ? pool.pick(key) : pool.pick(key, tried);
          assertThat(lease.status()).as("%s key %d attempt %d", algorithm, key, attempt).isEqualTo(PickStatus.OK);
          assertThat(lease.isRetry()).isEqualTo(attempt > 0);
          for (Backend t : tried) {
            assertThat(lease.backendId()).as("%s key %d attempt %d", algorithm, key, attempt).isNotEqualTo(t.id());
          }
          tried.add(lease.backend());
          lease.complete(Outcome.FAILURE, 0);
        }
        Lease none = pool.pick(key, tried);
        assertThat(none.status()).as(algorithm).isEqualTo(PickStatus.ALL_EXCLUDED);
      }
      assertThat(pool.stats().activeRequests()).isZero();
      assertThat(pool.stats().activeRetries()).isZero();
    }
  }

  @ParameterizedTest
  @MethodSource("everyScheduler")
  void retry_findsTheOnlyBackendLeft(String algorithm) {
    try (BackendPool pool = pool(algorithm, 5)) {
      List<Backend> all = Fixtures.backends(5);
      for (int keep = 0; keep < 5; keep++) {
        List<Backend> excluded = new ArrayList<>(all);
        Backend left = excluded.remove(keep);
        for (long key = 0; key < 20; key++) {
          Lease lease = pool.pick(key, excluded);
          assertThat(lease.backendId()).as(algorithm).isEqualTo(left.id());
          lease.complete(Outcome.SUCCESS, 0);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("everyScheduler")
  void hashingSchedulers_answerARetryAlikeEveryTime(String algorithm) {
    try (BackendPool pool = pool(algorithm, 7); BackendPool twin = pool(algorithm, 7)) {
      for (long key = 0; key < 200; key++) {
        Lease first = pool.pick(key);
        Lease again = pool.pick(key);
        boolean hashing = first.backendId().equals(again.backendId());
        first.complete(Outcome.SUCCESS, 0);
        again.complete(Outcome.SUCCESS, 0);
        if (!hashing || !isHashing(algorithm)) {
          continue;
        }
        List<Backend> excluded = List.of(first.backend());
        Lease r1 = pool.pick(key, excluded);
        Lease r2 = pool.pick(key, excluded);
        Lease r3 = twin.pick(key, excluded);
        assertThat(r2.backendId()).as("%s key %d", algorithm, key).isEqualTo(r1.backendId());
        assertThat(r3.backendId()).as("%s key %d, other pool, same seed", algorithm, key).isEqualTo(r1.backendId());
        r1.complete(Outcome.SUCCESS, 0);
        r2.complete(Outcome.SUCCESS, 0);
        r3.complete(Outcome.SUCCESS, 0);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("everyScheduler")
  void retriesOfHashedKeys_spreadOverTheOtherBackends(String algorithm) {
    if (!isHashing(algorithm)) {
      return; // Load-aware ones send a retry to the least loaded other backend, which is right.
    }
    try (BackendPool pool = pool(algorithm, 8)) {
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (long key = 0; key < 400; key++) {
        Lease first = pool.pick(key);
        Lease retry = pool.pick(key, List.of(first.backend()));
        seen.add(retry.backendId());
        first.complete(Outcome.SUCCESS, 0);
        retry.complete(Outcome.SUCCESS, 0);
      }
      // Keys that failed on one backend do not all pile onto the same second one.
      assertThat(seen).as(algorithm).hasSizeGreaterThan(3);
    }
  }

  private static boolean isHashing(String algorithm) {
    return List.of("source-hash", "four-tuple-hash", "maglev", "ring-hash", "jump", "rendezvous").contains(algorithm);
  }
}
