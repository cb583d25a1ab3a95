package io.github.lb4j.pool;

/**
 * Envoy's zone-aware routing state of one priority level ({@code
 * ZoneAwareLoadBalancerBase::regenerateLocalityRoutingStructures}, {@code earlyExitNonLocalityRouting}
 * and {@code tryChooseLocalLocalityHosts} in {@code source/common/upstream/load_balancer_impl.cc};
 * "Zone aware routing" in Envoy's architecture overview).
 *
 * <p>The callers (Envoy's local cluster) are spread over zones with percentages {@code local[i]};
 * the healthy backends with {@code upstream[i]} (both in 1/10,000). If the local zone holds at least
 * as large a share of the backends as of the callers, every request stays in the local zone: each
 * local backend gets at most the load it would get from an even spread. Otherwise the local zone
 * takes {@code upstream[local] / local[local]} of the requests and the rest spills to the other
 * zones in proportion to their residual capacity, {@code max(0, upstream[i] - local[i])}: every
 * backend again carries the same load, as if every caller balanced over all of them. Example
 * (Envoy's): callers 40 / 40 / 20 %, backends 25 / 50 / 25 %: the local zone keeps 62.5 % of its
 * callers' requests and sends the rest to the second zone (residual 10 %) and the third (5 %) as
 * 2 : 1.
 *
 * <p>Zone-aware routing does not apply (Envoy's early exits) when the level has fewer than two
 * zones with healthy backends, when the local zone has no healthy backend, when the level has
 * fewer than the minimum cluster size of backends (6 by default), or when no caller is counted.
 * Immutable; any thread.
 */
final class ZoneAware {

  /** Envoy's {@code min_cluster_size} default. */
  static final int DEFAULT_MIN_CLUSTER_SIZE = 6;

  /** The state that means "balance over every zone". */
  static final ZoneAware OFF = new ZoneAware(-1, 10_000, new long[0]);

  /** The local zone's index, or -1 when zone-aware routing does not apply. */
  final int localIndex;
  /** Of 10,000 requests, how many stay local; 10,000 is Envoy's LocalityDirect. */
  final int localPercentToRoute;
  /** Cumulative residual capacity per zone index (the local zone's entry adds 0). */
  final long[] residual;

  private ZoneAware(int localIndex, int localPercentToRoute, long[] residual) {
    this.localIndex = localIndex;
    this.localPercentToRoute = localPercentToRoute;
    this.residual = residual;
  }

  /**
   * Computes the state of a level.
   *
   * @param healthyPerZone healthy backends per zone index
   * @param callersPerZone callers per zone index (the same indexes)
   * @param localIndex the local zone's index, -1 when the level has no backend there
   * @param hosts every backend of the level, healthy or not
   * @param minClusterSize below this many backends, no zone-aware routing
   */
  static ZoneAware compute(int[] healthyPerZone, long[] callersPerZone, int localIndex, int hosts, int minClusterSize) {
    int zones = healthyPerZone.length;
    if (localIndex < 0 || hosts < minClusterSize || healthyPerZone[localIndex] == 0) {
      return OFF;
    }
    int zonesWithHealthy = 0;
    long healthyTotal = 0;
    long callersTotal = 0;
    for (int i = 0; i < zones; i++) {
      zonesWithHealthy += healthyPerZone[i] > 0 ? 1 : 0;
      healthyTotal += healthyPerZone[i];
      callersTotal += callersPerZone[i];
    }
    if (zonesWithHealthy < 2 || callersTotal == 0) {
      return OFF;
    }
    long[] upstream = new long[zones];
    long[] local = new long[zones];
    for (int i = 0; i < zones; i++) {
      upstream[i] = healthyPerZone[i] * 10_000L / healthyTotal;
      local[i] = callersPerZone[i] * 10_000L / callersTotal;
    }
    if (upstream[localIndex] >= local[localIndex]) {
      return new ZoneAware(localIndex, 10_000, new long[zones]);
    }
    int percent = (int) (upstream[localIndex] * 10_000 / local[localIndex]);
    long[] residual = new long[zones];
    long sum = 0;
    for (int i = 0; i < zones; i++) {
      if (i != localIndex && upstream[i] > local[i]) {
        sum += upstream[i] - local[i];
      }
      residual[i] = sum;
    }
    return new ZoneAware(localIndex, percent, residual);
  }

  boolean applies() {
    return localIndex >= 0;
  }

  /** The zone index for two independent draws; only when {@link #applies()}. */
  int choose(long draw, long draw2) {
    if (localPercentToRoute >= 10_000 || Long.remainderUnsigned(draw, 10_000) < localPercentToRoute) {
      return localIndex;
    }
    long total = residual[residual.length - 1];
    if (total == 0) {
      return localIndex;
    }
    long t = Long.remainderUnsigned(draw2, total);
    for (int i = 0; i < residual.length; i++) {
      if (t < residual[i]) {
        return i;
      }
    }
    return localIndex;
  }
}
