package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthState;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Envoy's subset load balancer through the pool: selectors, subsets and the three fallbacks. */
class SubsetRoutingTest {

  static List<Backend> labelled() {
    return List.of(
        Fixtures.backend("v1-a", 1).withLabels(Map.of("version", "v1", "stage", "prod")),
        Fixtures.backend("v1-b", 2).withLabels(Map.of("version", "v1", "stage", "prod")),
        Fixtures.backend("v2-a", 3).withLabels(Map.of("version", "v2", "stage", "canary")),
        Fixtures.backend("none", 4));
  }

  static Set<String> seen(BackendPool pool, Subset subset) {
    Set<String> out = new HashSet<>();
    for (long k = 0; k < 200; k++) {
      Lease l = subset == null ? pool.pick(k) : pool.pick(k, subset);
      if (l.isGranted()) {
        out.add(l.backendId());
        l.complete(Outcome.SUCCESS, 0);
      } else {
        out.add(l.status().name());
      }
    }
    return out;
  }

  @Test
  void subset_balancesOverMatchingBackendsOnly() {
    try (BackendPool pool = BackendPool.builder().backends(labelled())
        .subsets(List.of(Set.of("version"), Set.of("version", "stage")), SubsetFallback.NO_FALLBACK, Map.of()).build()) {
      assertThat(seen(pool, Subset.of("version", "v1"))).containsExactlyInAnyOrder("v1-a", "v1-b");
      assertThat(seen(pool, Subset.of(Map.of("version", "v2", "stage", "canary")))).containsExactly("v2-a");
      // Keys that are no selector's, values no backend has, and no subset at all: NO_FALLBACK.
      assertThat(seen(pool, Subset.of("stage", "prod"))).containsExactly("NO_BACKEND");
      assertThat(seen(pool, Subset.of("version", "v3"))).containsExactly("NO_BACKEND");
      assertThat(seen(pool, null)).containsExactly("NO_BACKEND");
    }
  }

  @Test
  void subsetWithoutHealthyBackend_refuses_withoutFallingBack() {
    try (BackendPool pool = BackendPool.builder().backends(labelled())
        .subsets(List.of(Set.of("version")), SubsetFallback.ANY_ENDPOINT, Map.of()).build()) {
      pool.reportHealth("v2-a", HealthState.DOWN, "t").join();
      assertThat(seen(pool, Subset.of("version", "v2"))).containsExactly("NO_BACKEND");
      pool.reportHealth("v2-a", HealthState.UP, "t").join();
      assertThat(seen(pool, Subset.of("version", "v2"))).containsExactly("v2-a");
    }
  }

  @Test
  void anyEndpointFallback_usesTheWholePool() {
    try (BackendPool pool = BackendPool.builder().backends(labelled())
        .subsets(List.of(Set.of("version")), SubsetFallback.ANY_ENDPOINT, Map.of()).build()) {
      assertThat(seen(pool, Subset.of("version", "v9"))).containsExactlyInAnyOrder("v1-a", "v1-b", "v2-a", "none");
      assertThat(seen(pool, null)).containsExactlyInAnyOrder("v1-a", "v1-b", "v2-a", "none");
    }
  }

  @Test
  void defaultSubsetFallback_usesBackendsWithTheDefaultLabels() {
    try (BackendPool pool = BackendPool.builder().backends(labelled())
        .subsets(List.of(Set.of("version")), SubsetFallback.DEFAULT_SUBSET, Map.of("stage", "prod")).build()) {
      assertThat(seen(pool, Subset.of("version", "v9"))).containsExactlyInAnyOrder("v1-a", "v1-b");
      assertThat(seen(pool, null)).containsExactlyInAnyOrder("v1-a", "v1-b");
      assertThat(seen(pool, Subset.of("version", "v2"))).containsExactly("v2-a");
    }
  }

  @Test
  void membershipChanges_reachTheSubsets() {
    DynamicMembership members = new DynamicMembership();
    try (BackendPool pool = BackendPool.builder().membership(members)
        .subsets(List.of(Set.of("version")), SubsetFallback.NO_FALLBACK, Map.of()).build()) {
      members.set(labelled());
      pool.flush().join();
      assertThat(seen(pool, Subset.of("version", "v2"))).containsExactly("v2-a");
      members.put(Fixtures.backend("v2-b", 9).withLabel("version", "v2"));
      pool.flush().join();
      assertThat(seen(pool, Subset.of("version", "v2"))).containsExactlyInAnyOrder("v2-a", "v2-b");
      members.put(Fixtures.backend("v2-a", 3).withLabel("version", "v1"));
      pool.flush().join();
      assertThat(seen(pool, Subset.of("version", "v2"))).containsExactly("v2-b");
    }
  }

  @Test
  void badSubsetConfig_isRefusedClearly() {
    assertThatThrownBy(() -> BackendPool.builder().subsets(List.of(), SubsetFallback.ANY_ENDPOINT, Map.of()))
        .hasMessageContaining("at least one selector");
    assertThatThrownBy(() -> BackendPool.builder().subsets(List.of(Set.of()), SubsetFallback.ANY_ENDPOINT, Map.of()))
        .hasMessageContaining("at least one label key");
    assertThatThrownBy(() -> Subset.of(Map.of())).hasMessageContaining("at least one label");
  }
}
