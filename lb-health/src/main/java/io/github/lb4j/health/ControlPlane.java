package io.github.lb4j.health;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthListener;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.NanoClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * What {@link HealthMonitor} and {@link OutlierDetector} share: the control thread (their own, or
 * one the caller lends), the clock it follows, the random source, and the listeners told of each
 * transition. Listeners are called on the control thread only, one at a time; one that throws is
 * logged and does not stop the others. Immutable after construction; allocates nothing per transition.
 */
final class ControlPlane {

  final MonitorScheduler scheduler;
  final NanoClock clock;
  final RandomGenerator random;
  private final boolean ownsScheduler;
  private final List<HealthListener> listeners;
  private final Logger log;
  private final String role;

  /**
   * Takes the builder's settings; makes a scheduler thread named {@code threadName} when none was set.
   * {@code role} names the owner in the log line of a failing listener.
   */
  ControlPlane(Settings settings, String threadName, Logger log, String role) {
    MonitorScheduler s = settings.scheduler;
    this.ownsScheduler = s == null;
    this.scheduler = s == null ? MonitorScheduler.newThread(threadName) : s;
    this.clock = settings.clock;
    this.random = settings.random;
    this.listeners = List.copyOf(settings.listeners);
    this.log = log;
    this.role = role;
  }

  /** Tells every listener of a transition; control thread only. */
  void notify(Backend backend, HealthState from, HealthState to, HealthResult cause) {
    for (HealthListener l : listeners) {
      try {
        l.onTransition(backend, from, to, cause);
      } catch (RuntimeException e) {
        log.error("{} listener failed on {} {} -> {}", role, backend.id(), from, to, e);
      }
    }
  }

  /** Stops the scheduler thread when this plane made it; a lent scheduler stays the caller's. */
  void close() {
    if (ownsScheduler) {
      scheduler.close();
    }
  }

  /**
   * One pending timer task of the control thread: scheduling replaces nothing (call {@link #cancel}
   * first when a task may be pending), cancelling is idempotent. Control thread only.
   */
  static final class Timer {
    private MonitorScheduler.@Nullable Cancellable next;

    void schedule(MonitorScheduler scheduler, Runnable task, long delayNanos) {
      next = scheduler.schedule(task, delayNanos);
    }

    /** Called first by the task when it runs: nothing is pending any more. */
    void fired() {
      next = null;
    }

    void cancel() {
      MonitorScheduler.Cancellable n = next;
      if (n != null) {
        n.cancel();
      }
    }
  }

  /** The builder settings behind a {@link ControlPlane}; one builder's thread only. */
  static final class Settings {
    @Nullable MonitorScheduler scheduler;
    NanoClock clock = NanoClock.system();
    RandomGenerator random = new SplittableRandom();
    final List<HealthListener> listeners = new ArrayList<>();

    void scheduler(MonitorScheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    void clock(NanoClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
    }

    void random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
    }

    void listener(HealthListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
    }
  }

  /** Checks a builder's duration option: non-null and positive, else an error naming the option. */
  static Duration positive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
    return d;
  }

  /** Checks a builder's count option against its minimum, else an error naming the option. */
  static int atLeast(String name, int n, int min) {
    if (n < min) {
      throw new IllegalArgumentException(name + " must be " + min + " or more, was " + n);
    }
    return n;
  }
}
