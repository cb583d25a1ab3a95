package io.github.lb4j.api;

/**
 * The health of a backend as a monitor sees it after applying rise and fall thresholds.
 *
 * <p>Any thread may use it; it never allocates and never blocks.
 */
public enum HealthState {
  /** Not yet decided: no check has completed since the backend was added. */
  UNKNOWN,
  /** Passed {@code rise} consecutive checks: receives traffic. */
  UP,
  /** Failed {@code fall} consecutive checks, or was ejected by outlier detection: no new traffic. */
  DOWN
}
