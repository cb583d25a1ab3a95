package io.github.lb4j.algorithms;

import static io.github.lb4j.algorithms.Fixtures.backend;
import static io.github.lb4j.algorithms.Fixtures.backends;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.NoBackendPolicy;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.SessionCounters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Scheduler} must do, whatever its algorithm (DESIGN.md "Two planes"): run by
 * every registered name through {@link SchedulerContractTest}.
 */
abstract class SchedulerContract {

  /** The registry name under test. */
  abstract String name();

  Scheduler create(SchedulerConfig config) {
    return Fixtures.create(name(), config);
  }

  Scheduler create() {
    return create(SchedulerConfig.builder().seed(7).build());
  }

  private static Set<String> ids(List<Backend> backends) {
    Set<String> ids = new HashSet<>();
    for (Backend b : backends) {
      ids.add(b.id());
    }
    return ids;
  }

  @Test
  void select_returnsNoneBeforeAnyUpdate() {
    assertThat(create().select(Fixtures.flow(1, 1000))).isNull();
  }

  @Test
  void select_returnsNoneForAnEmptySet() {
    Scheduler s = create();
    s.update(backends(3));
    s.update(List.of());
    assertThat(s.select(Fixtures.flow(1, 1000))).isNull();
    assertThat(s.backends()).isEmpty();
  }

  @Test
  void select_returnsNoneWhenEveryBackendDrains() {
    Scheduler s = create();
    s.update(List.of(backend("a", 0), backend("b", 0)));
    assertThat(s.select(Fixtures.flow(1, 1000))).isNull();
    assertThat(s.backends()).extracting(Backend::id).containsExactly("a", "b");
  }

  @Test
  void select_neverReturnsABackendRemovedOrDrainedByTheLastUpdate() {
    Scheduler s = create();
    FlowKey[] flows = Fixtures.flows(2000, 11);
    s.update(backends(6));
    for (FlowKey f : flows) {
      s.select(f);
    }
    List<Backend> next = new ArrayList<>(List.of(backend("b0", 0), backend("b2", 1), backend("b3", 0), backend("b5", 3), backend("b9", 2)));
    s.update(next);
    Set<String> allowed = Set.of("b2", "b5", "b9");
    for (FlowKey f : flows) {
      Backend b = s.select(f);
      assertThat(b).isNotNull();
      assertThat(b.id()).isIn(allowed);
    }
  }

  @Test
  void select_withPersistence_stillNeverReturnsARemovedOrDrainedBackend() {
    Fixtures.ManualClock clock = new Fixtures.ManualClock();
    Scheduler s = create(SchedulerConfig.builder().seed(3).clock(clock).persistence(Duration.ofMinutes(5), 1024).build());
    FlowKey[] flows = Fixtures.flows(500, 12);
    s.update(backends(4));
    for (FlowKey f : flows) {
      s.select(f);
    }
    s.update(List.of(backend("b0", 0), backend("b1", 1)));
    for (FlowKey f : flows) {
      Backend b = s.select(f);
      assertThat(b).isNotNull();
      assertThat(b.id()).isEqualTo("b1");
    }
  }

