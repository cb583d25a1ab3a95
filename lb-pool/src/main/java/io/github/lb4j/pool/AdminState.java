package io.github.lb4j.pool;

/**
 * The administrative state of a backend, set by an operator through {@link
 * BackendPool#setAdminState}; HAProxy's {@code set server state ready|drain|maint}.
 *
 * <p>Any thread; never allocates; never blocks.
 */
public enum AdminState {
  /** Serves when healthy. The default. */
  ACTIVE,
  /**
   * Receives no new requests or connections; those in flight continue until they end (HAProxy
   * {@code drain}, IPVS weight 0). Health checks go on, so the backend returns at once when activated.
   */
  DRAINING,
  /**
   * Receives no new traffic and is not health-checked (HAProxy {@code maint}); those in flight
   * continue. Activating it starts its checks again from {@link io.github.lb4j.api.HealthState#UNKNOWN}.
   */
  MAINTENANCE
}
