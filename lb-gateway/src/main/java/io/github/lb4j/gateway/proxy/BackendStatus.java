package io.github.lb4j.gateway.proxy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthState;

/**
 * A snapshot of one backend as {@link ProxyServer#status()} sees it.
 *
 * <p>Immutable; any thread may use it.
 *
 * @param backend the backend as configured, with its current weight (0 while drained)
 * @param health the health state; {@link HealthState#UNKNOWN} until checks decide, or always when
 *     no check is configured
 * @param activeSessions the connections relayed now
 * @param totalSessions the connections opened to it since start
 * @param connectFailures the connection attempts to it that failed (refused, timed out)
 * @param detail the detail of the last health result, empty when none
 */
public record BackendStatus(
    Backend backend, HealthState health, long activeSessions, long totalSessions, long connectFailures, String detail) {

  /**
   * Returns whether new connections may go to this backend: not down and not drained.
   *
   * @return whether the backend takes new connections
   */
  public boolean eligible() {
    return health != HealthState.DOWN && backend.weight() > 0;
  }
}
