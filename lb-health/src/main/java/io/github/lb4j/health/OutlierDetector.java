package io.github.lb4j.health;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.HealthListener;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.NanoClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive outlier detection: ejects backends whose real traffic fails, from session feedback
 * (explicit {@link #recordOutcome} reports, or the success and failure counts of a {@link
 * BackendLoad}), and returns them after an ejection time.
 *
 * <p>Semantics and defaults follow Envoy's outlier detection [1] and gRPC's A50 [2]:
 * <ul>
 *   <li><b>Consecutive failures</b> (Envoy {@code consecutive_5xx}, default 5): the report that
 *       reaches the threshold ejects the backend at once (on the control thread), as Envoy does.
 *       Only {@link #recordOutcome} knows the order of outcomes, so this detector needs reports;
 *       {@link BackendLoad} counts feed the success rate only.
 *   <li><b>Success rate</b>, every {@code interval} (default 10 s): among backends with at least
 *       {@code requestVolume} (100) requests in the interval, and only when there are at least
 *       {@code minimumHosts} (5) of them, a backend whose success rate is below {@code mean - stdev *
 *       stdevFactor} (Envoy {@code success_rate_stdev_factor} 1900, i.e. 1.9) is ejected.
 *   <li><b>Ejection time</b> = {@code baseEjectionTime} (30 s) times the backend's ejection
 *       multiplier, which grows by one with each ejection and shrinks by one at each interval the
 *       backend spends not ejected ([2]); capped at {@code max(baseEjectionTime, maxEjectionTime)}
 *       (300 s); plus a random jitter in {@code [0, maxEjectionJitter]} (Envoy {@code
 *       max_ejection_time_jitter}, default 0). Backends return at the first interval tick after
 *       their time, as in both references.
 *   <li><b>Cap</b>: a backend is ejected only while fewer than {@code maxEjectionPercent} (10) percent
 *       of backends are ejected; since the test is "ejected share below the cap" one backend can
 *       always be ejected, as in Envoy (a pool of 5 may lose one backend at 10 %).
 * </ul>
 * Ejections are {@code UP -> DOWN} transitions with reason {@link HealthReason#OUTLIER_EJECTED};
 * returns are {@code DOWN -> UP}.
 *
 * <p>[1] Envoy, "Outlier detection" architecture overview and {@code
 * config.cluster.v3.OutlierDetection}. [2] gRPC proposal A50, "gRPC xDS Outlier Detection Support".
 *
 * <p>Threads: {@link #recordOutcome} is lock-free, never blocks and does not allocate (it posts a task
 * only when a threshold is crossed); every decision and every listener call runs on the
 * {@link MonitorScheduler}'s control thread; {@link #add}, {@link #remove}, {@link #isEjected} and
 * {@link #close} may be called from any thread.
 */
public final class OutlierDetector implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OutlierDetector.class);

  private final ControlPlane control;
  private final MonitorScheduler scheduler;
  private final NanoClock clock;
  private final RandomGenerator random;
  private final int consecutiveFailures;
  private final long interval;
  private final long baseEjection;
  private final long maxEjection;
  private final long maxJitter;
  private final int maxEjectionPercent;
  private final int minimumHosts;
  private final int requestVolume;
  private final double stdevFactor;
  private final ConcurrentHashMap<String, Host> hosts = new ConcurrentHashMap<>();
  private final ControlPlane.Timer ticker = new ControlPlane.Timer();
  private volatile boolean closed;

  private OutlierDetector(Builder b) {
    this.control = new ControlPlane(b.settings, "lb4j-outlier-detector", LOG, "outlier");
    this.scheduler = control.scheduler;
    this.clock = control.clock;
    this.random = control.random;
    this.consecutiveFailures = b.consecutiveFailures;
    this.interval = b.interval.toNanos();
    this.baseEjection = b.baseEjectionTime.toNanos();
    this.maxEjection = Math.max(baseEjection, b.maxEjectionTime.toNanos());
    this.maxJitter = b.maxEjectionJitter.toNanos();
    this.maxEjectionPercent = b.maxEjectionPercent;
    this.minimumHosts = b.minimumHosts;
    this.requestVolume = b.requestVolume;
    this.stdevFactor = b.stdevFactor;
    ticker.schedule(scheduler, this::tick, interval);
  }

  /**
   * Starts building a detector with Envoy's defaults.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Watches a backend fed by {@link #recordOutcome} reports only. Replaces one with the same id.
   *
   * @param backend the backend
   */
  public void add(Backend backend) {
    add(backend, null);
  }

  /**
   * Watches a backend whose {@link BackendLoad} success and failure counts also feed the success
   * rate. Replaces one with the same id.
   *
   * @param backend the backend
   * @param load its live counters, or {@code null}
   */
  public void add(Backend backend, @Nullable BackendLoad load) {
    Objects.requireNonNull(backend, "backend");
    Host h = new Host(backend, load);
    hosts.put(backend.id(), h);
  }

  /**
   * Stops watching a backend. No transition is reported.
   *
   * @param backendId the backend's id
   * @return whether it was watched
   */
  public boolean remove(String backendId) {
    Host h = hosts.remove(backendId);
    if (h != null) {
      h.removed = true;
    }
    return h != null;
  }

  /**
   * Records the outcome of one request or session to a backend. Any thread; lock-free; does not
   * allocate unless it crosses the consecutive-failure threshold.
   *
   * @param backendId the backend's id
   * @param success whether the outcome was a success (for HTTP, Envoy counts 5xx as failures)
   * @return whether the backend is watched
   */
  public boolean recordOutcome(String backendId, boolean success) {
    Host h = hosts.get(backendId);
    if (h == null) {
      return false;
    }
    if (success) {
      h.successes.incrementAndGet();
      h.consecutive.set(0);
    } else {
      h.failures.incrementAndGet();
      if (h.consecutive.incrementAndGet() == consecutiveFailures) {
        scheduler.execute(() -> consecutiveReached(h));
      }
    }
    return true;
  }

  /**
   * Returns whether a backend is ejected now.
   *
   * @param backendId the backend's id
   * @return whether it is ejected; {@code false} when not watched
   */
  public boolean isEjected(String backendId) {
    Host h = hosts.get(backendId);
    return h != null && h.ejected;
  }

  /**
   * Returns how many times a backend has been ejected in a row, the multiplier of its next ejection
   * time (0 when not watched).
   *
   * @param backendId the backend's id
   * @return the ejection multiplier
   */
  public int ejectionMultiplier(String backendId) {
    Host h = hosts.get(backendId);
    return h == null ? 0 : h.multiplier;
  }

  /** Stops the interval timer (and the detector's own thread when it made one). Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    scheduler.execute(ticker::cancel);
    control.close();
  }

  private void consecutiveReached(Host h) {
    if (closed || h.removed || h.ejected) {
      return;
    }
    h.consecutive.set(0);
    eject(h, consecutiveFailures + " consecutive failures");
  }

  private void tick() {
    ticker.fired();
    if (closed) {
      return;
    }
    List<Host> all = new ArrayList<>(hosts.values());
    List<Host> volume = new ArrayList<>();
    for (Host h : all) {
      h.take();
      if (h.intervalSuccesses + h.intervalFailures >= requestVolume) {
        volume.add(h);
      }
    }
    if (volume.size() >= minimumHosts && !volume.isEmpty()) {
      double sum = 0;
      for (Host h : volume) {
        sum += h.rate();
      }
      double mean = sum / volume.size();
      double sq = 0;
      for (Host h : volume) {
        double d = h.rate() - mean;
        sq += d * d;
      }
      double stdev = Math.sqrt(sq / volume.size());
      double threshold = mean - stdev * stdevFactor;
      for (Host h : volume) {
        if (!h.ejected && h.rate() < threshold) {
          eject(h, String.format(Locale.ROOT, "success rate %.3f below %.3f (mean %.3f - %.1f x stdev %.3f over %d hosts)",
              h.rate(), threshold, mean, stdevFactor, stdev, volume.size()));
        }
      }
    }
    long now = clock.nanoTime();
    for (Host h : all) {
      if (h.ejected) {
        if (now - h.ejectedAt >= h.ejectedFor) {
          uneject(h, now);
        }
      } else if (h.multiplier > 0 && !h.ejectedThisTick) {
        h.multiplier--;
      }
      h.ejectedThisTick = false;
    }
    ticker.schedule(scheduler, this::tick, interval);
  }

  private int ejectedCount() {
    int n = 0;
    for (Host h : hosts.values()) {
      if (h.ejected) {
        n++;
      }
    }
    return n;
  }

  private void eject(Host h, String why) {
    int total = hosts.size();
    int ejected = ejectedCount();
    if ((long) ejected * 100 >= (long) maxEjectionPercent * total) {
      LOG.debug("{} not ejected ({}): {} of {} already ejected, cap {} %", h.backend.id(), why, ejected, total, maxEjectionPercent);
      return;
    }
    h.multiplier++;
    long time = h.multiplier >= maxEjection / baseEjection ? maxEjection : Math.min(baseEjection * h.multiplier, maxEjection);
    if (maxJitter > 0) {
      time += (long) (random.nextDouble() * maxJitter);
    }
    h.ejectedAt = clock.nanoTime();
    h.ejectedFor = time;
    h.ejected = true;
    h.ejectedThisTick = true;
    control.notify(h.backend, HealthState.UP, HealthState.DOWN, HealthResult.unhealthy(HealthReason.OUTLIER_EJECTED, 0,
        why + "; ejected for " + TimeUnit.NANOSECONDS.toMillis(time) + " ms (ejection " + h.multiplier + ")"));
  }

  private void uneject(Host h, long now) {
    h.ejected = false;
    h.consecutive.set(0);
    control.notify(h.backend, HealthState.DOWN, HealthState.UP,
        HealthResult.healthy(now - h.ejectedAt, "ejection ended after " + TimeUnit.NANOSECONDS.toMillis(now - h.ejectedAt) + " ms"));
  }

  /** One watched backend: report counters are atomic, the rest is confined to the control thread. */
  private static final class Host {
    final Backend backend;
    final @Nullable BackendLoad load;
    final AtomicLong successes = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicInteger consecutive = new AtomicInteger();
    long loadSuccesses;
    long loadFailures;
    long intervalSuccesses;
    long intervalFailures;
    volatile boolean ejected;
    volatile boolean removed;
    volatile int multiplier;
    boolean ejectedThisTick;
    long ejectedAt;
    long ejectedFor;

    Host(Backend backend, @Nullable BackendLoad load) {
      this.backend = backend;
      this.load = load;
      if (load != null) {
        loadSuccesses = load.successes();
        loadFailures = load.failures();
      }
    }

    /** Moves this interval's counts out of the counters. */
    void take() {
      intervalSuccesses = successes.getAndSet(0);
      intervalFailures = failures.getAndSet(0);
      BackendLoad l = load;
      if (l != null) {
        long s = l.successes();
        long f = l.failures();
        intervalSuccesses += Math.max(0, s - loadSuccesses);
        intervalFailures += Math.max(0, f - loadFailures);
        loadSuccesses = s;
        loadFailures = f;
      }
    }

    double rate() {
      long total = intervalSuccesses + intervalFailures;
      return total == 0 ? 1.0 : (double) intervalSuccesses / total;
    }
  }

  /**
   * Configures an {@link OutlierDetector}. Not thread-safe; use from one thread, then {@link #build()}.
   * Setters never block and allocate only the listener list; {@link #build()} allocates the detector,
   * starts its interval timer and, when no scheduler was set, its control thread.
   */
  public static final class Builder {
    private final ControlPlane.Settings settings = new ControlPlane.Settings();
    private int consecutiveFailures = 5;
    private Duration interval = Duration.ofSeconds(10);
    private Duration baseEjectionTime = Duration.ofSeconds(30);
    private Duration maxEjectionTime = Duration.ofSeconds(300);
    private Duration maxEjectionJitter = Duration.ZERO;
    private int maxEjectionPercent = 10;
    private int minimumHosts = 5;
    private int requestVolume = 100;
    private double stdevFactor = 1.9;

    private Builder() {}

    /**
     * Sets the consecutive failures that eject a backend (Envoy {@code consecutive_5xx}).
     *
     * @param n 1 or more; default 5
     * @return this builder
     */
    public Builder consecutiveFailures(int n) {
      this.consecutiveFailures = ControlPlane.atLeast("consecutiveFailures", n, 1);
      return this;
    }

    /**
     * Sets the period of success-rate analysis and of returning ejected backends.
     *
     * @param interval positive; default 10 s
     * @return this builder
     */
    public Builder interval(Duration interval) {
      this.interval = ControlPlane.positive("interval", interval);
      return this;
    }

    /**
     * Sets the base ejection time, multiplied by the ejection count.
     *
     * @param base positive; default 30 s
     * @return this builder
     */
    public Builder baseEjectionTime(Duration base) {
      this.baseEjectionTime = ControlPlane.positive("baseEjectionTime", base);
      return this;
    }

    /**
     * Sets the longest ejection time (before jitter); a value below the base is raised to the base.
     *
     * @param max positive; default 300 s
     * @return this builder
     */
    public Builder maxEjectionTime(Duration max) {
      this.maxEjectionTime = ControlPlane.positive("maxEjectionTime", max);
      return this;
    }

    /**
     * Sets the largest random time added to each ejection.
     *
     * @param jitter zero or positive; default 0
     * @return this builder
     */
    public Builder maxEjectionJitter(Duration jitter) {
      Objects.requireNonNull(jitter, "maxEjectionJitter");
      if (jitter.isNegative()) {
        throw new IllegalArgumentException("maxEjectionJitter must not be negative, was " + jitter);
      }
      this.maxEjectionJitter = jitter;
      return this;
    }

    /**
     * Sets the largest share of backends ejected at once, in percent.
     *
     * @param percent 0..100; default 10
     * @return this builder
     */
    public Builder maxEjectionPercent(int percent) {
      if (percent < 0 || percent > 100) {
        throw new IllegalArgumentException("maxEjectionPercent must be in 0..100, was " + percent);
      }
      this.maxEjectionPercent = percent;
      return this;
    }

    /**
     * Sets how many backends with enough volume the success-rate analysis needs.
     *
     * @param n 1 or more; default 5
     * @return this builder
     */
    public Builder successRateMinimumHosts(int n) {
      this.minimumHosts = ControlPlane.atLeast("successRateMinimumHosts", n, 1);
      return this;
    }

    /**
     * Sets the requests in one interval that make a backend count in the success-rate analysis.
     *
     * @param n 1 or more; default 100
     * @return this builder
     */
    public Builder successRateRequestVolume(int n) {
      this.requestVolume = ControlPlane.atLeast("successRateRequestVolume", n, 1);
      return this;
    }

    /**
     * Sets the stdev factor: Envoy's {@code success_rate_stdev_factor} divided by 1000.
     *
     * @param factor 0 or more; default 1.9
     * @return this builder
     */
    public Builder successRateStdevFactor(double factor) {
      if (!(factor >= 0) || Double.isInfinite(factor)) {
        throw new IllegalArgumentException("successRateStdevFactor must be a finite number >= 0, was " + factor);
      }
      this.stdevFactor = factor;
      return this;
    }

    /**
     * Sets the control thread; the caller keeps ownership. Default: a new thread owned by the detector.
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
     * Sets the random source of the ejection jitter.
     *
     * @param random the generator, used on the control thread only
     * @return this builder
     */
    public Builder random(RandomGenerator random) {
      settings.random(random);
      return this;
    }

    /**
     * Adds a listener told of every ejection and return on the control thread.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(HealthListener listener) {
      settings.listener(listener);
      return this;
    }

    /**
     * Builds the detector and starts its interval timer.
     *
     * @return the detector, to be closed by the caller
     */
    public OutlierDetector build() {
      return new OutlierDetector(this);
    }
  }
}
