package io.github.lb4j.pool;

/**
 * The pool's counters at one moment.
 *
 * <p>Immutable; any thread may use it. Never blocks.
 *
 * @param activeRequests request leases granted and not completed
 * @param activeConnections connection leases granted and not completed
 * @param activeRetries retry leases (picks with exclusions) granted and not completed
 * @param retries retry picks granted since the pool started
 * @param noBackend picks refused with {@link PickStatus#NO_BACKEND}
 * @param allExcluded picks refused with {@link PickStatus#ALL_EXCLUDED}
 * @param limited picks refused with {@link PickStatus#LIMIT}
 * @param budgetExhausted retries refused with {@link PickStatus#BUDGET}
 * @param circuitOpen picks refused with {@link PickStatus#CIRCUIT_OPEN}
 * @param doubleCompletions completions of a lease already completed, refused: by the lease itself for
 *     connection leases and tracked request leases, by the backend's in-flight count for shared
 *     request tokens (see {@link Lease})
 */
public record PoolStats(long activeRequests, long activeConnections, long activeRetries, long retries,
    long noBackend, long allExcluded, long limited, long budgetExhausted, long circuitOpen, long doubleCompletions) {}
