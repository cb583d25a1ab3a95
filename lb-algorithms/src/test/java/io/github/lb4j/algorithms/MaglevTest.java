package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.SessionCounters;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Maglev against the figures of NSDI'16 §3.4 and §5.3. */
class MaglevTest {

  private static final int M = MaglevScheduler.DEFAULT_TABLE_SIZE;

  private static int[] table(List<Backend> backends, long seed) {
    return MaglevScheduler.populate(backends.toArray(new Backend[0]),
        backends.stream().mapToInt(Backend::weight).toArray(), M, seed);
  }

  @Test
  void populate_givesEveryEqualBackendFloorOrCeilOfMOverNSlots() {
    for (int n : new int[] {1, 3, 10, 100, 1000}) {
      int[] entry = table(Fixtures.backends(n), 42);
      int[] count = new int[n];
      for (int e : entry) {
        count[e]++;
      }
      for (int c : count) {
        assertThat(c).as("slots of one of %d backends", n).isBetween(M / n, (M + n - 1) / n);
      }
    }
  }

  /** Envoy's weighted Maglev population as published: every backend scanned in every round. */
  private static int[] envoyRoundScan(Backend[] backends, int[] weights, int m, long seed) {
    int n = backends.length;
    int[] next = new int[n];
    int[] skip = new int[n];
    long[] target = new long[n];
    int maxWeight = 0;
    for (int i = 0; i < n; i++) {
      long h = Hashing.ofId(backends[i].id(), seed);
      next[i] = (int) Long.remainderUnsigned(io.github.lb4j.api.FlowHash.mix64(h ^ 0x4D41_474C_4556_0001L), m);
      skip[i] = (int) Long.remainderUnsigned(io.github.lb4j.api.FlowHash.mix64(h ^ 0x4D41_474C_4556_0002L), m - 1) + 1;
      maxWeight = Math.max(maxWeight, weights[i]);
    }
    int[] entry = new int[m];
    java.util.Arrays.fill(entry, -1);
    int filled = 0;
    for (long round = 1; filled < m; round++) {
      for (int i = 0; i < n && filled < m; i++) {
        if (round * weights[i] < target[i]) {
          continue;
        }
        target[i] += maxWeight;
        int c = next[i];
        while (entry[c] >= 0) {
          c = (c + skip[i]) % m;
        }
        entry[c] = i;
        next[i] = (c + skip[i]) % m;
        filled++;
      }
    }
    return entry;
  }

  @Test
  void populate_takesTurnsInEnvoysOrder_withoutScanningEveryRound() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    for (int trial = 0; trial < 20; trial++) {
      int n = 1 + random.nextInt(300);
      int m = new int[] {251, 4099, 65_537}[trial % 3];
      if (n > m) {
        continue;
      }
      Backend[] backends = Fixtures.backends(n).toArray(new Backend[0]);
      int[] weights = new int[n];
      for (int i = 0; i < n; i++) {
        weights[i] = trial % 2 == 0 ? 1 + random.nextInt(5) : 1 + random.nextInt(65_535);
      }
      assertThat(MaglevScheduler.populate(backends, weights, m, trial))
          .as("trial %d, n=%d, M=%d", trial, n, m).containsExactly(envoyRoundScan(backends, weights, m, trial));
    }
  }

  @Test
  void update_rejectsMoreBackendsThanTableSlots_namingTheOption() {
    Scheduler s = Fixtures.create("maglev", SchedulerConfig.builder().option("table-size", "251").build());
    assertThatThrownBy(() -> s.update(Fixtures.backends(252)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table-size").hasMessageContaining("252");
  }

  @Test
  void populate_givesSlotsInProportionToWeight() {
    List<Backend> backends = Fixtures.weighted(1, 2, 3, 4);
    int[] entry = table(backends, 1);
    int[] count = new int[4];
    for (int e : entry) {
      count[e]++;
    }
    for (int i = 0; i < 4; i++) {
      assertThat((double) count[i] / M).isCloseTo((i + 1) / 10.0, org.assertj.core.data.Offset.offset(0.001));
    }
  }

  @Test
  void removingOneOfNBackends_movesCloseToOneNthOfTheSlots() {
    int n = 100;
    List<Backend> all = Fixtures.backends(n);
    int[] before = table(all, 9);
    for (int removedIndex : new int[] {0, 37, 50, 99}) {
      List<Backend> fewer = new ArrayList<>(all);
      Backend removed = fewer.remove(removedIndex);
      int[] after = table(fewer, 9);
      int moved = 0;
      int ownMoved = 0;
      for (int s = 0; s < M; s++) {
        String was = all.get(before[s]).id();
        if (!was.equals(fewer.get(after[s]).id())) {
          moved++;
          ownMoved += was.equals(removed.id()) ? 1 : 0;
        }
      }
      // Every slot of the removed backend moves (1/N); Maglev trades a little more disruption for
      // its perfect balance (NSDI'16 §5.3): with M = 65537 and N = 100, well under twice 1/N.
      assertThat(ownMoved).isBetween(M / n, M / n + 1);
      assertThat((double) moved / M).as("removing b%d", removedIndex).isBetween(1.0 / n, 2.0 / n);
    }
  }

  @Test
  void create_rejectsATableSizeThatIsNotPrime() {
    assertThatThrownBy(() -> Fixtures.create("maglev", SchedulerConfig.builder().option("table-size", "65536").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table-size=65536").hasMessageContaining("prime");
    assertThat(Fixtures.create("maglev", SchedulerConfig.builder().option("table-size", "251").build())).isNotNull();
  }

  @Test
  void boundedLoads_keepEveryBackendNearTheAverage() {
    SessionCounters counters = SessionCounters.create();
    Scheduler s = Fixtures.create("maglev", SchedulerConfig.builder().sessions(counters).seed(5)
        .option("hash-balance-factor", "125").option("hash-key", "source-address").build());
    int n = 10;
    s.update(Fixtures.backends(n));
    // Few clients, many flows each: plain Maglev would pile a client's flows onto one backend.
    FlowKey[] flows = new FlowKey[2000];
    for (int i = 0; i < flows.length; i++) {
      flows[i] = Fixtures.flow(i % 7, 1000 + i);
    }
    for (FlowKey f : flows) {
      counters.of(s.select(f)).sessionOpened();
    }
    for (Backend b : s.backends()) {
      assertThat(counters.of(b).active()).isLessThanOrEqualTo((long) Math.ceil(1.25 * flows.length / n) + 1);
    }
  }

  @Test
  void create_rejectsABalanceFactorAtOrBelow100() {
    assertThatThrownBy(() -> Fixtures.create("maglev", SchedulerConfig.builder().option("hash-balance-factor", "90").build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hash-balance-factor=90");
  }
}
