package io.github.lb4j.pool;

import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import org.jspecify.annotations.Nullable;

/**
 * The pool's grouping settings, fixed at build: over-provisioning, locality weights or zone-aware
 * routing, subsets. Immutable; any thread.
 *
 * @param overprovisioningPercent Envoy's over-provisioning factor in percent, 100 or more
 * @param localityWeights weight per zone for locality-weighted balancing, or {@code null} when off
 * @param localZone the callers' zone for zone-aware routing, or {@code null} when off
 * @param callersPerZone the callers per zone (Envoy's local cluster), or {@code null} to take the
 *     backends' own spread
 * @param minClusterSize below this many backends at priority 0, no zone-aware routing
 * @param selectors the label key sets that define subsets, empty when subsets are off
 * @param fallback what a pick does when its subset matches no selector or none was given
 * @param defaultSubset the labels of the default subset ({@link SubsetFallback#DEFAULT_SUBSET})
 */
record RoutingConfig(int overprovisioningPercent, @Nullable Map<String, Integer> localityWeights,
    @Nullable String localZone, @Nullable Map<String, Integer> callersPerZone, int minClusterSize,
    List<SortedSet<String>> selectors, SubsetFallback fallback, Map<String, String> defaultSubset) {

  static final RoutingConfig DEFAULT = new RoutingConfig(PriorityLoad.DEFAULT_OVERPROVISIONING_PERCENT, null, null, null,
      ZoneAware.DEFAULT_MIN_CLUSTER_SIZE, List.of(), SubsetFallback.NO_FALLBACK, Map.of());

  boolean zoned() {
    return localityWeights != null || localZone != null;
  }

  boolean subsets() {
    return !selectors.isEmpty();
  }

  /** Whether a pool of priority-0, non-degraded backends still needs routes. */
  boolean anyFeature() {
    return zoned() || subsets();
  }
}
