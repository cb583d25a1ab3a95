package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.SessionCounters;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Slow start and persistence, driven by an injected clock instead of sleeping. */
class SlowStartAndPersistenceTest {

  private final Fixtures.ManualClock clock = new Fixtures.ManualClock();

  private double shareOfNewcomer(Scheduler s, int draws) {
    int hits = 0;
    FlowKey[] flows = Fixtures.flows(draws, 21);
    for (FlowKey f : flows) {
      if (s.select(f).id().equals("new")) {
        hits++;
      }
    }
    return (double) hits / draws;
  }

  @Test
  void slowStart_rampsAJoiningBackendLinearlyFromTenPercent() {
    Scheduler s = Fixtures.create("weighted-random",
        SchedulerConfig.builder().clock(clock).seed(1).slowStart(Duration.ofSeconds(100)).build());
    s.update(List.of(Fixtures.backend("old", 1)));
    s.update(List.of(Fixtures.backend("old", 1), Fixtures.backend("new", 1)));
    // Thinning admits the newcomer's draws with probability r, its share is r/2 / (1/2 + r/2).
    assertThat(shareOfNewcomer(s, 100_000)).isCloseTo(0.1 / 1.1, org.assertj.core.data.Offset.offset(0.01));
    clock.advanceSeconds(50);
    assertThat(shareOfNewcomer(s, 100_000)).isCloseTo(0.5 / 1.5, org.assertj.core.data.Offset.offset(0.01));
    clock.advanceSeconds(50);
    assertThat(shareOfNewcomer(s, 100_000)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.01));
  }

  @Test
  void slowStart_doesNotRampTheBackendsOfTheFirstUpdate() {
    Scheduler s = Fixtures.create("weighted-random",
        SchedulerConfig.builder().clock(clock).slowStart(Duration.ofSeconds(100)).build());
    s.update(List.of(Fixtures.backend("old", 1), Fixtures.backend("new", 1)));
    assertThat(shareOfNewcomer(s, 100_000)).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.01));
  }

  @Test
  void slowStart_rampsABackendThatReturnsFromDrain() {
    Scheduler s = Fixtures.create("weighted-random",
        SchedulerConfig.builder().clock(clock).slowStart(Duration.ofSeconds(10)).build());
    s.update(List.of(Fixtures.backend("old", 1), Fixtures.backend("new", 1)));
    s.update(List.of(Fixtures.backend("old", 1), Fixtures.backend("new", 0)));
    clock.advanceSeconds(60);
    s.update(List.of(Fixtures.backend("old", 1), Fixtures.backend("new", 1)));
    assertThat(shareOfNewcomer(s, 50_000)).isLessThan(0.15);
  }

  @Test
  void slowStart_dividesTheLoadOfConnectionSchedulersByTheRampedWeight() {
    SessionCounters counters = SessionCounters.create();
    Scheduler s = Fixtures.create("least-connections",
        SchedulerConfig.builder().clock(clock).sessions(counters).slowStart(Duration.ofSeconds(10)).build());
    s.update(List.of(Fixtures.backend("old", 1)));
    s.update(List.of(Fixtures.backend("old", 1), Fixtures.backend("new", 1)));
    for (int i = 0; i < 10; i++) {
      counters.of("old").sessionOpened();
    }
    counters.of("new").sessionOpened();
    counters.of("new").sessionOpened();
    // new: 2 * 256 / 10% = 5120 > old: 10 * 256 / 100% = 2560, so old, although new has fewer.
    assertThat(s.select(Fixtures.flow(1, 1)).id()).isEqualTo("old");
    clock.advanceSeconds(10);
    assertThat(s.select(Fixtures.flow(1, 1)).id()).isEqualTo("new");
  }

  @Test
  void persistence_keepsAClientOnItsBackendUntilTheTimeout() {
    Scheduler s = Fixtures.create("round-robin",
        SchedulerConfig.builder().clock(clock).seed(2).persistence(Duration.ofSeconds(10), 4096).build());
    s.update(Fixtures.backends(3));
    Backend first = s.select(Fixtures.flow(1, 1000));
    Backend other = s.select(Fixtures.flow(2, 1000));
    assertThat(other).isNotEqualTo(first);
    for (int i = 0; i < 20; i++) {
      clock.advanceSeconds(9);
      // Another port of the same client: same backend, and each return refreshes the timeout.
      assertThat(s.select(Fixtures.flow(1, 2000 + i))).isEqualTo(first);
    }
    clock.advanceSeconds(11);
    // Expired: round robin continues its turn after "other", which is neither first nor other.
    Backend fresh = s.select(Fixtures.flow(1, 3000));
    assertThat(fresh).isNotEqualTo(first).isNotEqualTo(other);
  }

  @Test
  void persistence_reChoosesWhenTheRememberedBackendDrains() {
    Scheduler s = Fixtures.create("round-robin",
        SchedulerConfig.builder().clock(clock).persistence(Duration.ofSeconds(10), 16).build());
    s.update(Fixtures.backends(2));
    Backend first = s.select(Fixtures.flow(7, 1));
    s.update(List.of(first.withWeight(0), Fixtures.backends(2).get(first.id().equals("b0") ? 1 : 0)));
    assertThat(s.select(Fixtures.flow(7, 2))).isNotEqualTo(first);
  }

  @Test
  void persistence_memoryIsBoundedAndForgetsTheLeastRecentlyUsed() {
    AffinityTable table = new AffinityTable(64, Duration.ofSeconds(100).toNanos(), clock);
    assertThat(table.capacity()).isEqualTo(64);
    for (int client = 0; client < 10_000; client++) {
      table.record(io.github.lb4j.api.FlowHash.mix64(client), client % 5, clock.nanoTime());
      clock.advanceMillis(2);
    }
    int remembered = 0;
    for (int client = 0; client < 10_000; client++) {
      if (table.lookup(io.github.lb4j.api.FlowHash.mix64(client), clock.nanoTime()) >= 0) {
        remembered++;
        assertThat(client).isGreaterThan(9000);
      }
    }
    assertThat(remembered).isBetween(32, 64);
  }
}
