package io.github.lb4j.health;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthListener;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.NanoClock;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link HealthChecker} against every backend on a schedule and turns results into state
 * transitions (seed S2: "the balancer checks every real server periodically").
 *
 * <p>Semantics follow HAProxy's server checks [1]:
 * <ul>
 *   <li>{@code interval} ({@code inter}, default 2 s) is the gap between the end of one check and the
 *       start of the next, so checks of one target never overlap, even when {@code timeout} exceeds
 *       the interval;
 *   <li>{@code rise} (default 2) consecutive passes make a backend {@link HealthState#UP}, {@code fall}
 *       (default 3) consecutive failures make it {@link HealthState#DOWN}; a new backend is {@link
 *       HealthState#UNKNOWN} until one of the thresholds is reached;
 *   <li>{@code fastInterval} ({@code fastinter}) applies while the state is changing (UNKNOWN, or a
 *       result disagreed with the current state), {@code downInterval} ({@code downinter}) while the
 *       backend is steadily down; both default to {@code interval};
 *   <li>the first check of each backend starts at a uniformly random point of the first interval, so
 *       10,000 backends added at once spread their checks (HAProxy spreads a backend's first checks
 *       over the interval); each later interval is stretched or shrunk by a random factor in
 *       {@code [1 - jitter, 1 + jitter]} (HAProxy {@code spread-checks}, Envoy {@code
 *       interval_jitter_percent}; default 0).
 * </ul>
 *
 * <p>[1] HAProxy configuration manual, section 5.2 "inter", "fastinter", "downinter", "rise",
 * "fall", and section 3.1 "spread-checks".
 *
 * <p>Threads: every decision runs on the control thread of the {@link MonitorScheduler}, where
 * listeners are called one at a time in transition order. {@link #add}, {@link #remove}, {@link
 * #state} and {@link #close} may be called from any thread and never block (close waits for its
 * own scheduler thread to stop). Allocates per check (the checker's future, one scheduled task);
 * scales to 10,000 targets at a 1 s interval with one control thread and the checkers' shared loop.
 */
public final class HealthMonitor implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

  private final HealthChecker checker;
  private final ControlPlane control;
  private final MonitorScheduler scheduler;
  private final NanoClock clock;
  private final RandomGenerator random;
  private final long interval;
  private final long fastInterval;
  private final long downInterval;
  private final Duration timeout;
  private final int rise;
  private final int fall;
  private final double jitter;
  private final boolean spreadFirstCheck;
  private final ConcurrentHashMap<String, Target> targets = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private HealthMonitor(Builder b) {
    this.checker = b.checker;
    this.control = new ControlPlane(b.settings, "lb4j-health-monitor", LOG, "health");
    this.scheduler = control.scheduler;
    this.clock = control.clock;
    this.random = control.random;
    this.interval = b.interval.toNanos();
    this.fastInterval = (b.fastInterval == null ? b.interval : b.fastInterval).toNanos();
    this.downInterval = (b.downInterval == null ? b.interval : b.downInterval).toNanos();
    this.timeout = b.timeout == null ? b.interval : b.timeout;
    this.rise = b.rise;
    this.fall = b.fall;
    this.jitter = b.jitter;
    this.spreadFirstCheck = b.spreadFirstCheck;
  }

  /**
   * Starts building a monitor for one checker.
   *
   * @param checker the method every backend is checked with; the monitor does not close it
   * @return a builder with HAProxy's defaults
   */
  public static Builder builder(HealthChecker checker) {
    return new Builder(checker);
  }

  /**
   * Starts checking a backend at its own address and port. Replaces a backend with the same id.
   *
   * @param backend the backend
   */
  public void add(Backend backend) {
    add(backend, backend.socketAddress());
  }

  /**
   * Starts checking a backend at another address or port (HAProxy's {@code addr} and {@code port}
   * check settings). Replaces a backend with the same id, which starts again from UNKNOWN.
   *
   * @param backend the backend
   * @param checkTarget where the checks go
   */
  public void add(Backend backend, InetSocketAddress checkTarget) {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(checkTarget, "checkTarget");
    Target t = new Target(backend, checkTarget);
    Target old = targets.put(backend.id(), t);
    scheduler.execute(() -> {
      if (old != null) {
        old.stop();
      }
      if (targets.get(backend.id()) == t && !closed) {
        long first = spreadFirstCheck ? (long) (random.nextDouble() * interval) : 0;
        t.timer.schedule(scheduler, t::start, first);
      }
    });
  }

  /**
   * Stops checking a backend; a check in flight is ignored when it completes. No transition is
   * reported.
   *
   * @param backendId the backend's id
   * @return whether the backend was monitored
   */
  public boolean remove(String backendId) {
    Target t = targets.remove(backendId);
    if (t == null) {
      return false;
    }
    scheduler.execute(t::stop);
    return true;
  }

  /**
   * Returns the current state of a backend, or {@code null} when it is not monitored.
   *
   * @param backendId the backend's id
   * @return the state, or {@code null}
   */
  public @Nullable HealthState state(String backendId) {
    Target t = targets.get(backendId);
    return t == null ? null : t.state;
  }

  /**
   * Returns the state of every monitored backend by id (a snapshot; allocates).
   *
   * @return the state of every monitored backend by id
   */
  public Map<String, HealthState> states() {
    Map<String, HealthState> out = new TreeMap<>();
    targets.forEach((id, t) -> out.put(id, t.state));
    return out;
  }

  /**
   * Returns the number of monitored backends.
   *
   * @return the number of monitored backends
   */
  public int size() {
    return targets.size();
  }

  /**
   * Applies what live traffic says about a backend, as HAProxy's {@code observe} does to its check
   * ({@code __health_adjust} in {@code src/check.c}): the action of a {@link TrafficObserver}
   * counts failed checks on a backend that is up ({@link TrafficObserver.Action#failuresAfter}),
   * marking it {@link HealthState#DOWN} when they reach {@code fall}, and every action but {@code
   * NONE} brings the next check forward to the fast interval. Any thread; runs on the monitor's
   * scheduler; never blocks.
   *
   * @param backendId the backend
   * @param action the observer's action
   * @param detail what traffic showed, for the transition's result
   * @return whether the backend is monitored
   */
  public boolean adjust(String backendId, TrafficObserver.Action action, String detail) {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(detail, "detail");
    Target t = targets.get(backendId);
    if (t == null) {
      return false;
    }
    if (action == TrafficObserver.Action.NONE) {
      return true;
    }
    scheduler.execute(() -> t.adjust(action, detail));
    return true;
  }

  /** Stops every schedule (and the monitor's own thread when it made one). Does not close the checker. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<Target> all = new ArrayList<>(targets.values());
    targets.clear();
    scheduler.execute(() -> all.forEach(Target::stop));
    control.close();
  }

  /** Per-backend state; fields other than {@code state} are confined to the control thread. */
  private final class Target {
    final Backend backend;
    final InetSocketAddress address;
    volatile HealthState state = HealthState.UNKNOWN;
    long changedAt = clock.nanoTime();
    int passes;
    int failures;
    boolean running;
    boolean stopped;
    final ControlPlane.Timer timer = new ControlPlane.Timer();

    Target(Backend backend, InetSocketAddress address) {
      this.backend = backend;
      this.address = address;
    }

    void stop() {
      stopped = true;
      timer.cancel();
    }

    void start() {
      timer.fired();
      if (stopped || running || closed) {
        return;
      }
      running = true;
      try {
        checker.check(address, timeout).whenComplete((r, e) -> scheduler.execute(() -> completed(r, e)));
      } catch (RuntimeException e) {
        completed(null, e);
      }
    }

    void completed(@Nullable HealthResult r, @Nullable Throwable e) {
      running = false;
      if (stopped || closed) {
        return;
      }
      HealthResult result = r;
      if (result == null) {
        String why = e == null ? "no result" : e.toString();
        LOG.warn("checker {} failed on {}: {}", checker.name(), backend.id(), why);
        result = HealthResult.unhealthy(HealthReason.IO_ERROR, 0, "checker failed: " + why);
      }
      apply(result);
      long base = nextInterval();
      long delay = jitter == 0 ? base : (long) (base * (1.0 + jitter * (2.0 * random.nextDouble() - 1.0)));
      timer.schedule(scheduler, this::start, Math.max(0, delay));
    }

    /** HAProxy's rise/fall counting; a result agreeing with the state resets the opposite count. */
    void apply(HealthResult result) {
      HealthState from = state;
      HealthState to = from;
      if (result.healthy()) {
        failures = 0;
        if (from != HealthState.UP && ++passes >= rise) {
          to = HealthState.UP;
        }
        if (from == HealthState.UP) {
          passes = 0;
        }
      } else {
        passes = 0;
        if (from != HealthState.DOWN && ++failures >= fall) {
          to = HealthState.DOWN;
        }
        if (from == HealthState.DOWN) {
          failures = 0;
        }
      }
      if (to != from) {
        passes = 0;
        failures = 0;
        state = to;
        long now = clock.nanoTime();
        LOG.debug("{} {} -> {} after {} ms: {}", backend.id(), from, to, (now - changedAt) / 1_000_000, result);
        changedAt = now;
        control.notify(backend, from, to, result);
      }
    }

    void adjust(TrafficObserver.Action action, String detail) {
      if (stopped || closed) {
        return;
      }
      if (state != HealthState.DOWN) {
        passes = 0;
        failures = action.failuresAfter(failures, fall);
        if (failures >= fall) {
          HealthState from = state;
          failures = 0;
          state = HealthState.DOWN;
          long now = clock.nanoTime();
          HealthResult result = HealthResult.unhealthy(HealthReason.UNEXPECTED_REPLY, 0, "observed traffic: " + detail);
          LOG.debug("{} {} -> DOWN by observed traffic: {}", backend.id(), from, detail);
          changedAt = now;
          control.notify(backend, from, HealthState.DOWN, result);
        }
      }
      if (action.forcesFastInterval() && !running) {
        timer.cancel();
        timer.schedule(scheduler, this::start, fastInterval);
      }
    }

    long nextInterval() {
      boolean changing = state == HealthState.UNKNOWN
          || (state == HealthState.UP && failures > 0)
          || (state == HealthState.DOWN && passes > 0);
      if (changing) {
        return fastInterval;
      }
      return state == HealthState.DOWN ? downInterval : interval;
    }
  }

  /**
   * Configures a {@link HealthMonitor}. Not thread-safe; use from one thread, then {@link #build()}.
   * Setters never block and allocate only the listener list; {@link #build()} allocates the monitor
   * and, when no scheduler was set, starts its control thread.
   */
  public static final class Builder {
    private final HealthChecker checker;
    private final ControlPlane.Settings settings = new ControlPlane.Settings();
    private Duration interval = Duration.ofSeconds(2);
    private @Nullable Duration fastInterval;
    private @Nullable Duration downInterval;
    private @Nullable Duration timeout;
    private int rise = 2;
    private int fall = 3;
    private double jitter;
    private boolean spreadFirstCheck = true;

    private Builder(HealthChecker checker) {
      this.checker = Objects.requireNonNull(checker, "checker");
    }

    /**
     * Sets the gap between the end of a check and the start of the next (HAProxy {@code inter}).
     *
     * @param interval positive; default 2 s
     * @return this builder
     */
    public Builder interval(Duration interval) {
      this.interval = ControlPlane.positive("interval", interval);
      return this;
    }

    /**
     * Sets the interval used while the state is changing (HAProxy {@code fastinter}).
     *
     * @param fastInterval positive; default the interval
     * @return this builder
     */
    public Builder fastInterval(Duration fastInterval) {
      this.fastInterval = ControlPlane.positive("fastInterval", fastInterval);
      return this;
    }

    /**
     * Sets the interval used while the backend is steadily down (HAProxy {@code downinter}).
     *
     * @param downInterval positive; default the interval
     * @return this builder
     */
    public Builder downInterval(Duration downInterval) {
      this.downInterval = ControlPlane.positive("downInterval", downInterval);
      return this;
    }

    /**
     * Sets the timeout of one check; it may exceed the interval.
     *
     * @param timeout positive; default the interval
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      this.timeout = ControlPlane.positive("timeout", timeout);
      return this;
    }

    /**
     * Sets how many consecutive passes make a backend UP.
     *
     * @param rise 1 or more; default 2 (HAProxy)
     * @return this builder
     */
    public Builder rise(int rise) {
      this.rise = ControlPlane.atLeast("rise", rise, 1);
      return this;
    }

    /**
     * Sets how many consecutive failures make a backend DOWN.
     *
     * @param fall 1 or more; default 3 (HAProxy)
     * @return this builder
     */
    public Builder fall(int fall) {
      this.fall = ControlPlane.atLeast("fall", fall, 1);
      return this;
    }

    /**
     * Sets the per-check jitter: each interval is multiplied by a random factor in {@code [1 - jitter,
     * 1 + jitter]}.
     *
     * @param jitter 0 to 0.5; default 0
     * @return this builder
     */
    public Builder jitter(double jitter) {
      if (!(jitter >= 0 && jitter <= 0.5)) {
        throw new IllegalArgumentException("jitter must be in 0..0.5, was " + jitter);
      }
      this.jitter = jitter;
      return this;
    }

    /**
     * Sets whether each backend's first check starts at a random point of the first interval.
     *
     * @param spread default true
     * @return this builder
     */
    public Builder spreadFirstCheck(boolean spread) {
      this.spreadFirstCheck = spread;
      return this;
    }

    /**
     * Sets the control thread; the caller keeps ownership. Default: a new thread owned by the monitor.
     *
     * @param scheduler the scheduler
     * @return this builder
     */
    public Builder scheduler(MonitorScheduler scheduler) {
      settings.scheduler(scheduler);
      return this;
    }

    /**
     * Sets the clock, which must be the one the scheduler follows.
     *
     * @param clock the clock; default {@link NanoClock#system()}
     * @return this builder
     */
    public Builder clock(NanoClock clock) {
      settings.clock(clock);
      return this;
    }

    /**
     * Sets the random source of the spread and the jitter (seed it in tests).
     *
     * @param random the generator, used on the control thread only
     * @return this builder
     */
    public Builder random(RandomGenerator random) {
      settings.random(random);
      return this;
    }

    /**
     * Adds a listener told of every transition on the control thread.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(HealthListener listener) {
      settings.listener(listener);
      return this;
    }

    /**
     * Builds the monitor; checks start as backends are added.
     *
     * @return the monitor, to be closed by the caller
     */
    public HealthMonitor build() {
      return new HealthMonitor(this);
    }
  }

  @Override
  public String toString() {
    Map<HealthState, Integer> counts = new HashMap<>();
    targets.values().forEach(t -> counts.merge(t.state, 1, Integer::sum));
    return "HealthMonitor{" + checker.name() + ", " + counts + "}";
  }
}
