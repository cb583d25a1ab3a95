package io.github.lb4j.pool;

/**
 * How a leased request or connection ended, reported by {@link Lease#complete}.
 *
 * <p>Any thread; never allocates; never blocks.
 */
public enum Outcome {
  /** The backend served it (for HTTP, any status but 5xx). Resets the consecutive-failure count of outlier detection. */
  SUCCESS,
  /**
   * The backend failed it: a 5xx, a reset, a refused connection, a timeout waiting for the backend.
   * Counts towards outlier ejection (Envoy counts 5xx and connection errors alike).
   */
  FAILURE,
  /**
   * The caller abandoned it before an outcome (its own deadline, a cancelled call): only the
   * in-flight counts change; it counts neither for nor against the backend.
   */
  CANCELLED
}
