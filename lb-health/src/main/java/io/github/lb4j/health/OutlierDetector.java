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
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Passive outlier detection: ejects backends whose real traffic fails, from session feedback
 * (explicit {@link #recordOutcome} and {@link #recordHttpStatus} reports, or the success and
 * failure counts of a {@link BackendLoad}), and returns them after an ejection time.
 *
 * <p>Semantics and defaults follow Envoy's outlier detection [1] ({@code outlier_detection_impl.cc})
 * and gRPC's A50 [2]:
 * <ul>
 *   <li><b>Consecutive failures</b> (Envoy {@code consecutive_5xx}, default 5; {@code
 *       consecutive_gateway_failure}, default 5, counting 502, 503 and 504 only): the report that
 *       reaches the threshold ejects the backend at once (on the control thread), as Envoy does.
 *       Only reports know the order of outcomes; {@link BackendLoad} counts feed the rates only.
 *   <li><b>Success rate</b>, every {@code interval} (default 10 s): among backends not ejected with
 *       at least {@code requestVolume} (100) requests in the interval, and only when there are at
 *       least {@code minimumHosts} (5) of them, a backend whose success rate is below {@code mean -
 *       stdev * stdevFactor} (Envoy {@code success_rate_stdev_factor} 1900, i.e. 1.9) is ejected.
 *   <li><b>Failure percentage</b> (Envoy {@code failure_percentage_*}, gRPC A50 {@code
 *       failure_percentage_ejection}): among backends with at least 50 requests in the interval, and
 *       only when there are at least 5 of them, a backend failing at least 85% of its requests is
 *       ejected. Envoy compares with {@code >=}, gRPC with {@code >}; lb4j follows Envoy.
 *   <li><b>Enforcement</b>: a detected outlier is ejected with the probability of its kind's
 *       enforcement percentage, as Envoy's {@code enforcing_*} settings: 100% for consecutive
 *       failures, success rate and local-origin failures, 0% (detection counted, no ejection) for
 *       failure percentage and consecutive gateway failures, Envoy's defaults; gRPC turns an
 *       algorithm on by configuring it, with 100%.
 *   <li><b>Local-origin errors</b> (Envoy {@code split_external_local_origin_errors}, off by
 *       default): a connection refused, reset or timed out is an error of the path to the
 *       backend, not of its answers. Without the split it counts as a 503 or 504 answer, as in
 *       Envoy; with it, local-origin outcomes have their own consecutive counter ({@code
 *       consecutive_local_origin_failure}, 5), success rate and failure percentage.
 *   <li><b>Ejection time</b> = {@code baseEjectionTime} (30 s) times the backend's ejection
 *       multiplier, which grows by one with each ejection while base x multiplier is below max +
 *       base (Envoy) and shrinks by one at each interval the backend spends not ejected ([2]);
 *       capped at {@code max(baseEjectionTime, maxEjectionTime)} (300 s); plus a random jitter in
 *       {@code [0, maxEjectionJitter]} (Envoy {@code max_ejection_time_jitter}, default 0).
 *       Backends return at the first interval tick after their time, as in both references.
 *   <li><b>Cap</b>: a backend is ejected only while fewer than {@code maxEjectionPercent} (10) percent
 *       of backends are ejected; since the test is "ejected share below the cap" one backend can
 *       always be ejected, as in Envoy (a pool of 5 may lose one backend at 10 %). An ejection the
 *       cap prevents is counted as an overflow.
 * </ul>
 * Ejections are {@code UP -> DOWN} transitions with reason {@link HealthReason#OUTLIER_EJECTED};
 * returns are {@code DOWN -> UP}. {@link #stats()} gives Envoy's ejection counters (detected and
 * enforced per kind, total, active, overflow).
 *
 * <p>[1] Envoy, "Outlier detection" architecture overview and {@code
 * config.cluster.v3.OutlierDetection}. [2] gRPC proposal A50, "gRPC xDS Outlier Detection Support".
 *
 * <p>Threads: {@link #recordOutcome} and {@link #recordHttpStatus} are lock-free, never block and
 * do not allocate (they post a task only when a threshold is crossed); every decision and every
 * listener call runs on the {@link MonitorScheduler}'s control thread; {@link #add}, {@link
 * #remove}, {@link #isEjected}, {@link #stats} and {@link #close} may be called from any thread.
 */
public final class OutlierDetector implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OutlierDetector.class);

  /** The outcome of one request or connection, as Envoy's outlier detector reports them. */
  public enum Outcome {
    /** The backend answered and the answer was not an error (Envoy {@code EXT_ORIGIN_REQUEST_SUCCESS}, HTTP below 500). */
    SUCCESS,
    /** The backend answered with an error (Envoy {@code EXT_ORIGIN_REQUEST_FAILED}, HTTP 500 and 5xx other than 502-504). */
    FAILURE,
    /** The backend, or a gateway on its behalf, answered 502, 503 or 504 (Envoy's gateway failures). */
    GATEWAY_FAILURE,
    /** The connection to the backend was established; what follows is reported apart (Envoy {@code LOCAL_ORIGIN_CONNECT_SUCCESS}). */
    LOCAL_ORIGIN_SUCCESS,
    /** The connection failed locally: refused, reset, unreachable (Envoy {@code LOCAL_ORIGIN_CONNECT_FAILED}; a 503 without the split). */
    LOCAL_ORIGIN_FAILURE,
    /** The connection or the answer timed out (Envoy {@code LOCAL_ORIGIN_TIMEOUT}; a 504 without the split). */
    LOCAL_ORIGIN_TIMEOUT
  }

  /** Why a backend was detected as an outlier (Envoy's {@code OutlierEjectionType}). */
  public enum EjectionType {
    /** {@code consecutive_5xx} failures in a row. */
    CONSECUTIVE_5XX,
    /** {@code consecutive_gateway_failure} 502, 503 or 504 answers in a row. */
    CONSECUTIVE_GATEWAY_FAILURE,
    /** {@code consecutive_local_origin_failure} local-origin failures in a row (split only). */
    CONSECUTIVE_LOCAL_ORIGIN_FAILURE,
    /** A success rate below mean - stdev x factor. */
    SUCCESS_RATE,
    /** A local-origin success rate below mean - stdev x factor (split only). */
    SUCCESS_RATE_LOCAL_ORIGIN,
    /** A failure percentage at or above the threshold. */
    FAILURE_PERCENTAGE,
    /** A local-origin failure percentage at or above the threshold (split only). */
    FAILURE_PERCENTAGE_LOCAL_ORIGIN
  }

  /**
   * A snapshot of Envoy's ejection counters ({@code outlier_detection.ejections_*}). Immutable; any
   * thread.
   */
  public static final class Stats {
    private final long[] detected;
    private final long[] enforced;
    private final long overflow;
    private final int active;

    Stats(long[] detected, long[] enforced, long overflow, int active) {
      this.detected = detected;
      this.enforced = enforced;
      this.overflow = overflow;
      this.active = active;
    }

    /**
     * Returns outliers of this kind detected since creation, ejected or not ({@code ejections_detected_*}).
     *
     * @param type the kind
     * @return 0 or more
     */
    public long detected(EjectionType type) {
      return detected[type.ordinal()];
    }

    /**
     * Returns ejections of this kind carried out ({@code ejections_enforced_*}).
     *
     * @param type the kind
     * @return 0 or more
     */
    public long enforced(EjectionType type) {
      return enforced[type.ordinal()];
    }

    /**
     * Returns ejections carried out, all kinds ({@code ejections_enforced_total}).
     *
     * @return 0 or more
     */
    public long enforcedTotal() {
      long sum = 0;
      for (long e : enforced) {
        sum += e;
      }
      return sum;
    }

    /**
     * Returns ejections prevented by {@code maxEjectionPercent} ({@code ejections_overflow}).
     *
     * @return 0 or more
     */
    public long overflow() {
      return overflow;
    }

    /**
     * Returns the backends ejected now ({@code ejections_active}).
     *
     * @return 0 or more
     */
    public int active() {
      return active;
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder("OutlierDetector.Stats{active=" + active + ", enforced=" + enforcedTotal()
          + ", overflow=" + overflow);
      for (EjectionType t : EjectionType.values()) {
        if (detected(t) > 0) {
          b.append(", ").append(t).append('=').append(enforced(t)).append('/').append(detected(t));
        }
      }
      return b.append('}').toString();
    }
  }

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
  private final int consecutiveGatewayFailures;
  private final int consecutiveLocalOriginFailures;
  private final boolean split;
  private final int failurePercentageThreshold;
  private final int failurePercentageMinimumHosts;
  private final int failurePercentageRequestVolume;
  private final int[] enforcing = new int[EjectionType.values().length];
  private final AtomicLongArray detected = new AtomicLongArray(EjectionType.values().length);
  private final AtomicLongArray enforced = new AtomicLongArray(EjectionType.values().length);
  private final AtomicLong overflow = new AtomicLong();
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
    this.consecutiveGatewayFailures = b.consecutiveGatewayFailures;
    this.consecutiveLocalOriginFailures = b.consecutiveLocalOriginFailures;
    this.split = b.split;
    this.failurePercentageThreshold = b.failurePercentageThreshold;
    this.failurePercentageMinimumHosts = b.failurePercentageMinimumHosts;
    this.failurePercentageRequestVolume = b.failurePercentageRequestVolume;
    System.arraycopy(b.enforcing, 0, enforcing, 0, enforcing.length);
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
   * Records the outcome of one request or session to a backend: {@link Outcome#SUCCESS} or
   * {@link Outcome#FAILURE}. Any thread; lock-free; does not allocate unless it crosses a
   * consecutive-failure threshold.
   *
   * @param backendId the backend's id
   * @param success whether the outcome was a success (for HTTP, Envoy counts 5xx as failures)
   * @return whether the backend is watched
   */
  public boolean recordOutcome(String backendId, boolean success) {
    return recordOutcome(backendId, success ? Outcome.SUCCESS : Outcome.FAILURE);
  }

  /**
   * Records the status of one HTTP answer: 502, 503 and 504 are gateway failures, other 5xx
   * failures, the rest successes (Envoy's {@code putHttpResponseCode}). Any thread; lock-free.
   *
   * @param backendId the backend's id
   * @param status the HTTP status code
   * @return whether the backend is watched
   */
  public boolean recordHttpStatus(String backendId, int status) {
    Outcome o = status >= 502 && status <= 504 ? Outcome.GATEWAY_FAILURE
        : status >= 500 && status <= 599 ? Outcome.FAILURE : Outcome.SUCCESS;
    return recordOutcome(backendId, o);
  }

  /**
   * Records one outcome, as Envoy's {@code putResult}: without {@code
   * splitExternalLocalOriginErrors} a local-origin failure counts as a 503 answer, a timeout as a
   * 504, and a bare connection success is not counted; with it, local-origin outcomes feed their
   * own counters and {@link Outcome#SUCCESS} also counts as a local-origin success. Any thread;
   * lock-free; does not allocate unless it crosses a consecutive-failure threshold.
   *
   * @param backendId the backend's id
   * @param outcome what happened
   * @return whether the backend is watched
   */
  public boolean recordOutcome(String backendId, Outcome outcome) {
    Objects.requireNonNull(outcome, "outcome");
    Host h = hosts.get(backendId);
    if (h == null) {
      return false;
    }
    switch (outcome) {
      case SUCCESS:
        answer(h, false, false);
        if (split) {
          localOrigin(h, true);
        }
        break;
      case FAILURE:
        answer(h, true, false);
        break;
      case GATEWAY_FAILURE:
        answer(h, true, true);
        break;
      case LOCAL_ORIGIN_SUCCESS:
        if (split) {
          localOrigin(h, true);
        }
        break;
      default:
        if (split) {
          localOrigin(h, false);
        } else {
          answer(h, true, true);
        }
        break;
    }
    return true;
  }

  /** An answer of the backend: Envoy's external-origin counters. */
  private void answer(Host h, boolean failure, boolean gateway) {
    if (!failure) {
      h.successes.incrementAndGet();
      h.consecutive.set(0);
      h.consecutiveGateway.set(0);
      return;
    }
    h.failures.incrementAndGet();
    if (gateway) {
      if (h.consecutiveGateway.incrementAndGet() == consecutiveGatewayFailures) {
        scheduler.execute(() -> consecutiveReached(h, EjectionType.CONSECUTIVE_GATEWAY_FAILURE));
      }
    } else {
      h.consecutiveGateway.set(0);
    }
    if (h.consecutive.incrementAndGet() == consecutiveFailures) {
      scheduler.execute(() -> consecutiveReached(h, EjectionType.CONSECUTIVE_5XX));
    }
  }

  /** A local-origin outcome with the split on: its own counters. */
  private void localOrigin(Host h, boolean success) {
    if (success) {
      h.localSuccesses.incrementAndGet();
      h.consecutiveLocal.set(0);
      return;
    }
    h.localFailures.incrementAndGet();
    if (h.consecutiveLocal.incrementAndGet() == consecutiveLocalOriginFailures) {
      scheduler.execute(() -> consecutiveReached(h, EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE));
    }
  }

  /**
   * Returns Envoy's ejection counters now. Any thread; allocates the snapshot.
   *
   * @return the counters
   */
  public Stats stats() {
    int n = EjectionType.values().length;
    long[] d = new long[n];
    long[] e = new long[n];
    for (int i = 0; i < n; i++) {
      d[i] = detected.get(i);
      e[i] = enforced.get(i);
    }
    return new Stats(d, e, overflow.get(), ejectedCount());
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

  private void consecutiveReached(Host h, EjectionType type) {
    if (closed || h.removed || h.ejected) {
      return;
    }
    int threshold;
    switch (type) {
      case CONSECUTIVE_GATEWAY_FAILURE:
        h.consecutiveGateway.set(0);
        threshold = consecutiveGatewayFailures;
        break;
      case CONSECUTIVE_LOCAL_ORIGIN_FAILURE:
        h.consecutiveLocal.set(0);
        threshold = consecutiveLocalOriginFailures;
        break;
      default:
        h.consecutive.set(0);
        threshold = consecutiveFailures;
        break;
    }
    String what = type == EjectionType.CONSECUTIVE_GATEWAY_FAILURE ? " consecutive gateway failures"
        : type == EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE ? " consecutive local-origin failures" : " consecutive failures";
    detect(h, type, threshold + what);
  }

  private void tick() {
    ticker.fired();
    if (closed) {
      return;
    }
    List<Host> all = new ArrayList<>(hosts.values());
    for (Host h : all) {
      h.take();
    }
    analyze(all, false);
    if (split) {
      analyze(all, true);
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

  /** Envoy's processSuccessRateEjections over one kind of counters, the backends not ejected. */
  private void analyze(List<Host> all, boolean local) {
    List<Host> rateHosts = new ArrayList<>();
    List<Host> percentageHosts = new ArrayList<>();
    for (Host h : all) {
      if (h.ejected) {
        continue;
      }
      long volume = h.volume(local);
      if (volume >= requestVolume) {
        rateHosts.add(h);
      }
      if (volume >= failurePercentageRequestVolume) {
        percentageHosts.add(h);
      }
    }
    if (!rateHosts.isEmpty() && rateHosts.size() >= minimumHosts) {
      double sum = 0;
      for (Host h : rateHosts) {
        sum += h.rate(local);
      }
      double mean = sum / rateHosts.size();
      double sq = 0;
      for (Host h : rateHosts) {
        double d = h.rate(local) - mean;
        sq += d * d;
      }
      double stdev = Math.sqrt(sq / rateHosts.size());
      double threshold = mean - stdev * stdevFactor;
      for (Host h : rateHosts) {
        if (!h.ejected && h.rate(local) < threshold) {
          detect(h, local ? EjectionType.SUCCESS_RATE_LOCAL_ORIGIN : EjectionType.SUCCESS_RATE,
              String.format(Locale.ROOT, "%ssuccess rate %.3f below %.3f (mean %.3f - %.1f x stdev %.3f over %d hosts)",
                  local ? "local-origin " : "", h.rate(local), threshold, mean, stdevFactor, stdev, rateHosts.size()));
        }
      }
    }
    if (!percentageHosts.isEmpty() && percentageHosts.size() >= failurePercentageMinimumHosts) {
      for (Host h : percentageHosts) {
        double failed = 100.0 * (1.0 - h.rate(local));
        if (!h.ejected && failed >= failurePercentageThreshold) {
          detect(h, local ? EjectionType.FAILURE_PERCENTAGE_LOCAL_ORIGIN : EjectionType.FAILURE_PERCENTAGE,
              String.format(Locale.ROOT, "%sfailure percentage %.1f %% at or above %d %% (%d requests)",
                  local ? "local-origin " : "", failed, failurePercentageThreshold, h.volume(local)));
        }
      }
    }
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

  /** Counts a detected outlier and ejects it when the cap and the enforcement draw allow (Envoy's ejectHost). */
  private void detect(Host h, EjectionType type, String why) {
    detected.incrementAndGet(type.ordinal());
    int total = hosts.size();
    int ejected = ejectedCount();
    if ((long) ejected * 100 >= (long) maxEjectionPercent * total) {
      overflow.incrementAndGet();
      LOG.debug("{} not ejected ({}): {} of {} already ejected, cap {} %", h.backend.id(), why, ejected, total, maxEjectionPercent);
      return;
    }
    int percent = enforcing[type.ordinal()];
    if (percent < 100 && (percent == 0 || random.nextInt(100) >= percent)) {
      LOG.debug("{} detected as an outlier ({}), not enforced ({} % enforcement)", h.backend.id(), why, percent);
      return;
    }
    enforced.incrementAndGet(type.ordinal());
    // Envoy lets the multiplier grow while base x multiplier is below max + base, so it never
    // grows without bound and one quiet interval per step brings it back.
    if ((double) h.multiplier * baseEjection < (double) maxEjection + baseEjection) {
      h.multiplier++;
    }
    long time = (double) baseEjection * h.multiplier >= maxEjection ? maxEjection : baseEjection * h.multiplier;
    if (maxJitter > 0) {
      time += (long) (random.nextDouble() * maxJitter);
    }
    h.ejectedAt = clock.nanoTime();
    h.ejectedFor = time;
    h.ejected = true;
    h.ejectedThisTick = true;
    control.notify(h.backend, HealthState.UP, HealthState.DOWN, HealthResult.unhealthy(HealthReason.OUTLIER_EJECTED, 0,
        why + "; ejected for " + TimeUnit.NANOSECONDS.toMillis(time) + " ms (ejection " + h.multiplier + ", " + type + ")"));
  }

  private void uneject(Host h, long now) {
    h.ejected = false;
    h.consecutive.set(0);
    h.consecutiveGateway.set(0);
    h.consecutiveLocal.set(0);
    control.notify(h.backend, HealthState.DOWN, HealthState.UP,
        HealthResult.healthy(now - h.ejectedAt, "ejection ended after " + TimeUnit.NANOSECONDS.toMillis(now - h.ejectedAt) + " ms"));
  }

  /** One watched backend: report counters are atomic, the rest is confined to the control thread. */
  private static final class Host {
    final Backend backend;
    final @Nullable BackendLoad load;
    final AtomicLong successes = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong localSuccesses = new AtomicLong();
    final AtomicLong localFailures = new AtomicLong();
    final AtomicInteger consecutive = new AtomicInteger();
    final AtomicInteger consecutiveGateway = new AtomicInteger();
    final AtomicInteger consecutiveLocal = new AtomicInteger();
    long loadSuccesses;
    long loadFailures;
    long intervalSuccesses;
    long intervalFailures;
    long intervalLocalSuccesses;
    long intervalLocalFailures;
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
      intervalLocalSuccesses = localSuccesses.getAndSet(0);
      intervalLocalFailures = localFailures.getAndSet(0);
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

    long volume(boolean local) {
      return local ? intervalLocalSuccesses + intervalLocalFailures : intervalSuccesses + intervalFailures;
    }

    double rate(boolean local) {
      long total = volume(local);
      long ok = local ? intervalLocalSuccesses : intervalSuccesses;
      return total == 0 ? 1.0 : (double) ok / total;
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
    private int consecutiveGatewayFailures = 5;
    private int consecutiveLocalOriginFailures = 5;
    private boolean split;
    private int failurePercentageThreshold = 85;
    private int failurePercentageMinimumHosts = 5;
    private int failurePercentageRequestVolume = 50;
    private final int[] enforcing = new int[EjectionType.values().length];

    private Builder() {
      // Envoy's enforcing_* defaults.
      enforcing[EjectionType.CONSECUTIVE_5XX.ordinal()] = 100;
      enforcing[EjectionType.CONSECUTIVE_GATEWAY_FAILURE.ordinal()] = 0;
      enforcing[EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE.ordinal()] = 100;
      enforcing[EjectionType.SUCCESS_RATE.ordinal()] = 100;
      enforcing[EjectionType.SUCCESS_RATE_LOCAL_ORIGIN.ordinal()] = 100;
      enforcing[EjectionType.FAILURE_PERCENTAGE.ordinal()] = 0;
      enforcing[EjectionType.FAILURE_PERCENTAGE_LOCAL_ORIGIN.ordinal()] = 0;
    }

    private static int percent(String name, int percent) {
      if (percent < 0 || percent > 100) {
        throw new IllegalArgumentException(name + " must be in 0..100, was " + percent);
      }
      return percent;
    }

    /**
     * Sets the percentage of detected outliers of one kind that are ejected (Envoy {@code
     * enforcing_consecutive_5xx}, {@code enforcing_success_rate}, {@code
     * enforcing_failure_percentage}, ...). Defaults: Envoy's, 100 for consecutive failures,
     * success rates and consecutive local-origin failures, 0 for gateway failures and failure
     * percentages (detected and counted, not ejected).
     *
     * @param type the kind of ejection
     * @param percent 0..100
     * @return this builder
     */
    public Builder enforcing(EjectionType type, int percent) {
      enforcing[Objects.requireNonNull(type, "type").ordinal()] = percent("enforcing " + type, percent);
      return this;
    }

    /**
     * Sets {@code enforcing_success_rate}: the percentage of success-rate outliers ejected.
     *
     * @param percent 0..100; default 100
     * @return this builder
     */
    public Builder enforcingSuccessRate(int percent) {
      return enforcing(EjectionType.SUCCESS_RATE, percent);
    }

    /**
     * Sets {@code enforcing_failure_percentage}: the percentage of failure-percentage outliers
     * ejected. Envoy's default 0 only detects them; 100 is gRPC's when configured.
     *
     * @param percent 0..100; default 0
     * @return this builder
     */
    public Builder enforcingFailurePercentage(int percent) {
      return enforcing(EjectionType.FAILURE_PERCENTAGE, percent);
    }

    /**
     * Sets the failure percentage at or above which a backend is an outlier (Envoy {@code
     * failure_percentage_threshold}).
     *
     * @param percent 0..100; default 85
     * @return this builder
     */
    public Builder failurePercentageThreshold(int percent) {
      this.failurePercentageThreshold = percent("failurePercentageThreshold", percent);
      return this;
    }

    /**
     * Sets how many backends with enough volume the failure-percentage analysis needs.
     *
     * @param n 1 or more; default 5
     * @return this builder
     */
    public Builder failurePercentageMinimumHosts(int n) {
      this.failurePercentageMinimumHosts = ControlPlane.atLeast("failurePercentageMinimumHosts", n, 1);
      return this;
    }

    /**
     * Sets the requests in one interval that make a backend count in the failure-percentage analysis.
     *
     * @param n 1 or more; default 50
     * @return this builder
     */
    public Builder failurePercentageRequestVolume(int n) {
      this.failurePercentageRequestVolume = ControlPlane.atLeast("failurePercentageRequestVolume", n, 1);
      return this;
    }

    /**
     * Sets the 502, 503 or 504 answers in a row that make a backend an outlier (Envoy {@code
     * consecutive_gateway_failure}); ejected only as {@code enforcing(CONSECUTIVE_GATEWAY_FAILURE)}
     * says, 0% by default.
     *
     * @param n 1 or more; default 5
     * @return this builder
     */
    public Builder consecutiveGatewayFailures(int n) {
      this.consecutiveGatewayFailures = ControlPlane.atLeast("consecutiveGatewayFailures", n, 1);
      return this;
    }

    /**
     * Counts local-origin outcomes (connections refused, reset, timed out) apart from the
     * backend's answers (Envoy {@code split_external_local_origin_errors}).
     *
     * @param split whether to split; default false (a local-origin failure counts as a 503)
     * @return this builder
     */
    public Builder splitExternalLocalOriginErrors(boolean split) {
      this.split = split;
      return this;
    }

    /**
     * Sets the local-origin failures in a row that eject a backend when the split is on (Envoy
     * {@code consecutive_local_origin_failure}).
     *
     * @param n 1 or more; default 5
     * @return this builder
     */
    public Builder consecutiveLocalOriginFailures(int n) {
      this.consecutiveLocalOriginFailures = ControlPlane.atLeast("consecutiveLocalOriginFailures", n, 1);
      return this;
    }

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
