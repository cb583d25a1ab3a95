package io.github.lb4j.pool;

/**
 * How much of the traffic each priority level takes: Envoy's priority load computation, to the
 * integer ({@code LoadBalancerBase::recalculatePerPriorityState}, {@code distributeLoad} and
 * {@code recalculateLoadInTotalPanic} in {@code source/common/upstream/load_balancer_impl.cc};
 * "Priority levels", "Overprovisioning factor" and "Degraded endpoints" in Envoy's architecture
 * overview).
 *
 * <p>A level's <em>health</em> is {@code min(100, factor x healthy / hosts)} percent with the
 * over-provisioning factor in percent (140 by default), so a level keeps all of the traffic it
 * can take until fewer than 100 / 1.4 = 72 % of its hosts are healthy; its <em>degraded
 * availability</em> is the same over its degraded hosts. The total availability is the sum of
 * both over every level, capped at 100. When it is below 100 the loads are normalized by it, so
 * that the whole 100 % is still placed: levels take {@code min(left, health x 100 / total)} from
 * the highest down, then degraded hosts the same from what is left, and a remainder of rounding
 * goes to the first level with healthy hosts (else with degraded ones). Example (Envoy's table):
 * one level with 71 % healthy and 29 % degraded hosts sends 99 % to the healthy and 1 % to the
 * degraded ones; with 5 % healthy and 95 % unhealthy, 100 % to the healthy ones.
 *
 * <p>When no level has a healthy or degraded host the total availability is 0: Envoy is then in
 * total panic and spreads the load over the levels by host count ({@link #byHostCount}).
 *
 * <p>Static functions; any thread; they allocate their answer only.
 */
final class PriorityLoad {

  /** Envoy's default over-provisioning factor, in percent. */
  static final int DEFAULT_OVERPROVISIONING_PERCENT = 140;

  private PriorityLoad() {}

  /** A level's availability of {@code available} hosts among {@code hosts}, in percent (0 to 100). */
  static int availability(int available, int hosts, int overprovisioningPercent) {
    if (hosts == 0) {
      return 0;
    }
    return (int) Math.min(100L, (long) overprovisioningPercent * available / hosts);
  }

  /**
   * The percentage of traffic each level sends to its healthy hosts ({@code [0]}) and to its
   * degraded hosts ({@code [1]}); the two arrays sum to 100, or to 0 when no level is available.
   *
   * @param hosts the hosts of each level (healthy, degraded or neither)
   * @param healthy the healthy hosts of each level
   * @param degraded the degraded hosts of each level
   * @param overprovisioningPercent 100 or more; Envoy's default is 140
   */
  static int[][] compute(int[] hosts, int[] healthy, int[] degraded, int overprovisioningPercent) {
    int levels = hosts.length;
    int[] health = new int[levels];
    int[] degradedAvailability = new int[levels];
    int sum = 0;
    for (int p = 0; p < levels; p++) {
      health[p] = availability(healthy[p], hosts[p], overprovisioningPercent);
      degradedAvailability[p] = availability(degraded[p], hosts[p], overprovisioningPercent);
      sum += health[p] + degradedAvailability[p];
    }
    int[] healthyLoad = new int[levels];
    int[] degradedLoad = new int[levels];
    int total = Math.min(100, sum);
    if (total == 0) {
      return new int[][] {healthyLoad, degradedLoad};
    }
    int left = 100;
    int firstHealthy = -1;
    for (int p = 0; p < levels; p++) {
      if (firstHealthy < 0 && health[p] > 0) {
        firstHealthy = p;
      }
      healthyLoad[p] = Math.min(left, health[p] * 100 / total);
      left -= healthyLoad[p];
    }
    int firstDegraded = -1;
    for (int p = 0; p < levels; p++) {
      if (firstDegraded < 0 && degradedAvailability[p] > 0) {
        firstDegraded = p;
      }
      degradedLoad[p] = Math.min(left, degradedAvailability[p] * 100 / total);
      left -= degradedLoad[p];
    }
    if (left > 0) {
      if (firstHealthy >= 0) {
        healthyLoad[firstHealthy] += left;
      } else {
        degradedLoad[firstDegraded] += left;
      }
    }
    return new int[][] {healthyLoad, degradedLoad};
  }

  /**
   * Envoy's total panic: each level's share of the hosts, in percent, the rounding remainder to
   * the first level that has hosts; all zeros when there is no host.
   */
  static int[] byHostCount(int[] hosts) {
    long all = 0;
    for (int h : hosts) {
      all += h;
    }
    int[] load = new int[hosts.length];
    if (all == 0) {
      return load;
    }
    int left = 100;
    int first = -1;
    for (int p = 0; p < hosts.length; p++) {
      if (first < 0 && hosts[p] > 0) {
        first = p;
      }
      load[p] = (int) (100L * hosts[p] / all);
      left -= load[p];
    }
    load[first] += left;
    return load;
  }

  /**
   * Envoy's per-level panic: a level panics (balances over all its hosts, healthy or not) when the
   * levels together cannot take the whole load and its own healthy and degraded share is below the
   * panic threshold ({@code recalculatePerPriorityPanic}, {@code isHostSetInPanic}).
   *
   * @param panicThresholdPercent 0 (never) to 100
   */
  static boolean inPanic(int hosts, int available, boolean totalBelow100, int panicThresholdPercent) {
    if (!totalBelow100 || hosts == 0 || panicThresholdPercent == 0) {
      return false;
    }
    return 100.0 * available / hosts < panicThresholdPercent;
  }
}
