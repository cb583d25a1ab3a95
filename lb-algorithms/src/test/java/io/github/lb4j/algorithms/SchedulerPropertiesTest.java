package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Scheduler invariants over generated memberships (jqwik). */
class SchedulerPropertiesTest {

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.of(Fixtures.NAMES);
  }

  @Property(tries = 300)
  void select_onlyEverReturnsAServingBackendOfTheLastUpdate(@ForAll("names") String name,
      @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 0, max = 6) Integer> firstWeights,
      @ForAll @Size(min = 0, max = 40) List<@IntRange(min = 0, max = 6) Integer> secondWeights,
      @ForAll long seed) {
    Scheduler s = Fixtures.create(name, SchedulerConfig.builder().seed(seed).build());
    s.update(members("first", firstWeights));
    FlowKey[] flows = Fixtures.flows(64, seed);
    for (FlowKey f : flows) {
      s.select(f);
    }
    List<Backend> second = members("second", secondWeights);
    // Keep some ids across the two updates, as real membership changes do.
    for (int i = 0; i < Math.min(firstWeights.size(), secondWeights.size()) / 2; i++) {
      second.set(i, Fixtures.backend("first" + i, secondWeights.get(i)));
    }
    s.update(second);
    Set<String> serving = new HashSet<>();
    for (Backend b : second) {
      if (b.weight() > 0) {
        serving.add(b.id());
      }
    }
    for (FlowKey f : flows) {
      Backend b = s.select(f);
      if (serving.isEmpty()) {
        assertThat(b).isNull();
      } else {
        assertThat(b).isNotNull();
        assertThat(b.id()).isIn(serving);
      }
    }
  }

  @Property(tries = 200)
  void maglev_givesEveryEqualBackendFloorOrCeilOfMOverN(@ForAll @IntRange(min = 1, max = 500) int n, @ForAll long seed) {
    int m = 4099;
    List<Backend> backends = Fixtures.backends(n);
    int[] weights = new int[n];
    java.util.Arrays.fill(weights, 1);
    int[] entry = MaglevScheduler.populate(backends.toArray(new Backend[0]), weights, m, seed);
    int[] count = new int[n];
    for (int e : entry) {
      count[e]++;
    }
    for (int c : count) {
      assertThat(c).isBetween(m / n, (m + n - 1) / n);
    }
  }

  private static List<Backend> members(String prefix, List<Integer> weights) {
    List<Backend> out = new ArrayList<>();
    for (int i = 0; i < weights.size(); i++) {
      out.add(Fixtures.backend(prefix + i, weights.get(i)));
    }
    return out;
  }
}
