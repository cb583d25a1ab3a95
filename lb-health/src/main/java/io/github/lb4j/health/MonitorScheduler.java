package io.github.lb4j.health;

/**
 * The control thread of a {@link HealthMonitor} or {@link OutlierDetector}: runs tasks one at a
 * time, now or after a delay. Injected so that tests drive time by hand (with a matching {@link
 * io.github.lb4j.api.NanoClock}) instead of sleeping; {@link #newThread(String)} gives the real one,
 * a single timer thread that serves any number of targets.
 *
 * <p>Implementations: {@link #execute} and {@link #schedule} may be called from any thread and must
 * not block; tasks must run one at a time, in order of their due time (ties in submission order),
 * never on the caller's stack. They allocate one small object per call.
 */
public interface MonitorScheduler extends AutoCloseable {

  /** A scheduled task that can be cancelled, from any thread; cancelling never blocks or allocates. */
  @FunctionalInterface
  interface Cancellable {
    /** Cancels the task if it has not started; idempotent; any thread; never blocks. */
    void cancel();
  }

  /**
   * Runs a task on the control thread as soon as possible.
   *
   * @param task the task
   */
  void execute(Runnable task);

  /**
   * Runs a task on the control thread after a delay.
   *
   * @param task the task
   * @param delayNanos the delay in nanoseconds of the clock the scheduler follows, 0 or more
   * @return a handle that cancels the task
   */
  Cancellable schedule(Runnable task, long delayNanos);

  /** Stops the thread (if the scheduler owns one); pending tasks are dropped. Idempotent. */
  @Override
  void close();

  /**
   * Returns a scheduler backed by one new daemon thread following {@link System#nanoTime()}.
   *
   * @param name the thread's name
   * @return a new scheduler, to be closed by the caller
   */
  static MonitorScheduler newThread(String name) {
    return new ThreadScheduler(name);
  }
}
