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
}
