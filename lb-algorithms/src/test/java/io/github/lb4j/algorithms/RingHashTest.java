package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.SessionCounters;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Ring hash against Envoy's published balance figure and the consistency it promises. */
class RingHashTest {

  /** The share of the hash space each backend owns: the arcs ending at its points. */
  private static double[] shares(RingHashScheduler.Ring ring, int n) {
    double[] share = new double[n];
    long[] p = ring.points;
    for (int j = 0; j < p.length; j++) {
      long prev = j == 0 ? p[p.length - 1] : p[j - 1];
      double arc = (double) ((p[j] - prev) >>> 1) / (double) (1L << 62) / 2.0;
      if (p.length == 1) {
        arc = 1.0;
      }
      share[ring.owner(j)] += arc;
    }
    return share;
  }

  private static double relativeStandardDeviation(double[] share) {
    int n = share.length;
    double mean = 1.0 / n;
    double var = 0;
    for (double x : share) {
      var += (x - mean) * (x - mean);
    }
    return Math.sqrt(var / n) / mean;
  }

  private static RingHashScheduler.Ring defaultRing(int n, long seed) {
    return RingHashScheduler.ring(Fixtures.backends(n).toArray(new Backend[0]), ones(n),
        RingHashScheduler.DEFAULT_POINTS_PER_WEIGHT, 1024, 1 << 23, seed);
  }

  @Test
  void defaults_keepTheRelativeStandardDeviationOfLoadAtMost0_05_upTo1000Backends() {
    // Regression: Envoy's sizing spread 1024 points over all backends, 11 each at 100 backends,
    // a relative standard deviation of 0.32.
    for (int n : new int[] {2, 10, 100, 500, 1000}) {
      for (long seed : new long[] {0, 1, 2}) {
        RingHashScheduler.Ring ring = defaultRing(n, seed);
        assertThat(relativeStandardDeviation(shares(ring, n))).as("n=%d seed %d", n, seed).isLessThanOrEqualTo(0.05);
      }
    }
  }

  @Test
  void pointsPerBackend_dependOnItsWeightOnly_notOnN() {
    for (int n : new int[] {1, 7, 100, 1000}) {
      RingHashScheduler.Ring ring = RingHashScheduler.ring(Fixtures.weighted(weightsOneToThree(n)).toArray(new Backend[0]),
          weightsOneToThree(n), RingHashScheduler.DEFAULT_POINTS_PER_WEIGHT, 1024, 1 << 23, 5);
      int[] points = new int[n];
      for (int j = 0; j < ring.points.length; j++) {
        points[ring.owner(j)]++;
      }
      for (int i = 0; i < n; i++) {
        assertThat(points[i]).as("n=%d backend %d", n, i).isEqualTo(1024 * (i % 3 + 1));
      }
    }
  }

  private static int[] weightsOneToThree(int n) {
    int[] w = new int[n];
    for (int i = 0; i < n; i++) {
      w[i] = i % 3 + 1;
    }
    return w;
  }

  @Test
  void ringBounds_scaleThePointsByPowersOfTwo() {
    // 10,000 backends of weight 1000: 1024 x 10^7 points would exceed 2^23; 2^-11 brings them in.
    int[] heavy = new int[10_000];
    java.util.Arrays.fill(heavy, 1000);
    long[] counts = RingHashScheduler.pointCounts(heavy, 1024, 1024, 1 << 23);
    assertThat(counts[0]).isEqualTo(1024L * 1000 >> 11);
    assertThat(java.util.Arrays.stream(counts).sum()).isLessThanOrEqualTo(1 << 23);
    // Three backends of weight 1 with min-ring-size 65536: 3 x 1024 x 2^5 = 98304.
    assertThat(RingHashScheduler.pointCounts(new int[] {1, 1, 1}, 1024, 65_536, 1 << 23)).containsExactly(32_768, 32_768, 32_768);
    // The maximum wins over the minimum; every backend keeps one point.
    assertThat(RingHashScheduler.pointCounts(new int[] {1, 1, 1, 65_535}, 1024, 1 << 20, 100)).containsExactly(1, 1, 1, 63);
  }

  private static int[] ones(int n) {
    int[] w = new int[n];
    java.util.Arrays.fill(w, 1);
    return w;
  }

  @Test
  void lookup_findsTheFirstPointClockwise() {
    RingHashScheduler.Ring ring = RingHashScheduler.ring(Fixtures.backends(7).toArray(new Backend[0]), ones(7), 30, 1, 1 << 23, 3);
    java.util.SplittableRandom random = new java.util.SplittableRandom(1);
    for (int k = 0; k < 20_000; k++) {
      long h = random.nextLong();
      int expected = 0;
      for (int j = 0; j < ring.points.length; j++) {
        if ((ring.points[j] >>> 20) >= (h >>> 20)) {
          expected = j;
          break;
        }
      }
      assertThat(ring.find(h)).isEqualTo(expected);
    }
    for (int j = 1; j < ring.points.length; j++) {
      assertThat(Long.compareUnsigned(ring.points[j - 1], ring.points[j])).isNegative();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {20, 1000})
  void removingOneBackend_movesOnlyItsOwnFlows_andAddingItBackMovesOnlyThose(int n) {
    // Regression: the points per backend depended on n, so a removal moved other backends' flows.
    Scheduler before = Fixtures.create("ring-hash", SchedulerConfig.builder().seed(4).build());
    Scheduler after = Fixtures.create("ring-hash", SchedulerConfig.builder().seed(4).build());
    List<Backend> all = Fixtures.weighted(weightsOneToThree(n));
    List<Backend> fewer = new ArrayList<>(all);
    Backend removed = fewer.remove(n / 3);
    before.update(all);
    after.update(fewer);
    FlowKey[] flows = Fixtures.flows(200_000, 8);
    int moved = 0;
    for (FlowKey f : flows) {
      Backend was = before.select(f);
      Backend is = after.select(f);
      assertThat(is.id()).isNotEqualTo(removed.id());
      if (!was.id().equals(removed.id())) {
        assertThat(is.id()).as("a flow of %s", was.id()).isEqualTo(was.id());
      } else {
        moved++;
      }
    }
    double share = (double) removed.weight() / all.stream().mapToInt(Backend::weight).sum();
    assertThat((double) moved / flows.length).isCloseTo(share, org.assertj.core.data.Offset.offset(share * 0.25 + 0.002));
    after.update(all);
    for (FlowKey f : flows) {
      assertThat(after.select(f)).isEqualTo(before.select(f));
    }
  }

  @Test
  void boundedLoads_keepEveryBackendNearTheAverage() {
    SessionCounters counters = SessionCounters.create();
    Scheduler s = Fixtures.create("ring-hash", SchedulerConfig.builder().sessions(counters)
        .option("hash-balance-factor", "150").option("hash-key", "source-address").build());
    s.update(Fixtures.backends(8));
    for (int i = 0; i < 1600; i++) {
      counters.of(s.select(Fixtures.flow(i % 5, 2000 + i))).sessionOpened();
    }
    for (Backend b : s.backends()) {
      assertThat(counters.of(b).active()).isLessThanOrEqualTo((long) Math.ceil(1.5 * 1600 / 8) + 1);
    }
  }
}
