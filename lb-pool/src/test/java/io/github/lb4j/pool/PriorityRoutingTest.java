package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.NoBackendPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Priority levels through the pool: loads measured over deterministic keys of a hashing scheduler. */
class PriorityRoutingTest {

  static final int PICKS = 100_000;

  /** n backends at priority 0 (p0-i) and n at priority 1 (p1-i). */
  static List<Backend> twoLevels(int n) {
    List<Backend> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Fixtures.backend("p0-" + i, 10 + i));
      out.add(Fixtures.backend("p1-" + i, 100 + i).withPriority(1));
    }
    return out;
  }

  /** Share of picks per id prefix before the last '-', in percent. */
  static Map<String, Double> shares(BackendPool pool) {
    Map<String, Integer> counts = new TreeMap<>();
    for (long k = 0; k < PICKS; k++) {
      Lease l = pool.pick(k);
      if (!l.isGranted()) {
        counts.merge(l.status().name(), 1, Integer::sum);
        continue;
      }
      String id = l.backendId();
      counts.merge(id.substring(0, id.lastIndexOf('-')), 1, Integer::sum);
      l.complete(Outcome.SUCCESS, 0);
    }
    Map<String, Double> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, 100.0 * v / PICKS));
    return out;
  }

  private static void down(BackendPool pool, String... ids) {
    for (String id : ids) {
      pool.reportHealth(id, HealthState.DOWN, "test").join();
    }
  }

  @Test
  void healthyFirstLevel_takesEverything_evenAt72Percent() {
    for (String scheduler : List.of("maglev", "round-robin", "least-request")) {
      try (BackendPool pool = BackendPool.builder().scheduler(scheduler).backends(twoLevels(25)).build()) {
        assertThat(shares(pool)).as(scheduler).containsOnlyKeys("p0");
        down(pool, "p0-0", "p0-1", "p0-2", "p0-3", "p0-4", "p0-5", "p0-6"); // 18 of 25 = 72 %: 100.8 -> 100
        assertThat(shares(pool)).as(scheduler).containsOnlyKeys("p0");
      }
    }
  }

  @Test
  void unhealthyFirstLevel_spillsHealthTimesFactor() {
    try (BackendPool pool = BackendPool.builder().scheduler("maglev").backends(twoLevels(10)).build()) {
      down(pool, "p0-0", "p0-1", "p0-2", "p0-3"); // 6 of 10 healthy: 1.4 x 60 = 84 %
      Map<String, Double> s = shares(pool);
      assertThat(s.get("p0")).isCloseTo(84.0, org.assertj.core.data.Offset.offset(1.0));
      assertThat(s.get("p1")).isCloseTo(16.0, org.assertj.core.data.Offset.offset(1.0));
      pool.reportHealth("p0-0", HealthState.UP, "back").join();
      pool.reportHealth("p0-1", HealthState.UP, "back").join(); // 8 of 10: 112 -> 100
      assertThat(shares(pool)).containsOnlyKeys("p0");
    }
  }

  @Test
  void customFactor_andEqualKeysStayTogether() {
    try (BackendPool pool = BackendPool.builder().scheduler("ring-hash").overprovisioningFactor(1.0)
        .backends(twoLevels(10)).build()) {
      down(pool, "p0-0", "p0-1", "p0-2", "p0-3", "p0-4"); // 50 % healthy x 1.0
      Map<String, Double> s = shares(pool);
      assertThat(s.get("p0")).isCloseTo(50.0, org.assertj.core.data.Offset.offset(1.0));
      for (long k = 0; k < 1000; k++) {
        Lease a = pool.pick(k);
        Lease b = pool.pick(k);
        assertThat(b.backendId()).isEqualTo(a.backendId());
        a.complete(Outcome.SUCCESS, 0);
        b.complete(Outcome.SUCCESS, 0);
      }
    }
  }

  @Test
  void bothLevelsDegradedOrDown_normalizeThenDegradedTakesTheRest() {
    try (BackendPool pool = BackendPool.builder().scheduler("maglev").backends(twoLevels(10)).build()) {
      // P0: 2 healthy, 8 down -> 28; P1: all down. Total 28 < 100: normalized, P0 takes it all.
      down(pool, "p0-2", "p0-3", "p0-4", "p0-5", "p0-6", "p0-7", "p0-8", "p0-9");
      for (int i = 0; i < 10; i++) {
        down(pool, "p1-" + i);
      }
      assertThat(shares(pool)).containsOnlyKeys("p0");
      // Mark the two healthy P0 hosts degraded, P1 back with 5 degraded: degraded-only loads.
      pool.setDegraded("p0-0", true, "x-envoy-degraded").join();
      pool.setDegraded("p0-1", true, "x-envoy-degraded").join();
      for (int i = 0; i < 5; i++) {
        pool.reportHealth("p1-" + i, HealthState.UP, "back").join();
        pool.setDegraded("p1-" + i, true, "slow").join();
      }
      assertThat(pool.isDegraded("p0-0")).isTrue();
      Map<String, Double> s = shares(pool); // degraded availabilities 28 and 70, total 98
      assertThat(s.get("p0")).isCloseTo(29.0, org.assertj.core.data.Offset.offset(1.0));
      assertThat(s.get("p1")).isCloseTo(71.0, org.assertj.core.data.Offset.offset(1.0));
    }
  }

  @Test
  void degradedHosts_takeOnlyWhatHealthyOnesCannot() {
    List<Backend> one = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      one.add(Fixtures.backend((i < 71 ? "h-" : "d-") + i, 1 + i));
    }
    try (BackendPool pool = BackendPool.builder().scheduler("maglev").backends(one).build()) {
      for (int i = 71; i < 100; i++) {
        pool.setDegraded("d-" + i, true, "").join();
      }
      Map<String, Double> s = shares(pool); // Envoy: 71/29/0 -> 99 % / 1 %
      assertThat(s.get("h")).isCloseTo(99.0, org.assertj.core.data.Offset.offset(0.3));
      assertThat(s.get("d")).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.3));
    }
  }

  @Test
  void everyLevelDown_failsClosed_orSpreadsByHostCountWhenOpen() {
    try (BackendPool closed = BackendPool.builder().scheduler("maglev").backends(twoLevels(2)).build();
        BackendPool open = BackendPool.builder().scheduler("maglev").noBackendPolicy(NoBackendPolicy.FAIL_OPEN)
            .backends(twoLevels(2)).build()) {
      for (BackendPool p : List.of(closed, open)) {
        down(p, "p0-0", "p0-1", "p1-0", "p1-1");
      }
      assertThat(closed.pick(1L).status()).isEqualTo(PickStatus.NO_BACKEND);
      Map<String, Double> s = shares(open);
      assertThat(s.get("p0")).isCloseTo(50.0, org.assertj.core.data.Offset.offset(1.0));
      assertThat(s.get("p1")).isCloseTo(50.0, org.assertj.core.data.Offset.offset(1.0));
    }
  }

  @Test
  void retriesWithExclusions_neverReturnAnExcludedBackend_acrossLevels() {
    try (BackendPool pool = BackendPool.builder().scheduler("maglev").retryBudget(100, Integer.MAX_VALUE)
        .backends(twoLevels(3)).build()) {
      Lease first = pool.pick(7L);
      Lease second = pool.pick(7L, List.of(first.backend()));
      Lease third = pool.pick(7L, List.of(first.backend(), second.backend()));
      assertThat(List.of(first.backendId(), second.backendId(), third.backendId())).doesNotHaveDuplicates()
          .allMatch(id -> id.startsWith("p0-"));
      // As Envoy without a retry priority plugin: a retry stays within the levels that take load.
      assertThat(pool.pick(7L, List.of(first.backend(), second.backend(), third.backend())).status())
          .isEqualTo(PickStatus.ALL_EXCLUDED);
    }
  }
}
