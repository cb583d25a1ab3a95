package io.github.lb4j.pool;

/**
 * The answer of a pick: a backend was leased, or the reason why none was.
 *
 * <p>Refusals are values, as Aeron's {@code Publication.offer} codes and gRPC's {@code
 * PickResult.withNoResult()} are: the pool never returns {@code null} and never throws for the
 * state of its backends. Any thread; never allocates; never blocks.
 */
public enum PickStatus {
  /** A backend was leased; {@link Lease#backend()} names it. */
  OK,
  /** No backend is eligible: none configured, all down, drained or in maintenance (fail closed). */
  NO_BACKEND,
  /** Every eligible backend was excluded by the caller (a retry that has tried them all). */
  ALL_EXCLUDED,
  /**
   * Every eligible backend that was not excluded is at its per-backend limit (HAProxy {@code
   * maxconn}); the request could be queued or retried later.
   */
  LIMIT,
  /** A retry was refused because the retry budget is spent (Envoy {@code retry_budget}). */
  BUDGET,
  /** The pool-wide circuit breaker is open: the pool's limit of concurrent requests or connections is reached (Envoy {@code max_requests}, {@code max_connections}). */
  CIRCUIT_OPEN,
  /** The pool is closed. */
  CLOSED
}
