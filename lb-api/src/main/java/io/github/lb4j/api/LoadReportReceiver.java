package io.github.lb4j.api;

/**
 * A {@link Scheduler} that adapts its weights to the load its backends report about themselves,
 * as gRPC's weighted_round_robin does with ORCA backend metrics (gRFC A51 for the reports, A58
 * for the weights). Whoever sees the reports (a response trailer read by a proxy or a lease, an
 * out-of-band stream) passes them on; schedulers that adapt implement this interface, so callers
 * test {@code scheduler instanceof LoadReportReceiver}.
 *
 * <p>Any thread may call {@link #reportLoad}, concurrently with {@code select} and {@code update};
 * it is lock-free, never blocks and never allocates. Times come from the scheduler's configured
 * {@link NanoClock}.
 */
public interface LoadReportReceiver {

  /**
   * Passes on one load report of a backend (ORCA's {@code rps_fractional}, {@code eps}, {@code
   * cpu_utilization} and {@code application_utilization}). Reports with a non-positive rate or
   * utilization carry no weight and are ignored, as in A58.
   *
   * @param backendId the id of the backend that reported
   * @param qps the requests per second it served, 0 or more
   * @param eps the errors per second among them, 0 or more
   * @param cpuUtilization its CPU utilization, for example 0.5 for half its CPU
   * @param applicationUtilization its own measure of utilization, used instead of the CPU's when
   *     positive; 0 when it reports none
   * @return whether the backend is one this scheduler balances over (reports of others are dropped)
   */
  boolean reportLoad(String backendId, double qps, double eps, double cpuUtilization, double applicationUtilization);

  /**
   * What the weight recomputations ("scheduler updates" in gRFC A78) have found so far, counted as
   * gRPC's weighted_round_robin counts them for its metrics {@code grpc.lb.wrr.rr_fallback}, {@code
   * grpc.lb.wrr.endpoint_weight_not_yet_usable} and {@code grpc.lb.wrr.endpoint_weight_stale}.
   * Cumulative since the scheduler was created; every field only grows.
   *
   * @param updates weight recomputations (at each membership update and each weight-update period)
   * @param roundRobinFallbacks recomputations that found fewer than two usable weights, so that the
   *     picks were plain round robin
   * @param notYetUsable endpoints, summed over the recomputations, without a usable weight yet: no
   *     load report received, or reports for less than the blackout period
   * @param stale endpoints, summed over the recomputations, whose latest report is older than the
   *     weight expiration period
   */
  record WeightUpdates(long updates, long roundRobinFallbacks, long notYetUsable, long stale) {

    /** No recomputation at all: what a scheduler that does not count reports. */
    public static final WeightUpdates NONE = new WeightUpdates(0, 0, 0, 0);

    /**
     * Adds two counts (of two scheduler instances balancing for one pool).
     *
     * @param o the other counts
     * @return the sums
     */
    public WeightUpdates plus(WeightUpdates o) {
      return new WeightUpdates(updates + o.updates, roundRobinFallbacks + o.roundRobinFallbacks,
          notYetUsable + o.notYetUsable, stale + o.stale);
    }
  }

  /**
   * Returns what the weight recomputations found so far. Any thread; allocates the record; never
   * blocks. The default, for receivers that do not count, is {@link WeightUpdates#NONE}.
   *
   * @return the counts
   */
  default WeightUpdates weightUpdates() {
    return WeightUpdates.NONE;
  }
}
