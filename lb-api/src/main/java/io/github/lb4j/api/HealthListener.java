package io.github.lb4j.api;

/**
 * Told when a backend's health changes; the usual listener rebuilds the scheduler's eligible set
 * and calls {@link Scheduler#update}.
 *
 * <p>Called on the monitor's control thread, one call at a time, in the order transitions happen.
 * Implementations should return quickly and must not block; they may allocate.
 */
@FunctionalInterface
public interface HealthListener {

  /**
   * A backend moved from one state to another.
   *
   * @param backend the backend
   * @param from the previous state
   * @param to the new state, different from {@code from}
   * @param cause the check result that completed the transition
   */
  void onTransition(Backend backend, HealthState from, HealthState to, HealthResult cause);
}
