package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.HealthCheckers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** A closed pool leaves no thread: not its timer, not the health checker's loop, not the control work. */
class CloseTest {

  static List<String> lb4jThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .filter(n -> n.startsWith("lb4j")).sorted().collect(Collectors.toList());
  }

  @Test
  void close_leavesNoThread_withHealthChecksAndOutlierDetection() throws Exception {
    await().until(() -> lb4jThreads().isEmpty());
    try (LoopbackHttp s0 = new LoopbackHttp("s0"); LoopbackHttp s1 = new LoopbackHttp("s1")) {
      BackendPool pool = BackendPool.builder()
          .healthCheck(HealthCheckers.create("http", Map.of("path", "/health")),
              m -> m.interval(Duration.ofMillis(20)).spreadFirstCheck(false))
          .outlierDetection(d -> d.interval(Duration.ofMillis(20)))
          .backends(s0.backend(), s1.backend()).build();
      await().until(() -> s0.healthChecks.get() >= 2 && s1.healthChecks.get() >= 2);
      assertThat(lb4jThreads()).contains("lb4j-pool-timer", "lb4j-health-loop");
      Lease lease = pool.pick(1L);
      pool.close();
      await().until(() -> lb4jThreads().isEmpty());
      assertThat(pool.pick(2L).status()).isEqualTo(PickStatus.CLOSED);
      assertThat(lease.complete(Outcome.FAILURE, 0)).isTrue();
      long checks = s0.healthChecks.get();
      assertThat(lb4jThreads()).isEmpty();
      assertThat(s0.healthChecks.get()).isEqualTo(checks);
    }
  }

  @Test
  void withoutHealthInputs_thePoolStartsNoThreadAtAll() {
    await().until(() -> lb4jThreads().isEmpty());
    int before = Thread.activeCount();
    try (BackendPool pool = BackendPool.builder().backends(Fixtures.backends(3)).build()) {
      pool.setAdminState("b0", AdminState.DRAINING).join();
      pool.pick(1L).complete(Outcome.SUCCESS, 0);
      assertThat(lb4jThreads()).isEmpty();
      assertThat(Thread.activeCount()).isLessThanOrEqualTo(before);
    }
  }

  @Test
  void aGivenExecutorAndTimer_remainTheCallers() throws Exception {
    ExecutorService control = Executors.newSingleThreadExecutor();
    ManualClock clock = new ManualClock();
    ManualTimer timer = new ManualTimer(clock);
    try {
      Fixtures.Recorder events = new Fixtures.Recorder();
      BackendPool pool = BackendPool.builder().controlExecutor(control).timer(timer).clock(clock).listener(events)
          .outlierDetection(d -> d.consecutiveFailures(1)).backends(Fixtures.backends(2)).build();
      pool.flush().get(10, TimeUnit.SECONDS);
      assertThat(pool.backends()).hasSize(2);
      assertThat(events.seen).allSatisfy(t -> assertThat(t.cause()).isEqualTo(Transition.Cause.ADDED));
      pool.close();
      assertThat(control.isShutdown()).isFalse();
      control.submit(() -> { }).get(10, TimeUnit.SECONDS);
    } finally {
      control.shutdownNow();
    }
  }

  @Test
  void membershipPushedAfterClose_isIgnored() {
    DynamicMembership members = new DynamicMembership(Fixtures.backends(1));
    Fixtures.Recorder events = new Fixtures.Recorder();
    BackendPool pool = BackendPool.builder().membership(members).listener(events).build();
    pool.close();
    members.put(Fixtures.backend("late", 99));
    assertThat(pool.backend("late")).isNull();
    assertThat(events.causes("late")).isEmpty();
  }
}
