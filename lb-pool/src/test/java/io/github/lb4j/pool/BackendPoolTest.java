package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.ImmutableFlowKey;
import io.github.lb4j.api.Protocol;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendPoolTest {

  @Test
  void pick_grantsALeaseAndCompleteEndsIt() {
    try (BackendPool pool = BackendPool.builder().backends(Fixtures.backends(3)).build()) {
      Lease lease = pool.pick(42L);
      assertThat(lease.isGranted()).isTrue();
      assertThat(lease.status()).isEqualTo(PickStatus.OK);
      assertThat(lease.isRetry()).isFalse();
      String id = lease.backendId();
      assertThat(lease.backend().id()).isEqualTo(id);
      assertThat(pool.sessions().of(id).pending()).isEqualTo(1);
      assertThat(pool.stats().activeRequests()).isEqualTo(1);
      assertThat(lease.complete(Outcome.SUCCESS, 1_000)).isTrue();
      assertThat(pool.sessions().of(id).pending()).isZero();
      assertThat(pool.sessions().of(id).successes()).isEqualTo(1);
      assertThat(pool.stats().activeRequests()).isZero();
    }
  }

  @Test
  void roundRobin_visitsEveryBackendInTurnOnOneThread() {
    try (BackendPool pool = BackendPool.builder().backends(Fixtures.backends(4)).build()) {
      Map<String, Integer> counts = new HashMap<>();
      for (int i = 0; i < 400; i++) {
        Lease l = pool.pick(i);
        counts.merge(l.backendId(), 1, Integer::sum);
        l.complete(Outcome.SUCCESS, 0);
      }
      assertThat(counts).containsOnlyKeys("b0", "b1", "b2", "b3").allSatisfy((k, v) -> assertThat(v).isEqualTo(100));
    }
  }

  @Test
  void hashingScheduler_sticksEqualKeysToOneBackend_andPoolsWithTheSameSeedAgree() {
    try (BackendPool a = BackendPool.builder().scheduler("maglev").seed(7).backends(Fixtures.backends(5)).build();
        BackendPool b = BackendPool.builder().scheduler("maglev").seed(7).backends(Fixtures.backends(5)).build()) {
      Map<String, Integer> spread = new HashMap<>();
      for (long key = 0; key < 2000; key++) {
        Lease first = a.pick(key);
        Lease again = a.pick(key);
        Lease other = b.pick(key);
        assertThat(again.backendId()).isEqualTo(first.backendId());
        assertThat(other.backendId()).isEqualTo(first.backendId());
        spread.merge(first.backendId(), 1, Integer::sum);
        first.complete(Outcome.SUCCESS, 0);
        again.complete(Outcome.SUCCESS, 0);
        other.complete(Outcome.SUCCESS, 0);
      }
      assertThat(spread).hasSize(5).allSatisfy((k, v) -> assertThat(v).isBetween(300, 500));
    }
  }

  @Test
  void flowPicks_hashTheFlow() throws Exception {
    try (BackendPool pool = BackendPool.builder().scheduler("source-hash").backends(Fixtures.backends(5)).build()) {
      ImmutableFlowKey flow = ImmutableFlowKey.of(Protocol.TCP, InetAddress.getByName("198.51.100.7"), 40000,
          InetAddress.getByName("203.0.113.1"), 443);
      ImmutableFlowKey sameClient = ImmutableFlowKey.of(Protocol.TCP, InetAddress.getByName("198.51.100.7"), 40001,
          InetAddress.getByName("203.0.113.1"), 443);
      Lease a = pool.pick(flow);
      Lease b = pool.pick(sameClient);
      assertThat(b.backendId()).isEqualTo(a.backendId());
      assertThat(pool.scheduler().select(flow).id()).isEqualTo(a.backendId());
      a.complete(Outcome.SUCCESS, 0);
      b.complete(Outcome.SUCCESS, 0);
    }
  }

  @Test
  void theSchedulerView_selectsButRefusesUpdates() {
    try (BackendPool pool = BackendPool.builder().scheduler("power-of-two-choices").backends(Fixtures.backends(3)).build()) {
      assertThat(pool.scheduler().name()).isEqualTo("power-of-two-choices");
      assertThat(pool.scheduler().backends()).hasSize(3);
      assertThat(pool.scheduler().sessions()).isSameAs(pool.sessions());
      assertThatThrownBy(() -> pool.scheduler().update(List.of())).isInstanceOf(UnsupportedOperationException.class)
          .hasMessageContaining("MembershipSource");
      assertThat(pool.scheduler().backends()).hasSize(3);
    }
  }

  @Test
  void refusals_areValuesWithAReason() {
    try (BackendPool pool = BackendPool.builder().backends(List.of()).build()) {
      Lease lease = pool.pick(1L);
      assertThat(lease.isGranted()).isFalse();
      assertThat(lease.status()).isEqualTo(PickStatus.NO_BACKEND);
      assertThat(lease.complete(Outcome.SUCCESS, 0)).isFalse();
      assertThatThrownBy(lease::backend).isInstanceOf(IllegalStateException.class).hasMessageContaining("NO_BACKEND");
      assertThat(pool.pick(2L)).isSameAs(lease);
      assertThat(pool.stats().noBackend()).isEqualTo(2);
      assertThat(pool.stats().activeRequests()).isZero();
    }
  }

  @Test
  void closedPool_answersClosed_andLeasesStillComplete() {
    BackendPool pool = BackendPool.builder().backends(Fixtures.backends(2)).build();
    Lease lease = pool.pick(1L);
    pool.close();
    pool.close();
    assertThat(pool.isClosed()).isTrue();
    assertThat(pool.pick(1L).status()).isEqualTo(PickStatus.CLOSED);
    assertThat(lease.complete(Outcome.SUCCESS, 0)).isTrue();
    assertThat(pool.sessions().of(lease.backendId()).pending()).isZero();
    assertThatThrownBy(() -> pool.setAdminState("b0", AdminState.DRAINING)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void metadata_isCarriedThroughThePool() {
    Backend zoned = Fixtures.backend("z", 50).withZone("eu-west-1a").withPriority(1).withLabel("canary", "true");
    try (BackendPool pool = BackendPool.builder().backends(zoned).build()) {
      BackendState s = pool.backend("z");
      assertThat(s).isNotNull();
      assertThat(s.backend().zone()).isEqualTo("eu-west-1a");
      assertThat(s.backend().priority()).isEqualTo(1);
      assertThat(s.backend().labels()).containsEntry("canary", "true");
      assertThat(pool.scheduler().backends().get(0).zone()).isEqualTo("eu-west-1a");
      Lease lease = pool.pick(3L);
      assertThat(lease.backend().label("canary")).isEqualTo("true");
      lease.complete(Outcome.SUCCESS, 0);
    }
  }

  @Test
  void withoutHealthChecks_everyBackendIsUpAndServing() {
    try (BackendPool pool = BackendPool.builder().backends(Fixtures.backends(2)).build()) {
      assertThat(pool.backends()).hasSize(2).allSatisfy(s -> {
        assertThat(s.checked()).isEqualTo(HealthState.UP);
        assertThat(s.reported()).isEqualTo(HealthState.UP);
        assertThat(s.admin()).isEqualTo(AdminState.ACTIVE);
        assertThat(s.serving()).isTrue();
        assertThat(s.weight()).isEqualTo(1);
      });
    }
  }

  @Test
  void builder_rejectsWhatCannotWork() {
    assertThatThrownBy(() -> BackendPool.builder().build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("membership");
    assertThatThrownBy(() -> BackendPool.builder().scheduler("no-such").backends(Fixtures.backends(1)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no-such").hasMessageContaining("round-robin");
    assertThatThrownBy(() -> BackendPool.builder().backends(Fixtures.backend("x", 1), Fixtures.backend("x", 2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'");
    assertThatThrownBy(() -> BackendPool.builder().stripes(3)).hasMessageContaining("power of two");
    assertThatThrownBy(() -> BackendPool.builder().circuitBreaker(0, 5)).hasMessageContaining("maxRequests");
    assertThatThrownBy(() -> BackendPool.builder().retryBudget(120, 3)).hasMessageContaining("budgetPercent");
    assertThatThrownBy(() -> BackendPool.builder().maxRequestsPerBackend(0)).hasMessageContaining("maxRequestsPerBackend");
  }

  @Test
  void controlCalls_nameUnknownIdsAndBadValues() {
    try (BackendPool pool = BackendPool.builder().backends(Fixtures.backends(2)).build()) {
      assertThatThrownBy(() -> pool.setAdminState("nope", AdminState.DRAINING))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope").hasMessageContaining("b0, b1");
      assertThatThrownBy(() -> pool.setWeight("b0", -1)).hasMessageContaining("-1");
      assertThatThrownBy(() -> pool.setWeight("b0", Backend.MAX_WEIGHT + 1)).hasMessageContaining("65536");
      assertThatThrownBy(() -> pool.reportHealth("nope", HealthState.DOWN, "x")).hasMessageContaining("nope");
    }
  }

  @Test
  void requestLeases_areSharedTokens_unlessTracked() {
    try (BackendPool shared = BackendPool.builder().stripes(1).backends(Fixtures.backends(1)).build();
        BackendPool tracked = BackendPool.builder().stripes(1).leaseTracking(true).backends(Fixtures.backends(1)).build()) {
      Lease a = shared.pick(1L);
      Lease b = shared.pick(2L);
      assertThat(a).isSameAs(b);
      assertThat(a.complete(Outcome.SUCCESS, 0)).isTrue();
      assertThat(b.complete(Outcome.SUCCESS, 0)).isTrue();
      // A third completion has no request left to end: refused and counted, nothing goes below zero.
      assertThat(a.complete(Outcome.SUCCESS, 0)).isFalse();
      assertThat(shared.stats().doubleCompletions()).isEqualTo(1);
      assertThat(shared.sessions().of("b0").pending()).isZero();
      assertThat(shared.sessions().of("b0").unmatchedCloses()).isEqualTo(1);
      assertThat(shared.stats().activeRequests()).isZero();

      Lease c = tracked.pick(1L);
      Lease d = tracked.pick(2L);
      assertThat(c).isNotSameAs(d);
      assertThat(c.complete(Outcome.SUCCESS, 0)).isTrue();
      assertThat(c.complete(Outcome.SUCCESS, 0)).isFalse();
      assertThat(tracked.stats().doubleCompletions()).isEqualTo(1);
      assertThat(tracked.sessions().of("b0").pending()).isEqualTo(1);
      assertThat(d.complete(Outcome.FAILURE, 0)).isTrue();
      assertThat(tracked.sessions().of("b0").pending()).isZero();
      assertThat(tracked.sessions().of("b0").failures()).isEqualTo(1);
    }
  }

  @Test
  void cancelledRequests_countNeitherForNorAgainst() {
    try (BackendPool pool = BackendPool.builder().backends(Fixtures.backends(1)).build()) {
      Lease l = pool.pick(1L);
      l.complete(Outcome.CANCELLED, 5);
      assertThat(pool.sessions().of("b0").pending()).isZero();
      assertThat(pool.sessions().of("b0").successes()).isZero();
      assertThat(pool.sessions().of("b0").failures()).isZero();
    }
  }

  @Test
  void latency_feedsThePeakEwmaWhenTracked() {
    ManualClock clock = new ManualClock();
    try (BackendPool ewma = BackendPool.builder().scheduler("peak-ewma").clock(clock).backends(Fixtures.backends(1)).build();
        BackendPool plain = BackendPool.builder().clock(clock).backends(Fixtures.backends(1)).build();
        BackendPool forced = BackendPool.builder().clock(clock).latencyTracking(true).backends(Fixtures.backends(1)).build()) {
      for (BackendPool p : List.of(ewma, plain, forced)) {
        p.pick(1L).complete(Outcome.SUCCESS, 5_000_000);
      }
      assertThat(ewma.sessions().of("b0").latencyCostNanos()).isEqualTo(5_000_000.0);
      assertThat(forced.sessions().of("b0").latencyCostNanos()).isEqualTo(5_000_000.0);
      assertThat(plain.sessions().of("b0").latencyCostNanos()).isZero();
    }
  }

  @Test
  void peakEwma_sendsNewRequestsAwayFromTheSlowBackend() {
    ManualClock clock = new ManualClock();
    try (BackendPool pool = BackendPool.builder().scheduler("peak-ewma").stripes(1).clock(clock)
        .backends(Fixtures.backends(2)).build()) {
      // Ties go to b0; make b0 the slow one (a 50 ms peak counts at once) and b1 fast.
      Lease fast = pool.pick(1L, List.of(Fixtures.backend("b0", 10)));
      assertThat(fast.backendId()).isEqualTo("b1");
      fast.complete(Outcome.SUCCESS, 1_000_000);
      Lease slow = pool.pick(1L, List.of(Fixtures.backend("b1", 11)));
      assertThat(slow.backendId()).isEqualTo("b0");
      slow.complete(Outcome.SUCCESS, 50_000_000);
      Map<String, Integer> counts = new HashMap<>();
      for (int i = 0; i < 200; i++) {
        Lease next = pool.pick(i);
        counts.merge(next.backendId(), 1, Integer::sum);
        next.complete(Outcome.SUCCESS, next.backendId().equals("b0") ? 50_000_000 : 1_000_000);
      }
      assertThat(counts).containsOnly(Map.entry("b1", 200));
    }
  }
}
