package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.SessionCounters;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The IPVS connection schedulers pick what the kernel's formulas pick on hand-made counts. */
class LeastConnectionsTest {

  private final SessionCounters counters = SessionCounters.create();

  private Scheduler scheduler(String name, List<Backend> backends) {
    Scheduler s = Fixtures.create(name, SchedulerConfig.builder().sessions(counters).build());
    s.update(backends);
    return s;
  }

  private void sessions(String id, int active, int inactive) {
    for (int i = 0; i < active; i++) {
      counters.of(id).sessionOpened();
    }
    for (int i = 0; i < inactive; i++) {
      counters.of(id).sessionOpenedInactive();
    }
  }

  private static String pick(Scheduler s) {
    return s.select(Fixtures.flow(1, 1)).id();
  }

  @Test
  void leastConnections_countsAnActiveSessionAs256Inactive() {
    // a: 1*256 + 0 = 256; b: 0*256 + 255 = 255; c: 0 + 300 = 300.
    sessions("a", 1, 0);
    sessions("b", 0, 255);
    sessions("c", 0, 300);
    assertThat(pick(scheduler("least-connections",
        List.of(Fixtures.backend("a", 1), Fixtures.backend("b", 1), Fixtures.backend("c", 1))))).isEqualTo("b");
  }

  @Test
  void leastConnections_ignoresWeightsAndPrefersTheFirstOnTies() {
    sessions("a", 2, 0);
    sessions("b", 2, 0);
    sessions("c", 3, 0);
    assertThat(pick(scheduler("least-connections",
        List.of(Fixtures.backend("c", 100), Fixtures.backend("a", 1), Fixtures.backend("b", 50))))).isEqualTo("a");
  }

  @Test
  void weightedLeastConnections_dividesOverheadByWeight() {
    // a: (10*256 + 0) / 1 = 2560; b: (30*256 + 10) / 4 = 1922.5; c: (12*256 + 100) / 2 = 1586.
    sessions("a", 10, 0);
    sessions("b", 30, 10);
    sessions("c", 12, 100);
    Scheduler s = scheduler("weighted-least-connections",
        List.of(Fixtures.backend("a", 1), Fixtures.backend("b", 4), Fixtures.backend("c", 2)));
    assertThat(pick(s)).isEqualTo("c");
    sessions("c", 2, 0);
    // c: (14*256 + 100) / 2 = 1842 < b 1922.5: still c; one more makes 1970 > 1922.5: b.
    assertThat(pick(s)).isEqualTo("c");
    sessions("c", 1, 0);
    assertThat(pick(s)).isEqualTo("b");
  }

  @Test
  void weightedLeastConnections_keepsTheFirstOnExactTies() {
    sessions("a", 2, 0);
    sessions("b", 4, 0);
    assertThat(pick(scheduler("weighted-least-connections",
        List.of(Fixtures.backend("a", 1), Fixtures.backend("b", 2))))).isEqualTo("a");
  }

  @Test
  void shortestExpectedDelay_dividesActivePlusOneByWeight() {
    // a: (0+1)/1 = 1; b: (2+1)/4 = 0.75; c: (1+1)/2 = 1. wlc would pick a (0 overhead).
    sessions("b", 2, 0);
    sessions("c", 1, 0);
    List<Backend> set = List.of(Fixtures.backend("a", 1), Fixtures.backend("b", 4), Fixtures.backend("c", 2));
    assertThat(pick(scheduler("shortest-expected-delay", set))).isEqualTo("b");
    assertThat(pick(scheduler("weighted-least-connections", set))).isEqualTo("a");
  }

  @Test
  void shortestExpectedDelay_ignoresInactiveSessions() {
    sessions("a", 1, 0);
    sessions("b", 1, 500);
    List<Backend> set = List.of(Fixtures.backend("a", 1), Fixtures.backend("b", 3));
    assertThat(pick(scheduler("shortest-expected-delay", set))).isEqualTo("b");
  }

  @Test
  void neverQueue_prefersAnIdleBackendEvenOfLowWeight() {
    // sed would pick b: (3+1)/100 = 0.04 < (0+1)/1; nq sends to the idle a first.
    sessions("b", 3, 0);
    sessions("c", 5, 0);
    List<Backend> set = List.of(Fixtures.backend("c", 1), Fixtures.backend("b", 100), Fixtures.backend("a", 1));
    assertThat(pick(scheduler("never-queue", set))).isEqualTo("a");
    assertThat(pick(scheduler("shortest-expected-delay", set))).isEqualTo("b");
  }

  @Test
  void neverQueue_fallsBackToShortestExpectedDelayWhenNoneIsIdle() {
    sessions("a", 1, 0);
    sessions("b", 3, 0);
    List<Backend> set = List.of(Fixtures.backend("a", 1), Fixtures.backend("b", 10));
    assertThat(pick(scheduler("never-queue", set))).isEqualTo("b");
  }

  @Test
  void requestsInFlight_countAsActiveSessions() {
    // a: one request in flight = 256; b: 255 inactive sessions = 255.
    counters.of("a").requestStarted();
    sessions("b", 0, 255);
    List<Backend> ab = List.of(Fixtures.backend("a", 1), Fixtures.backend("b", 1));
    assertThat(pick(scheduler("least-connections", ab))).isEqualTo("b");
    assertThat(pick(scheduler("never-queue", List.of(Fixtures.backend("a", 1), Fixtures.backend("c", 1))))).isEqualTo("c");
    counters.of("a").requestFinished(true);
    assertThat(pick(scheduler("least-connections", ab))).isEqualTo("a");
  }

  @Test
  void greaterProduct_isExactBeyond64Bits() {
    long big = 1L << 40;
    assertThat(LeastConnectionsScheduler.greaterProduct(big, big + 1, big + 1, big)).isFalse();
    assertThat(LeastConnectionsScheduler.greaterProduct(big + 1, big + 1, big, big + 1)).isTrue();
    assertThat(LeastConnectionsScheduler.greaterProduct(3, 4, 2, 6)).isFalse();
  }

  @Test
  void localityLeastConnections_keepsADestinationOnItsBackendUntilOverloaded() {
    List<Backend> set = List.of(Fixtures.backend("a", 2), Fixtures.backend("b", 8));
    Scheduler s = scheduler("locality-least-connections", set);
    String first = s.select(Fixtures.v4flow(1, 1000)).id();
    assertThat(first).isEqualTo("a");
    sessions("a", 2, 0);
    // a has 2 active, not more than its weight 2: the destination stays on a although b is idle.
    assertThat(s.select(Fixtures.v4flow(2, 1001)).id()).isEqualTo("a");
    sessions("a", 1, 0);
    // a: 3 > weight 2 and b: 0 * 2 < 8, so a is overloaded (ip_vs_lblc.c is_overloaded): wlc picks b.
    assertThat(s.select(Fixtures.v4flow(3, 1002)).id()).isEqualTo("b");
    assertThat(s.select(Fixtures.v4flow(4, 1003)).id()).isEqualTo("b");
  }

  @Test
  void failover_picksTheHighestWeightThenTheFirst() {
    Scheduler s = scheduler("failover", List.of(Fixtures.backend("x", 2), Fixtures.backend("y", 5), Fixtures.backend("z", 5)));
    for (int i = 0; i < 50; i++) {
      assertThat(s.select(Fixtures.flow(i, i)).id()).isEqualTo("y");
    }
    s.update(List.of(Fixtures.backend("x", 2), Fixtures.backend("y", 0), Fixtures.backend("z", 5)));
    assertThat(pick(s)).isEqualTo("z");
  }
}
