package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.SessionCounters;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Envoy's weighted least request: P2C for equal weights, weight / (active + 1)^bias otherwise. */
class LeastRequestTest {

  private final SessionCounters counters = SessionCounters.create();

  private Scheduler create(SchedulerConfig.Builder config) {
    return Fixtures.create("least-request", config.sessions(counters).seed(21).build());
  }

  private void active(String id, int requests) {
    for (int i = 0; i < requests; i++) {
      counters.of(id).requestStarted();
    }
  }

  /** Shares over {@code selects} selects that leave the active counts as they are. */
  private static Map<String, Double> shares(Scheduler s, int selects) {
    Map<String, Integer> hits = new HashMap<>();
    for (FlowKey f : Fixtures.flows(selects, 5)) {
      hits.merge(s.select(f).id(), 1, Integer::sum);
    }
    Map<String, Double> out = new HashMap<>();
    hits.forEach((id, h) -> out.put(id, (double) h / selects));
    return out;
  }

  @Property(tries = 50)
  void equalWeights_twoChoicesNeverPickTheBusierOfTwo(@ForAll @IntRange(min = 0, max = 50) int a,
      @ForAll @IntRange(min = 0, max = 50) int b) {
    SessionCounters own = SessionCounters.create();
    Scheduler s = Fixtures.create("least-request", SchedulerConfig.builder().sessions(own).build());
    s.update(List.of(Fixtures.backend("a", 3), Fixtures.backend("b", 3)));
    for (int i = 0; i < a; i++) {
      own.of("a").requestStarted();
    }
    for (int i = 0; i < b; i++) {
      own.of("b").requestStarted();
    }
    for (FlowKey f : Fixtures.flows(20, a * 100L + b)) {
      String id = s.select(f).id();
      if (a != b) {
        assertThat(id).isEqualTo(a < b ? "a" : "b");
      }
    }
  }

  @Test
  void equalWeights_choicesDrawDistinctBackends() {
    Scheduler s = create(SchedulerConfig.builder().option("choices", "3"));
    s.update(Fixtures.backends(4));
    for (int k = 0; k < 4; k++) {
      active("b" + k, k * 10);
    }
    // Three distinct draws of four always include one of the two least active.
    for (FlowKey f : Fixtures.flows(2000, 1)) {
      assertThat(s.select(f).id()).isIn("b0", "b1");
    }
  }

  @Test
  void differentWeights_idleBackends_shareByWeight() {
    Scheduler s = create(SchedulerConfig.builder());
    s.update(List.of(Fixtures.backend("one", 1), Fixtures.backend("three", 3)));
    assertThat(shares(s, 200_000).get("one")).isCloseTo(0.25, offset(0.005));
  }

  @Test
  void differentWeights_shareByWeightOverActivePlusOne() {
    Scheduler s = create(SchedulerConfig.builder());
    s.update(List.of(Fixtures.backend("a", 2), Fixtures.backend("b", 1), Fixtures.backend("c", 1)));
    active("a", 3);
    active("c", 1);
    // Effective weights 2/4, 1/1, 1/2: shares 1/4, 1/2, 1/4.
    Map<String, Double> shares = shares(s, 200_000);
    assertThat(shares.get("a")).isCloseTo(0.25, offset(0.006));
    assertThat(shares.get("b")).isCloseTo(0.50, offset(0.006));
    assertThat(shares.get("c")).isCloseTo(0.25, offset(0.006));
  }

  @Test
  void activeRequestBias_zeroIgnoresLoad_twoSquaresIt() {
    Scheduler flat = create(SchedulerConfig.builder().option("active-request-bias", "0"));
    flat.update(List.of(Fixtures.backend("a", 2), Fixtures.backend("b", 1), Fixtures.backend("c", 1)));
    active("a", 3);
    active("c", 1);
    assertThat(shares(flat, 200_000).get("a")).isCloseTo(0.5, offset(0.006));
    Scheduler steep = create(SchedulerConfig.builder().option("active-request-bias", "2.0"));
    steep.update(List.of(Fixtures.backend("a", 2), Fixtures.backend("b", 1), Fixtures.backend("c", 1)));
    // 2/16, 1/1, 1/4 of a total 1.375.
    Map<String, Double> shares = shares(steep, 200_000);
    assertThat(shares.get("a")).isCloseTo(0.125 / 1.375, offset(0.006));
    assertThat(shares.get("c")).isCloseTo(0.25 / 1.375, offset(0.006));
  }

  @Test
  void slowStart_rampsByEnvoysFormula_withAggressionAndMinimumWeight() {
    Fixtures.ManualClock clock = new Fixtures.ManualClock();
    Scheduler s = create(SchedulerConfig.builder().clock(clock).slowStart(Duration.ofSeconds(100), 2.0, 30));
    s.update(List.of(Fixtures.backend("old", 1)));
    s.update(List.of(Fixtures.backend("old", 1), Fixtures.backend("new", 1)));
    // At 1 s: max(0.30, (1/100)^(1/2) = 0.10) = 0.30, a share of 0.3 / 1.3.
    clock.advanceSeconds(1);
    assertThat(shares(s, 100_000).get("new")).isCloseTo(0.3 / 1.3, offset(0.01));
    // At 25 s: (25/100)^(1/2) = 0.5, a share of 1/3.
    clock.advanceSeconds(24);
    assertThat(shares(s, 100_000).get("new")).isCloseTo(1.0 / 3, offset(0.01));
    clock.advanceSeconds(75);
    assertThat(shares(s, 100_000).get("new")).isCloseTo(0.5, offset(0.01));
  }

  @Test
  void options_areValidated() {
    assertThatThrownBy(() -> create(SchedulerConfig.builder().option("choices", "1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("choices=1");
    assertThatThrownBy(() -> create(SchedulerConfig.builder().option("active-request-bias", "-0.5")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("active-request-bias=-0.5");
    assertThatThrownBy(() -> create(SchedulerConfig.builder().option("active-request-bias", "high")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("active-request-bias=high");
  }

  @Test
  void busyPool_stillPicksInProportion() {
    // Every backend busy: the acceptance is relative to the least active, so it stays high.
    Scheduler s = create(SchedulerConfig.builder());
    List<Backend> set = List.of(Fixtures.backend("a", 1), Fixtures.backend("b", 2));
    s.update(set);
    active("a", 100);
    active("b", 201);
    // 1/101 and 2/202: equal effective weights.
    assertThat(shares(s, 100_000).get("a")).isCloseTo(0.5, offset(0.01));
  }
}
