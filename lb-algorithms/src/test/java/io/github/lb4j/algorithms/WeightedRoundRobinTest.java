package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The two weighted round robins against the sequences their sources publish. */
class WeightedRoundRobinTest {

  /** Two periods of picks; the counter starts at a seeded position, so a period may start anywhere. */
  private static List<String> twoPeriods(String name, List<Backend> backends, int length) {
    Scheduler s = Fixtures.create(name, SchedulerConfig.builder().seed(1).build());
    s.update(backends);
    List<String> twice = new ArrayList<>();
    for (int i = 0; i < 2 * length; i++) {
      twice.add(s.select(Fixtures.flow(i, 1)).id());
    }
    return twice;
  }

  private static boolean containsPeriod(List<String> twice, List<String> wanted) {
    for (int start = 0; start < wanted.size(); start++) {
      if (twice.subList(start, start + wanted.size()).equals(wanted)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void smoothWeightedRoundRobin_givesNginxSequenceForWeights5_1_1() {
    List<Backend> backends = List.of(Fixtures.backend("a", 5), Fixtures.backend("b", 1), Fixtures.backend("c", 1));
    int[] seq = SmoothWeightedRoundRobinScheduler.sequence(new long[] {5, 1, 1});
    assertThat(names(seq, "a", "b", "c")).containsExactly("a", "a", "b", "a", "c", "a", "a");
    List<String> wanted = List.of("a", "a", "b", "a", "c", "a", "a");
    assertThat(containsPeriod(twoPeriods("smooth-weighted-round-robin", backends, 7), wanted)).isTrue();
  }

  @Test
  void weightedRoundRobin_givesIpvsSequenceForWeights4_3_2() {
    List<Backend> backends = List.of(Fixtures.backend("A", 4), Fixtures.backend("B", 3), Fixtures.backend("C", 2));
    int[] seq = WeightedRoundRobinScheduler.sequence(new long[] {4, 3, 2});
    assertThat(names(seq, "A", "B", "C")).containsExactly("A", "A", "B", "A", "B", "C", "A", "B", "C");
    List<String> wanted = List.of("A", "A", "B", "A", "B", "C", "A", "B", "C");
    assertThat(containsPeriod(twoPeriods("weighted-round-robin", backends, 9), wanted)).isTrue();
  }

  @Test
  void weightedRoundRobin_stepsByTheGcdOfTheWeights() {
    assertThat(WeightedRoundRobinScheduler.sequence(WeightedRoundRobinScheduler.scaled(new int[] {8, 6, 4}, 1 << 24, true)))
        .containsExactly(WeightedRoundRobinScheduler.sequence(new long[] {4, 3, 2}));
  }

  @Test
  void hugeWeightSums_areScaledDownKeepingEveryBackend() {
    int[] weights = new int[1000];
    java.util.Arrays.fill(weights, 65_535);
    weights[0] = 1;
    long[] scaled = WeightedRoundRobinScheduler.scaled(weights, 1 << 24, false);
    assertThat(scaled[0]).isEqualTo(1);
    long sum = 0;
    for (long w : scaled) {
      sum += w;
    }
    assertThat(sum * weights.length).isLessThanOrEqualTo((1L << 24) + 2L * weights.length * weights.length);
  }

  @Test
  void roundRobin_keepsOneCounterAcrossUpdates() {
    Scheduler s = Fixtures.create("round-robin", SchedulerConfig.builder().seed(3).build());
    List<Backend> three = Fixtures.backends(3);
    s.update(three);
    String first = s.select(Fixtures.flow(1, 1)).id();
    s.update(three);
    String second = s.select(Fixtures.flow(1, 1)).id();
    assertThat(second).isNotEqualTo(first);
  }

  @Test
  void roundRobin_startsAtASeededPosition() {
    java.util.Set<String> firsts = new java.util.HashSet<>();
    for (long seed = 0; seed < 40; seed++) {
      Scheduler s = Fixtures.create("round-robin", SchedulerConfig.builder().seed(seed).build());
      s.update(Fixtures.backends(4));
      firsts.add(s.select(Fixtures.flow(1, 1)).id());
    }
    assertThat(firsts).hasSizeGreaterThan(1);
  }

  private static List<String> names(int[] seq, String... names) {
    List<String> out = new ArrayList<>();
    for (int i : seq) {
      out.add(names[i]);
    }
    return out;
  }
}
