package io.github.lb4j.nat.flow;

/**
 * The event counters of a {@link FlowTable}.
 *
 * <p>Any thread; never allocates, never blocks.
 */
public enum FlowCounter {
  /** Flows created in a free slot. */
  INSERTED,
  /** Flows created by reusing the slot of an expired flow. */
  REUSED_EXPIRED,
  /** Flows created by evicting a flow that may be evicted (unreplied half-open ones first). */
  EVICTED,
  /** New flows that found their window full of flows that may not be evicted. */
  TABLE_FULL,
  /** New flows refused because the new-flow rate was above the configured limit (the Katran fallback). */
  RATE_LIMITED,
  /**
   * New flows admitted above the new-flow rate by {@link FlowTable#admit} (modes whose replies need
   * state, which cannot forward a new flow without it).
   */
  ADMITTED_ABOVE_RATE,
  /** Flows freed because their timeout passed (at lookup, insert or sweep). */
  EXPIRED,
  /** Flows freed by {@link FlowTable#close(int)}. */
  CLOSED,
  /** Lookups that found a live flow. */
  HITS,
  /** Lookups that found none. */
  MISSES
}
