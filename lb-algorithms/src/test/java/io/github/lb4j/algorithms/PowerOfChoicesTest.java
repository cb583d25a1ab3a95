package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.SessionCounters;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Power of d choices and peak EWMA. */
class PowerOfChoicesTest {

  @Property(tries = 50)
  void twoChoices_neverPickTheMostLoadedOfTwo(@ForAll @IntRange(min = 0, max = 1000) int loadA,
      @ForAll @IntRange(min = 0, max = 1000) int loadB) {
    // With two backends the two distinct draws are both backends, so the less loaded always wins.
    SessionCounters counters = SessionCounters.create();
    Scheduler s = Fixtures.create("power-of-two-choices", SchedulerConfig.builder().sessions(counters).build());
    s.update(List.of(Fixtures.backend("a", 1), Fixtures.backend("b", 1)));
    for (int i = 0; i < loadA; i++) {
      counters.of("a").sessionOpened();
    }
    for (int i = 0; i < loadB; i++) {
      counters.of("b").sessionOpened();
    }
    for (int i = 0; i < 20; i++) {
      String id = s.select(Fixtures.flow(i, i)).id();
      if (loadA < loadB) {
        assertThat(id).isEqualTo("a");
      } else if (loadB < loadA) {
        assertThat(id).isEqualTo("b");
      }
    }
  }

  @Test
  void threeChoices_neverPickOneOfTheTwoMostLoadedOfFour() {
    SessionCounters counters = SessionCounters.create();
    Scheduler s = Fixtures.create("power-of-two-choices", SchedulerConfig.builder().sessions(counters).option("choices", "3").build());
    List<Backend> set = Fixtures.backends(4);
    s.update(set);
    for (int k = 0; k < 4; k++) {
      for (int i = 0; i < k * 10; i++) {
        counters.of("b" + k).sessionOpened();
      }
    }
    for (FlowKey f : Fixtures.flows(2000, 1)) {
      assertThat(s.select(f).id()).isIn("b0", "b1");
    }
  }

  @Test
  void choices_isValidated() {
    assertThatThrownBy(() -> Fixtures.create("power-of-two-choices", SchedulerConfig.builder().option("choices", "1").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("choices=1");
    assertThatThrownBy(() -> Fixtures.create("power-of-two-choices", SchedulerConfig.builder().option("choices", "two").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("choices=two");
  }

  @Test
  void peakEwma_avoidsTheBackendWithALatencyPeak() {
    Fixtures.ManualClock clock = new Fixtures.ManualClock();
    SessionCounters counters = SessionCounters.create(clock, Duration10s.TAU);
    Scheduler s = Fixtures.create("peak-ewma", SchedulerConfig.builder().clock(clock).sessions(counters).build());
    s.update(List.of(Fixtures.backend("fast", 1), Fixtures.backend("slow", 1)));
    counters.of("fast").recordLatency(1_000_000L);
    counters.of("slow").recordLatency(50_000_000L);
    for (int i = 0; i < 50; i++) {
      assertThat(s.select(Fixtures.flow(i, i)).id()).isEqualTo("fast");
    }
    // Outstanding work multiplies the cost: 60 pending requests on fast (61 ms) outweigh slow's 50 ms.
    for (int i = 0; i < 60; i++) {
      counters.of("fast").requestStarted();
    }
    assertThat(s.select(Fixtures.flow(1, 1)).id()).isEqualTo("slow");
  }

  @Test
  void peakEwma_penalisesABackendWithNoHistoryButOutstandingWork() {
    SessionCounters counters = SessionCounters.create();
    Scheduler s = Fixtures.create("peak-ewma", SchedulerConfig.builder().sessions(counters).build());
    s.update(List.of(Fixtures.backend("new", 1), Fixtures.backend("known", 1)));
    counters.of("new").requestStarted();
    counters.of("known").recordLatency(900_000_000L);
    assertThat(s.select(Fixtures.flow(1, 1)).id()).isEqualTo("known");
  }

  /** Finagle's default decay. */
  private static final class Duration10s {
    static final java.time.Duration TAU = java.time.Duration.ofSeconds(10);
  }
}