  @Test
  void update_rejectsARepeatedIdNamingIt() {
    Scheduler s = create();
    assertThatThrownBy(() -> s.update(List.of(backend("x", 1), backend("x", 2))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x");
    assertThatThrownBy(() -> s.update(List.of(backend("x", 1)), List.of(backend("x", 1))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x");
  }

  @Test
  void create_rejectsAnUnknownOptionNamingItAndItsValue() {
    assertThatThrownBy(() -> create(SchedulerConfig.builder().option("no-such-option", "42").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no-such-option")
        .hasMessageContaining("42");
  }

  @Test
  void backends_returnsTheEligibleListInUpdateOrder() {
    Scheduler s = create();
    List<Backend> list = List.of(backend("z", 1), backend("a", 0), backend("m", 2));
    s.update(list, List.of(backend("sick", 1)));
    assertThat(s.backends()).containsExactlyElementsOf(list);
    assertThat(s.name()).isEqualTo(name());
  }

  @Test
  void select_isDeterministicGivenConfigurationAndSeed() {
    SchedulerConfig config = SchedulerConfig.builder().seed(0xC0FFEE).build();
    Scheduler one = create(config);
    Scheduler two = create(SchedulerConfig.builder().seed(0xC0FFEE).build());
    List<Backend> set = Fixtures.weighted(1, 2, 3, 1, 5, 2, 1, 1);
    one.update(set);
    two.update(set);
    FlowKey[] flows = Fixtures.flows(3000, 5);
    for (FlowKey f : flows) {
      Backend a = one.select(f);
      Backend b = two.select(f);
      assertThat(a).isEqualTo(b);
      one.sessions().of(a.id()).sessionOpened();
      two.sessions().of(b.id()).sessionOpened();
    }
  }

  @Test
  void select_failsClosedByDefaultWhenNoBackendIsHealthy() {
    Scheduler s = create();
    s.update(List.of(), List.of(backend("sick1", 1), backend("sick2", 1)));
    assertThat(s.select(Fixtures.flow(1, 1000))).isNull();
  }

  @Test
  void select_failsOpenToUnhealthyBackendsWhenAskedTo() {
    Scheduler s = create(SchedulerConfig.builder().noBackendPolicy(NoBackendPolicy.FAIL_OPEN).build());
    s.update(List.of(backend("drained", 0)), List.of(backend("sick1", 1), backend("sick2", 1), backend("sickDrained", 0)));
    for (FlowKey f : Fixtures.flows(200, 3)) {
      Backend b = s.select(f);
      assertThat(b).isNotNull();
      assertThat(b.id()).isIn("sick1", "sick2");
    }
  }

  @Test
  void select_usesOnlyHealthyBackendsAboveThePanicThreshold() {
    Scheduler s = create(SchedulerConfig.builder().panicThresholdPercent(20).build());
    s.update(List.of(backend("ok", 1)), List.of(backend("sick1", 2), backend("sick2", 2), backend("sick3", 2)));
    for (FlowKey f : Fixtures.flows(500, 4)) {
      assertThat(s.select(f).id()).isEqualTo("ok");
    }
  }

  @Test
  void select_panicsToAllBackendsBelowThePanicThreshold() {
    SessionCounters counters = SessionCounters.create();
    Scheduler s = create(SchedulerConfig.builder().sessions(counters).panicThresholdPercent(50).build());
    for (int i = 0; i < 100; i++) {
      counters.of("ok").sessionOpened();
    }
    s.update(List.of(backend("ok", 1)), List.of(backend("sick1", 2), backend("sick2", 2), backend("sick3", 2)));
    Set<String> seen = new HashSet<>();
    for (FlowKey f : Fixtures.flows(1000, 4)) {
      Backend b = s.select(f);
      assertThat(b).isNotNull();
      seen.add(b.id());
    }
    assertThat(seen).isSubsetOf("ok", "sick1", "sick2", "sick3").containsAnyOf("sick1", "sick2", "sick3");
  }

  @Test
  void select_isSafeUnderConcurrentUpdates() throws InterruptedException {
    Scheduler s = create();
    List<Backend> even = List.of(backend("e0", 1), backend("e1", 2), backend("e2", 3));
    List<Backend> odd = List.of(backend("o0", 2), backend("o1", 1));
    Set<String> union = new HashSet<>(ids(even));
    union.addAll(ids(odd));
    s.update(even);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    FlowKey[] flows = Fixtures.flows(1024, 9);
    CountDownLatch started = new CountDownLatch(2);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      Thread thread = new Thread(() -> {
        started.countDown();
        int i = 0;
        try {
          while (!stop.get()) {
            Backend b = s.select(flows[i++ & 1023]);
            if (b == null || !union.contains(b.id())) {
              throw new AssertionError("selected " + b);
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      threads.add(thread);
      thread.start();
    }
    started.await();
    for (int round = 0; round < 300; round++) {
      s.update(round % 2 == 0 ? odd : even);
    }
    s.update(odd);
    stop.set(true);
    for (Thread thread : threads) {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
    assertThat(failure.get()).isNull();
    for (FlowKey f : flows) {
      assertThat(s.select(f).id()).isIn("o0", "o1");
    }
  }
}
