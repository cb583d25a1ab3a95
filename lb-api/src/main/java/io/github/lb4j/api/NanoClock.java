package io.github.lb4j.api;

/**
 * A monotonic nanosecond clock, injected wherever lb4j measures time (flow timeouts, health-check
 * intervals, slow start, latency EWMA) so that tests drive time instead of sleeping.
 *
 * <p>Implementations must be callable from any thread, must not allocate and must not block.
 */
@FunctionalInterface
public interface NanoClock {

  /**
   * Returns the current value of the clock in nanoseconds. Only differences between two readings
   * are meaningful, as with {@link System#nanoTime()}.
   *
   * @return nanoseconds since an arbitrary origin
   */
  long nanoTime();

  /**
   * Returns the system clock, {@link System#nanoTime()}.
   *
   * @return the shared system clock
   */
  static NanoClock system() {
    return System::nanoTime;
  }
}
