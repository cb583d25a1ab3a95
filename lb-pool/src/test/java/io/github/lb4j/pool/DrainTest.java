package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Drain and maintenance while requests are in flight: no new ones, the old ones end, DRAINED once. */
class DrainTest {

  @Test
  void drain_stopsNewRequests_letsInFlightOnesEnd_andSaysDrainedAfterTheLast() {
    Fixtures.Recorder events = new Fixtures.Recorder();
    try (BackendPool pool = BackendPool.builder().listener(events).backends(Fixtures.backends(3)).build()) {
      List<Lease> onB1 = new ArrayList<>();
      for (int i = 0; onB1.size() < 3; i++) {
        Lease l = pool.pick(i);
        if (l.backendId().equals("b1")) {
          onB1.add(l);
        } else {
          l.complete(Outcome.SUCCESS, 0);
        }
      }
      pool.setAdminState("b1", AdminState.DRAINING).join();
      BackendState s = pool.backend("b1");
      assertThat(s.admin()).isEqualTo(AdminState.DRAINING);
      assertThat(s.serving()).isFalse();
      assertThat(s.weight()).isZero();
      for (int i = 0; i < 300; i++) {
        Lease l = pool.pick(i);
        assertThat(l.backendId()).isNotEqualTo("b1");
        l.complete(Outcome.SUCCESS, 0);
      }
      assertThat(pool.sessions().of("b1").pending()).isEqualTo(3);
      onB1.get(0).complete(Outcome.SUCCESS, 0);
      onB1.get(1).complete(Outcome.FAILURE, 0);
      assertThat(events.causes("b1")).doesNotContain(Transition.Cause.DRAINED);
      onB1.get(2).complete(Outcome.SUCCESS, 0);
      pool.flush().join();
      assertThat(events.causes("b1")).containsExactly(Transition.Cause.ADDED, Transition.Cause.ADMIN_STATE,
          Transition.Cause.DRAINED);
      assertThat(pool.sessions().of("b1").pending()).isZero();
      assertThat(pool.sessions().of("b1").successes()).isEqualTo(2);
      assertThat(pool.sessions().of("b1").failures()).isEqualTo(1);
      assertThat(pool.sessions().of("b1").unmatchedCloses()).isZero();

      pool.setAdminState("b1", AdminState.ACTIVE).join();
      int onB1Again = 0;
      for (int i = 0; i < 30; i++) {
        Lease l = pool.pick(i);
        onB1Again += l.backendId().equals("b1") ? 1 : 0;
        l.complete(Outcome.SUCCESS, 0);
      }
      assertThat(onB1Again).isEqualTo(10);
    }
  }

  @Test
  void drainingAnIdleBackend_saysDrainedAtOnce() {
    Fixtures.Recorder events = new Fixtures.Recorder();
    try (BackendPool pool = BackendPool.builder().listener(events).backends(Fixtures.backends(2)).build()) {
      pool.setAdminState("b0", AdminState.MAINTENANCE).join();
      assertThat(events.causes("b0")).containsExactly(Transition.Cause.ADDED, Transition.Cause.ADMIN_STATE,
          Transition.Cause.DRAINED);
      Transition drained = events.of("b0").get(2);
      assertThat(drained.detail()).contains("MAINTENANCE");
    }
  }

  @Test
  void removal_whileInFlight_endsOnTheSameCounters() {
    DynamicMembership members = new DynamicMembership(Fixtures.backends(2));
    Fixtures.Recorder events = new Fixtures.Recorder();
    try (BackendPool pool = BackendPool.builder().listener(events).membership(members).build()) {
      Lease onB0;
      do {
        onB0 = pool.pick(1L);
      } while (!onB0.backendId().equals("b0") && onB0.complete(Outcome.SUCCESS, 0));
      members.remove("b0");
      assertThat(pool.backend("b0")).isNull();
      for (int i = 0; i < 20; i++) {
        Lease l = pool.pick(i);
        assertThat(l.backendId()).isEqualTo("b1");
        l.complete(Outcome.SUCCESS, 0);
      }
      assertThat(events.causes("b0")).containsExactly(Transition.Cause.ADDED, Transition.Cause.REMOVED);
      assertThat(onB0.backend().id()).isEqualTo("b0");
      onB0.complete(Outcome.SUCCESS, 0);
      pool.flush().join();
      assertThat(events.causes("b0")).containsExactly(Transition.Cause.ADDED, Transition.Cause.REMOVED,
          Transition.Cause.DRAINED);
      assertThat(pool.sessions().of("b0").pending()).isZero();
      assertThat(pool.stats().activeRequests()).isZero();
      // Back again: the same counters, by id.
      members.put(Fixtures.backend("b0", 10));
      assertThat(pool.backend("b0").serving()).isTrue();
      assertThat(pool.sessions().of("b0").successes()).isEqualTo(1);
    }
  }

  @Test
  void weightZero_drainsLikeIpvs_andClearingItRestoresTheMembershipsWeight() {
    try (BackendPool pool = BackendPool.builder().backends(Fixtures.backends(2)).build()) {
      pool.setWeight("b0", 0).join();
      assertThat(pool.backend("b0").serving()).isFalse();
      for (int i = 0; i < 10; i++) {
        Lease l = pool.pick(i);
        assertThat(l.backendId()).isEqualTo("b1");
        l.complete(Outcome.SUCCESS, 0);
      }
      pool.clearWeight("b0").join();
      assertThat(pool.backend("b0").weight()).isEqualTo(1);
      assertThat(pool.backend("b0").serving()).isTrue();
    }
  }
}
