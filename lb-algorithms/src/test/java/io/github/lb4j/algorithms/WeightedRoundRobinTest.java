package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
    List<Backend> backends = List.of(Fixtures.backend("A", 8), Fixtures.backend("B", 6), Fixtures.backend("C", 4));
    List<String> wanted = List.of("A", "A", "B", "A", "B", "C", "A", "B", "C");
    assertThat(containsPeriod(twoPeriods("weighted-round-robin", backends, 9), wanted)).isTrue();
  }

  /** Counts the picks of {@code selects} consecutive selects per backend index (ids b0..). */
  private static long[] counts(String name, int[] weights, long selects) {
    Scheduler s = Fixtures.create(name, SchedulerConfig.builder().seed(12).build());
    s.update(Fixtures.weighted(weights));
    long[] counts = new long[weights.length];
    io.github.lb4j.api.FlowKey flow = Fixtures.flow(1, 1);
    for (long k = 0; k < selects; k++) {
      counts[Integer.parseInt(s.select(flow).id().substring(1))]++;
    }
    return counts;
  }

  @ParameterizedTest
  @ValueSource(strings = {"weighted-round-robin", "smooth-weighted-round-robin"})
  void thousandBackendsOfWeight1To100_getExactlyTheirWeightPerPeriod(String name) {
    // Regression: weights 1 to 4 got equal turns and w100 / w1 was 33 (smooth), weights being
    // scaled down to bound the build.
    int[] weights = new int[1000];
    long period = 0;
    for (int i = 0; i < weights.length; i++) {
      weights[i] = i % 100 + 1;
      period += weights[i];
    }
    long[] counts = counts(name, weights, 3 * period);
    for (int i = 0; i < weights.length; i++) {
      assertThat(counts[i]).as("%s b%d of weight %d", name, i, weights[i]).isEqualTo(3L * weights[i]);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"weighted-round-robin", "smooth-weighted-round-robin"})
  void weightsUpTo65535_getExactlyTheirWeightPerPeriod(String name) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(65_535);
    int[] weights = new int[200];
    long period = 0;
    for (int i = 0; i < weights.length; i++) {
      weights[i] = i == 0 ? 1 : i == 1 ? 65_535 : 1 + random.nextInt(65_535);
      period += weights[i];
    }
    long[] counts = counts(name, weights, period);
    for (int i = 0; i < weights.length; i++) {
      assertThat(counts[i]).as("%s b%d of weight %d", name, i, weights[i]).isEqualTo(weights[i]);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"weighted-round-robin", "smooth-weighted-round-robin"})
  void hundredThousandBackends_keepSharesWithinOnePercent_overAPartialPeriod(String name) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(100_000);
    int[] weights = new int[100_000];
    long period = 0;
    for (int i = 0; i < weights.length; i++) {
      weights[i] = 1 + random.nextInt(8);
      period += weights[i];
    }
    // Ten and a half periods: not a whole number of periods, so shares are not exact by construction.
    long selects = 10 * period + period / 2 + 12_345;
    long[] counts = counts(name, weights, selects);
    long[] byWeight = new long[9];
    long[] unitsByWeight = new long[9];
    for (int i = 0; i < weights.length; i++) {
      byWeight[weights[i]] += counts[i];
      unitsByWeight[weights[i]] += weights[i];
    }
    for (int w = 1; w <= 8; w++) {
      double expected = (double) selects * unitsByWeight[w] / period;
      assertThat(byWeight[w] / expected).as("%s weight %d", name, w).isBetween(0.99, 1.01);
    }
  }

  @Test
  void goldenRatioStride_spreadsEachBackendsTurnsEvenly() {
    // Beyond the classic bound: in every window of period / 10 turns each backend gets its share
    // of the window to within a few turns (the walk visits an interval at three gap lengths).
    int[] weights = new int[1000];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = i % 100 + 1;
    }
    WeightedSchedule schedule = WeightedSchedule.of(weights, SmoothWeightedRoundRobinScheduler::sequence, new Work());
    assertThat(schedule.isClassic()).isFalse();
    long period = schedule.period();
    long window = period / 10;
    long[] counts = new long[weights.length];
    for (long t = 0; t < period; t++) {
      counts[schedule.at(t)]++;
      if (t >= window) {
        counts[schedule.at(t - window)]--;
      }
      if (t >= window - 1 && t % 997 == 0) {
        for (int i = 0; i < weights.length; i += 37) {
          double expected = (double) window * weights[i] / period;
          assertThat(Math.abs(counts[i] - expected)).as("b%d in window ending at %d", i, t).isLessThanOrEqualTo(3.0);
        }
      }
    }
  }

  @Test
  void goldenRatioStride_isAPermutationOfThePeriod() {
    int[] weights = {3, 1, 4, 1, 5, 9, 2, 6};
    WeightedSchedule schedule = WeightedSchedule.of(weights, SmoothWeightedRoundRobinScheduler::sequence, new Work());
    // Small enough to be classic; build the stride by hand through a huge count instead.
    int[] many = new int[5000];
    for (int i = 0; i < many.length; i++) {
      many[i] = weights[i % weights.length];
    }
    WeightedSchedule stride = WeightedSchedule.of(many, SmoothWeightedRoundRobinScheduler::sequence, new Work());
    assertThat(schedule.isClassic()).isTrue();
    assertThat(stride.isClassic()).isFalse();
    long[] counts = new long[many.length];
    for (long t = 0; t < 2 * stride.period(); t++) {
      counts[stride.at(t + 1_000_003L * stride.period())]++;
    }
    for (int i = 0; i < many.length; i++) {
      assertThat(counts[i]).isEqualTo(2L * many[i]);
    }
    assertThat(WeightedSchedule.largestQuotient(WeightedSchedule.coprimeStep(36), 36)).isLessThanOrEqualTo(5);
    assertThat(WeightedSchedule.largestQuotient(WeightedSchedule.coprimeStep(1_000_003), 1_000_003)).isLessThanOrEqualTo(5);
    assertThat(WeightedSchedule.largestQuotient(6, 36)).isEqualTo(Long.MAX_VALUE);
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
