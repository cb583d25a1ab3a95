package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Active HTTP health checks against real servers on loopback, driven by a manual clock and timer:
 * each round of checks is run when the test says, and rise and fall are counted exactly.
 */
class HealthFlapTest {

  private static final Duration INTERVAL = Duration.ofSeconds(1);

  /** Runs the checks due now and waits until both servers were checked and both results applied. */
  private static void round(ManualTimer timer, LoopbackHttp... servers) {
    long[] before = new long[servers.length];
    for (int i = 0; i < servers.length; i++) {
      before[i] = servers[i].healthChecks.get();
    }
    timer.runUntil(() -> {
      for (int i = 0; i < servers.length; i++) {
        if (servers[i].healthChecks.get() <= before[i]) {
          return false;
        }
      }
      // Each applied result schedules that backend's next check one interval later.
      return timer.scheduledLater() == servers.length;
    });
  }

  private static void nextRound(ManualTimer timer, LoopbackHttp... servers) {
    timer.advance(INTERVAL);
    round(timer, servers);
  }

  @Test
  void flap_isCountedWithRiseAndFall() throws Exception {
    ManualClock clock = new ManualClock();
    ManualTimer timer = new ManualTimer(clock);
    Fixtures.Recorder events = new Fixtures.Recorder();
    try (LoopbackHttp s0 = new LoopbackHttp("s0");
        LoopbackHttp s1 = new LoopbackHttp("s1");
        BackendPool pool = BackendPool.builder().clock(clock).timer(timer).listener(events).healthyUntilChecked(false)
            .healthCheck(HealthCheckers.create("http", Map.of("path", "/health")),
                m -> m.interval(INTERVAL).timeout(Duration.ofSeconds(10)).rise(2).fall(3).spreadFirstCheck(false))
            .backends(s0.backend(), s1.backend()).build()) {
      assertThat(pool.backends()).allSatisfy(s -> assertThat(s.checked()).isEqualTo(HealthState.UNKNOWN));
      assertThat(pool.pick(1L).status()).isEqualTo(PickStatus.NO_BACKEND);

      round(timer, s0, s1);
      assertThat(pool.backend("s0").checked()).isEqualTo(HealthState.UNKNOWN);
      nextRound(timer, s0, s1);
      assertThat(pool.backends()).allSatisfy(s -> {
        assertThat(s.checked()).isEqualTo(HealthState.UP);
        assertThat(s.serving()).isTrue();
      });

      s1.healthStatus(503);
      nextRound(timer, s0, s1);
      nextRound(timer, s0, s1);
      assertThat(pool.backend("s1").checked()).isEqualTo(HealthState.UP);
      nextRound(timer, s0, s1);
      BackendState down = pool.backend("s1");
      assertThat(down.checked()).isEqualTo(HealthState.DOWN);
      assertThat(down.serving()).isFalse();
      assertThat(down.detail()).contains("503");
      for (int i = 0; i < 20; i++) {
        Lease l = pool.pick(i);
        assertThat(l.backendId()).isEqualTo("s0");
        l.complete(Outcome.SUCCESS, 0);
      }

      // A pass, a failure, then two passes: the failure resets the rise count.
      s1.healthStatus(200);
      nextRound(timer, s0, s1);
      s1.healthStatus(503);
      nextRound(timer, s0, s1);
      s1.healthStatus(200);
      nextRound(timer, s0, s1);
      assertThat(pool.backend("s1").checked()).isEqualTo(HealthState.DOWN);
      nextRound(timer, s0, s1);
      assertThat(pool.backend("s1").checked()).isEqualTo(HealthState.UP);
      assertThat(pool.backend("s1").serving()).isTrue();

      List<Transition> s1Events = events.of("s1");
      assertThat(s1Events).extracting(Transition::cause).containsExactly(Transition.Cause.ADDED,
          Transition.Cause.HEALTH_CHECK, Transition.Cause.HEALTH_CHECK, Transition.Cause.HEALTH_CHECK);
      assertThat(s1Events.get(1).before().checked()).isEqualTo(HealthState.UNKNOWN);
      assertThat(s1Events.get(1).after().checked()).isEqualTo(HealthState.UP);
      assertThat(s1Events.get(2).after().checked()).isEqualTo(HealthState.DOWN);
      assertThat(s1Events.get(2).detail()).contains("503");
      assertThat(s1Events.get(3).after().serving()).isTrue();
      assertThat(events.causes("s0")).containsExactly(Transition.Cause.ADDED, Transition.Cause.HEALTH_CHECK);
    }
  }

  @Test
  void maintenance_stopsTheChecks_andActivatingStartsThemAgainFromUnknown() throws Exception {
    ManualClock clock = new ManualClock();
    ManualTimer timer = new ManualTimer(clock);
    try (LoopbackHttp s0 = new LoopbackHttp("s0");
        BackendPool pool = BackendPool.builder().clock(clock).timer(timer)
            .healthCheck(HealthCheckers.create("http", Map.of("path", "/health")),
                m -> m.interval(INTERVAL).timeout(Duration.ofSeconds(10)).rise(1).fall(1).spreadFirstCheck(false))
            .backends(s0.backend()).build()) {
      round(timer, s0);
      assertThat(pool.backend("s0").checked()).isEqualTo(HealthState.UP);
      pool.setAdminState("s0", AdminState.MAINTENANCE).join();
      timer.advance(Duration.ofSeconds(10));
      long checks = s0.healthChecks.get();
      timer.advance(Duration.ofSeconds(10));
      assertThat(s0.healthChecks.get()).isEqualTo(checks);
      assertThat(pool.backend("s0").checked()).isEqualTo(HealthState.UNKNOWN);
      assertThat(pool.pick(1L).status()).isEqualTo(PickStatus.NO_BACKEND);
      pool.setAdminState("s0", AdminState.ACTIVE).join();
      round(timer, s0);
      assertThat(pool.backend("s0").checked()).isEqualTo(HealthState.UP);
      assertThat(pool.pick(1L).status()).isEqualTo(PickStatus.OK);
    }
  }

  @Test
  void reportedHealth_isANeighbourOfTheChecks() {
    try (BackendPool pool = BackendPool.builder().backends(Fixtures.backends(2)).build()) {
      pool.reportHealth("b0", HealthState.DOWN, "no ARP reply").join();
      BackendState s = pool.backend("b0");
      assertThat(s.reported()).isEqualTo(HealthState.DOWN);
      assertThat(s.checked()).isEqualTo(HealthState.UP);
      assertThat(s.serving()).isFalse();
      assertThat(s.detail()).isEqualTo("no ARP reply");
      for (int i = 0; i < 10; i++) {
        Lease l = pool.pick(i);
        assertThat(l.backendId()).isEqualTo("b1");
        l.complete(Outcome.SUCCESS, 0);
      }
      pool.reportHealth("b0", HealthState.UP, "").join();
      assertThat(pool.backend("b0").serving()).isTrue();
    }
  }
}
