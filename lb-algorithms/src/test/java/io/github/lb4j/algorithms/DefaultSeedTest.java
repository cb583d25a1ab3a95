package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Without an explicit seed every scheduler instance draws its own random seed; with one, instances
 * agree (several balancers behind ECMP). Regression for a default seed of 0 shared by every
 * instance: two default {@code random} schedulers drew the same stream, every default round robin
 * started on the same backend (grpc-java #4462) and {@code jump} equalled Guava's consistentHash
 * of {@code hash64()}, so anyone could precompute the flows that land on one backend.
 */
class DefaultSeedTest {

  /** Every algorithm whose choices depend on the seed: hashes, random draws, round-robin starts. */
  static List<String> seeded() {
    List<String> out = new ArrayList<>(Fixtures.NAMES);
    // The connection counters, failover and lblc choose by load, order and weight only.
    out.removeAll(List.of("least-connections", "weighted-least-connections", "shortest-expected-delay",
        "never-queue", "failover", "locality-least-connections"));
    return out;
  }

  private static List<String> picks(Scheduler s, FlowKey[] flows) {
    List<String> out = new ArrayList<>(flows.length);
    for (FlowKey f : flows) {
      out.add(s.select(f).id());
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("seeded")
  void defaultInstances_chooseDifferently_evenFromOneConfiguration(String name) {
    List<Backend> set = Fixtures.weighted(1, 2, 3, 1, 2, 3, 1, 2);
    FlowKey[] flows = Fixtures.flows(200, 31);
    SchedulerConfig shared = SchedulerConfig.defaults();
    Set<List<String>> sequences = new HashSet<>();
    for (int i = 0; i < 8; i++) {
      Scheduler s = Schedulers.create(name, i % 2 == 0 ? shared : SchedulerConfig.defaults());
      s.update(set);
      sequences.add(picks(s, flows));
    }
    assertThat(sequences).as("%s: eight default instances, distinct choice sequences", name).hasSizeGreaterThan(1);
  }

  @ParameterizedTest
  @MethodSource("seeded")
  void instancesWithTheSameExplicitSeed_chooseAlike(String name) {
    List<Backend> set = Fixtures.weighted(1, 2, 3, 1, 2, 3, 1, 2);
    FlowKey[] flows = Fixtures.flows(500, 32);
    Scheduler a = Schedulers.create(name, SchedulerConfig.builder().seed(0x5EED).build());
    Scheduler b = Schedulers.create(name, SchedulerConfig.builder().seed(0x5EED).build());
    a.update(set);
    b.update(set);
    assertThat(picks(a, flows)).isEqualTo(picks(b, flows));
  }

  @Test
  void defaultRoundRobins_startOnDifferentBackends() {
    Set<String> firsts = new HashSet<>();
    for (int i = 0; i < 64; i++) {
      Scheduler s = Fixtures.create("round-robin");
      s.update(Fixtures.backends(4));
      firsts.add(s.select(Fixtures.flow(1, 1)).id());
    }
    // 64 restarted clients: the herd of grpc-java #4462 would put every first pick on one backend.
    assertThat(firsts).containsExactlyInAnyOrder("b0", "b1", "b2", "b3");
  }

  @Test
  void defaultJump_isNotGuavaConsistentHashOfTheUnseededFlowHash() {
    int n = 10;
    Scheduler s = Fixtures.create("jump");
    List<Backend> set = Fixtures.backends(n);
    s.update(set);
    int same = 0;
    FlowKey[] flows = Fixtures.flows(1000, 33);
    for (FlowKey f : flows) {
      int guava = com.google.common.hash.Hashing.consistentHash(f.hash64(), n);
      same += s.select(f).id().equals("b" + guava) ? 1 : 0;
    }
    // An unpredictable seed agrees with the public function about as often as chance, 1 in n.
    assertThat(same).isLessThan(flows.length / 4);
    Scheduler zero = Fixtures.create("jump", SchedulerConfig.builder().seed(0).build());
    zero.update(set);
    for (FlowKey f : flows) {
      assertThat(zero.select(f).id()).isEqualTo("b" + com.google.common.hash.Hashing.consistentHash(f.hash64(), n));
    }
  }

  @Test
  void defaultRandoms_drawDifferentStreams() {
    Scheduler a = Fixtures.create("random");
    Scheduler b = Fixtures.create("random");
    a.update(Fixtures.backends(16));
    b.update(Fixtures.backends(16));
    FlowKey[] flows = Fixtures.flows(64, 34);
    assertThat(picks(a, flows)).isNotEqualTo(picks(b, flows));
  }
}
