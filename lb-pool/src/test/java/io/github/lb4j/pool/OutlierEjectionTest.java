package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Outlier detection fed by lease outcomes: ejection after consecutive failures, return after the ejection time. */
class OutlierEjectionTest {

  @Test
  void consecutiveFailures_ejectTheBackend_andItReturnsAfterTheEjectionTime() {
    ManualClock clock = new ManualClock();
    ManualTimer timer = new ManualTimer(clock);
    Fixtures.Recorder events = new Fixtures.Recorder();
    try (BackendPool pool = BackendPool.builder().clock(clock).timer(timer).listener(events)
        .outlierDetection(d -> d.consecutiveFailures(3).interval(Duration.ofSeconds(10)).baseEjectionTime(Duration.ofSeconds(30)))
        .backends(Fixtures.backends(4)).build()) {
      // b2 fails everything; two failures and a success do not eject (the count is consecutive).
      int failures = 0;
      for (int i = 0; i < 400 && failures < 2; i++) {
        Lease l = pool.pick(i);
        boolean bad = l.backendId().equals("b2");
        failures += bad ? 1 : 0;
        l.complete(bad ? Outcome.FAILURE : Outcome.SUCCESS, 0);
      }
      Lease ok;
      do {
        ok = pool.pick(0);
      } while (!ok.backendId().equals("b2") && ok.complete(Outcome.SUCCESS, 0));
      ok.complete(Outcome.SUCCESS, 0);
      timer.runDue();
      assertThat(pool.backend("b2").ejected()).isFalse();

      failures = 0;
      for (int i = 0; failures < 3; i++) {
        Lease l = pool.pick(i);
        boolean bad = l.backendId().equals("b2");
        failures += bad ? 1 : 0;
        l.complete(bad ? Outcome.FAILURE : Outcome.SUCCESS, 0);
      }
      timer.runDue();
      BackendState s = pool.backend("b2");
      assertThat(s.ejected()).isTrue();
      assertThat(s.serving()).isFalse();
      assertThat(events.causes("b2")).containsExactly(Transition.Cause.ADDED, Transition.Cause.EJECTED);
      assertThat(events.of("b2").get(1).detail()).contains("3 consecutive failures");
      for (int i = 0; i < 100; i++) {
        Lease l = pool.pick(i);
        assertThat(l.backendId()).isNotEqualTo("b2");
        l.complete(Outcome.SUCCESS, 0);
      }

      // Returns at the first interval tick once 30 s have passed: the ticks at 10 and 20 s keep it out.
      timer.advance(Duration.ofSeconds(29));
      assertThat(pool.backend("b2").ejected()).isTrue();
      timer.advance(Duration.ofSeconds(1));
      assertThat(pool.backend("b2").ejected()).isFalse();
      assertThat(pool.backend("b2").serving()).isTrue();
      assertThat(events.causes("b2")).containsExactly(Transition.Cause.ADDED, Transition.Cause.EJECTED,
          Transition.Cause.UNEJECTED);
      int onB2 = 0;
      for (int i = 0; i < 40; i++) {
        Lease l = pool.pick(i);
        onB2 += l.backendId().equals("b2") ? 1 : 0;
        l.complete(Outcome.SUCCESS, 0);
      }
      assertThat(onB2).isEqualTo(10);
    }
  }

  @Test
  void cancelledRequests_doNotCountTowardsEjection() {
    ManualClock clock = new ManualClock();
    ManualTimer timer = new ManualTimer(clock);
    try (BackendPool pool = BackendPool.builder().clock(clock).timer(timer).stripes(1)
        .outlierDetection(d -> d.consecutiveFailures(2)).backends(Fixtures.backends(1)).build()) {
      for (int i = 0; i < 10; i++) {
        pool.pick(i).complete(Outcome.CANCELLED, 0);
      }
      timer.runDue();
      assertThat(pool.backend("b0").ejected()).isFalse();
      pool.pick(1).complete(Outcome.FAILURE, 0);
      pool.pick(2).complete(Outcome.FAILURE, 0);
      timer.runDue();
      assertThat(pool.backend("b0").ejected()).isTrue();
      assertThat(pool.pick(3).status()).isEqualTo(PickStatus.NO_BACKEND);
    }
  }
}
