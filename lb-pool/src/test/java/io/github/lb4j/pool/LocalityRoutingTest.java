package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Locality-weighted balancing and zone-aware routing through the pool. Ids are zone-index. */
class LocalityRoutingTest {

  /** {@code perZone[i]} backends in zone z{i}, ids "z{i}-{k}". */
  static List<Backend> zones(int... perZone) {
    List<Backend> out = new ArrayList<>();
    int last = 1;
    for (int z = 0; z < perZone.length; z++) {
      for (int k = 0; k < perZone[z]; k++) {
        out.add(Fixtures.backend("z" + z + "-" + k, last++).withZone("z" + z));
      }
    }
    return out;
  }

  @Test
  void localityWeights_splitByWeightTimesAvailability() {
    for (String scheduler : List.of("maglev", "round-robin")) {
      try (BackendPool pool = BackendPool.builder().scheduler(scheduler)
          .localityWeightedBalancing(Map.of("z0", 1, "z1", 3)).backends(zones(4, 4)).build()) {
        Map<String, Double> s = PriorityRoutingTest.shares(pool);
        assertThat(s.get("z0")).as(scheduler).isCloseTo(25.0, offset(1.0));
        assertThat(s.get("z1")).as(scheduler).isCloseTo(75.0, offset(1.0));
        // z1 loses 2 of 4: availability min(1, 1.4 x 0.5) = 0.7 -> weights 1 : 2.1.
        pool.reportHealth("z1-0", HealthState.DOWN, "t").join();
        pool.reportHealth("z1-1", HealthState.DOWN, "t").join();
        s = PriorityRoutingTest.shares(pool);
        assertThat(s.get("z1")).as(scheduler).isCloseTo(100 * 2.1 / 3.1, offset(1.0));
      }
    }
  }

  @Test
  void localityWithoutWeight_takesNothing() {
    try (BackendPool pool = BackendPool.builder().scheduler("maglev")
        .localityWeightedBalancing(Map.of("z0", 5)).backends(zones(2, 2)).build()) {
      assertThat(PriorityRoutingTest.shares(pool)).containsOnlyKeys("z0");
    }
  }

  @Test
  void zoneAware_staysLocalWhileLocalShareHolds_thenSpillsTheResidual() {
    try (BackendPool pool = BackendPool.builder().scheduler("maglev").zoneAwareRouting("z0")
        .backends(zones(4, 4)).build()) {
      assertThat(PriorityRoutingTest.shares(pool)).containsOnlyKeys("z0");
      // Local zone: 2 of 4 healthy; callers as the backends, 50/50. Upstream 2/6 = 33.33 %:
      // local keeps 3333/5000 = 66.66 %, the rest to z1.
      pool.reportHealth("z0-0", HealthState.DOWN, "t").join();
      pool.reportHealth("z0-1", HealthState.DOWN, "t").join();
      Map<String, Double> s = PriorityRoutingTest.shares(pool);
      assertThat(s.get("z0")).isCloseTo(66.66, offset(1.0));
      assertThat(s.get("z1")).isCloseTo(33.33, offset(1.0));
    }
  }

  @Test
  void zoneAware_withCallersGiven_followsEnvoysExample() {
    try (BackendPool pool = BackendPool.builder().scheduler("round-robin")
        .zoneAwareRouting("z0", Map.of("z0", 40, "z1", 40, "z2", 20)).backends(zones(5, 10, 5)).build()) {
      Map<String, Double> s = PriorityRoutingTest.shares(pool);
      assertThat(s.get("z0")).isCloseTo(62.5, offset(1.0));
      assertThat(s.get("z1")).isCloseTo(25.0, offset(1.0));
      assertThat(s.get("z2")).isCloseTo(12.5, offset(1.0));
    }
  }

  @Test
  void zoneAware_smallClusters_spreadOverAllZones() {
    try (BackendPool pool = BackendPool.builder().scheduler("maglev").zoneAwareRouting("z0")
        .backends(zones(2, 2)).build()) {
      Map<String, Double> s = PriorityRoutingTest.shares(pool);
      assertThat(s.get("z0")).isCloseTo(50.0, offset(1.5));
    }
    try (BackendPool pool = BackendPool.builder().scheduler("maglev").zoneAwareRouting("z0").zoneAwareMinClusterSize(4)
        .backends(zones(2, 2)).build()) {
      assertThat(PriorityRoutingTest.shares(pool)).containsOnlyKeys("z0");
    }
  }

  @Test
  void bothLocalityModes_areRefused() {
    assertThatThrownBy(() -> BackendPool.builder().zoneAwareRouting("a").localityWeightedBalancing(Map.of("a", 1))
        .backends(zones(1)).build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("choose one");
    assertThatThrownBy(() -> BackendPool.builder().localityWeightedBalancing(Map.of("a", -1)))
        .hasMessageContaining("zone 'a'");
    assertThatThrownBy(() -> BackendPool.builder().overprovisioningFactor(0.5)).hasMessageContaining("0.5");
  }
}
