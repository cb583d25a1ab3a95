package io.github.lb4j.pool;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One change of one backend, with its cause, as told to every {@link PoolListener}.
 *
 * <p>Immutable; any thread may use it. Never blocks.
 *
 * @param cause what made the change
 * @param backendId the backend's id
 * @param before the state before, {@code null} when the backend was just added
 * @param after the state after, {@code null} when the backend was just removed
 * @param detail a human-readable explanation: the health check's result, the ejection's reason,
 *     the administrative request
 */
public record Transition(Cause cause, String backendId, @Nullable BackendState before, @Nullable BackendState after,
    String detail) {

  /** What made a backend change. Any thread; never allocates. */
  public enum Cause {
    /** The membership added the backend. */
    ADDED,
    /** The membership removed the backend; requests in flight continue and end on it. */
    REMOVED,
    /** The membership changed the backend's definition (address, port, weight, metadata). */
    UPDATED,
    /** Active health checks moved it between UNKNOWN, UP and DOWN (rise and fall reached). */
    HEALTH_CHECK,
    /** The embedder reported a health change ({@link BackendPool#reportHealth}). */
    HEALTH_REPORT,
    /** Outlier detection ejected it. */
    EJECTED,
    /** Its ejection time ended. */
    UNEJECTED,
    /** An operator changed its administrative state. */
    ADMIN_STATE,
    /** An operator set or cleared its administrative weight. */
    ADMIN_WEIGHT,
    /**
     * The last request or connection in flight on a backend that stopped serving (drain,
     * maintenance, removal, down) ended: it can be stopped safely. Before and after are equal.
     */
    DRAINED
  }

  /**
   * Checks the components.
   *
   * @throws NullPointerException when a required component is null
   */
  public Transition {
    Objects.requireNonNull(cause, "cause");
    Objects.requireNonNull(backendId, "backendId");
    Objects.requireNonNull(detail, "detail");
  }
}
