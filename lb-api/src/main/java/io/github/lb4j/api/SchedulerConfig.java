package io.github.lb4j.api;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * What every scheduler is created with: the shared counters and clock, the hash seed, the
 * cross-cutting features (slow start, persistence, the no-backend policy) and algorithm-specific
 * options by name (for example {@code table-size=65537} for Maglev, {@code choices=2} for
 * power-of-two-choices).
 *
 * <p>Immutable; any thread may use it. Building allocates; nothing blocks. Options are validated by
 * the algorithm that reads them: an unknown option name or a bad value makes {@link
 * Schedulers#create} throw an {@link IllegalArgumentException} naming the option and value.
 */
public final class SchedulerConfig {

  private final SessionCounters sessions;
  private final NanoClock clock;
  private final OptionalLong seed;
  private final Duration slowStart;
  private final double slowStartAggression;
  private final int slowStartMinWeightPercent;
  private final Duration persistence;
  private final int persistenceCapacity;
  private final NoBackendPolicy noBackendPolicy;
  private final int panicThresholdPercent;
  private final Map<String, String> options;

  private SchedulerConfig(Builder b) {
    this.clock = b.clock;
    this.sessions = b.sessions != null ? b.sessions : SessionCounters.create(b.clock, SessionCounters.DEFAULT_EWMA_DECAY);
    this.seed = b.seed;
    this.slowStart = b.slowStart;
    this.slowStartAggression = b.slowStartAggression;
    this.slowStartMinWeightPercent = b.slowStartMinWeightPercent;
    this.persistence = b.persistence;
    this.persistenceCapacity = b.persistenceCapacity;
    this.noBackendPolicy = b.noBackendPolicy;
    this.panicThresholdPercent = b.panicThresholdPercent;
    this.options = Collections.unmodifiableMap(new LinkedHashMap<>(b.options));
  }

  /**
   * Returns a configuration with every default: new counters, the system clock, no seed (each
   * scheduler draws its own random one), no slow start, no persistence, fail closed.
   *
   * @return the default configuration
   */
  public static SchedulerConfig defaults() {
    return builder().build();
  }

  /**
   * Returns a builder with every default.
   *
   * @return a builder with every default
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder holding this configuration's values.
   *
   * @return a builder holding this configuration's values
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.sessions = sessions;
    b.clock = clock;
    b.seed = seed;
    b.slowStart = slowStart;
    b.slowStartAggression = slowStartAggression;
    b.slowStartMinWeightPercent = slowStartMinWeightPercent;
    b.persistence = persistence;
    b.persistenceCapacity = persistenceCapacity;
    b.noBackendPolicy = noBackendPolicy;
    b.panicThresholdPercent = panicThresholdPercent;
    b.options.putAll(options);
    return b;
  }

  /**
   * Returns the live counters the scheduler reads.
   *
   * @return the live counters the scheduler reads
   */
  public SessionCounters sessions() {
    return sessions;
  }

  /**
   * Returns the clock for slow start and persistence timeouts.
   *
   * @return the clock for slow start and persistence timeouts
   */
  public NanoClock clock() {
    return clock;
  }

  /**
   * Returns the hash and random seed set with {@link Builder#seed(long)}, or empty when none was
   * set. Without a seed every scheduler created from this configuration draws its own random seed
   * (from {@link java.security.SecureRandom}), so two instances neither share a round-robin start
   * nor a random stream, and nobody can precompute which flows a hash sends to one backend.
   * Balancers that must agree (several instances behind ECMP) set the same explicit seed.
   *
   * @return the explicit seed, or empty for a random seed per scheduler
   */
  public OptionalLong seed() {
    return seed;
  }

  /**
   * Returns the slow-start window, {@link Duration#ZERO} when off.
   *
   * @return the slow-start window, {@link Duration#ZERO} when off
   */
  public Duration slowStart() {
    return slowStart;
  }

  /**
   * Returns Envoy's slow-start {@code aggression}: during the window a backend's weight is
   * multiplied by {@code max(minWeightPercent / 100, timeFactor^(1 / aggression))}, where {@code
   * timeFactor} is the time since it joined (at least one second) over the window. 1.0 ramps
   * linearly; larger values ramp faster at first.
   *
   * @return the aggression, positive; 1.0 by default
   */
  public double slowStartAggression() {
    return slowStartAggression;
  }

  /**
   * Returns Envoy's slow-start {@code min_weight_percent}: the share of its weight a joining
   * backend starts with.
   *
   * @return 1..100; 10 by default
   */
  public int slowStartMinWeightPercent() {
    return slowStartMinWeightPercent;
  }

  /**
   * Returns the persistence timeout (IPVS persistent), {@link Duration#ZERO} when off.
   *
   * @return the persistence timeout (IPVS persistent), {@link Duration#ZERO} when off
   */
  public Duration persistence() {
    return persistence;
  }

  /**
   * Returns the most clients remembered by persistence; the least recently used is forgotten first.
   *
   * @return the most clients remembered by persistence; the least recently used is forgotten first
   */
  public int persistenceCapacity() {
    return persistenceCapacity;
  }

  /**
   * Returns what select does when no backend is eligible.
   *
   * @return what select does when no backend is eligible
   */
  public NoBackendPolicy noBackendPolicy() {
    return noBackendPolicy;
  }

  /**
   * Returns the panic threshold: when fewer than this percentage of all backends are eligible,
   * select ignores health and picks among all of them (Envoy's panic mode). 0 turns it off.
   *
   * @return 0..100
   */
  public int panicThresholdPercent() {
    return panicThresholdPercent;
  }

  /**
   * Returns the algorithm-specific options, in insertion order.
   *
   * @return the algorithm-specific options, in insertion order
   */
  public Map<String, String> options() {
    return options;
  }

  /**
   * Returns an algorithm option.
   *
   * @param name the option name
   * @return its value, or {@code null} when not set
   */
  public @Nullable String option(String name) {
    return options.get(name);
  }

  @Override
  public String toString() {
    return "SchedulerConfig{seed=" + (seed.isPresent() ? Long.toString(seed.getAsLong()) : "random")
        + ", slowStart=" + slowStart + (slowStart.isZero() ? "" : " (aggression " + slowStartAggression + ", min "
        + slowStartMinWeightPercent + "%)") + ", persistence=" + persistence
        + ", noBackendPolicy=" + noBackendPolicy + ", panicThresholdPercent=" + panicThresholdPercent
        + ", options=" + options + "}";
  }

  /** A mutable builder; one thread. */
  public static final class Builder {
    private @Nullable SessionCounters sessions;
    private NanoClock clock = NanoClock.system();
    private OptionalLong seed = OptionalLong.empty();
    private Duration slowStart = Duration.ZERO;
    private double slowStartAggression = 1.0;
    private int slowStartMinWeightPercent = 10;
    private Duration persistence = Duration.ZERO;
    private int persistenceCapacity = 65_536;
    private NoBackendPolicy noBackendPolicy = NoBackendPolicy.FAIL_CLOSED;
    private int panicThresholdPercent;
    private final Map<String, String> options = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Sets the counters to share with the forwarding path; by default each configuration gets new ones.
     *
     * @param sessions the counters
     * @return this builder
     */
    public Builder sessions(SessionCounters sessions) {
      this.sessions = Objects.requireNonNull(sessions, "sessions");
      return this;
    }

    /**
     * Sets the clock.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(NanoClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Fixes the hash and random seed, so that schedulers with equal configuration and seed, fed
     * the same updates, choose alike (several balancers behind ECMP). Without it each scheduler
     * draws a random seed.
     *
     * @param seed any value
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = OptionalLong.of(seed);
      return this;
    }

    /**
     * Sets the slow-start window: a backend that joins ramps its weight linearly from 10% (Envoy's
     * default {@code min_weight_percent}) to its full weight over this time (aggression 1.0).
     *
     * @param window zero (off) or positive
     * @return this builder
     * @throws IllegalArgumentException naming the value when negative
     */
    public Builder slowStart(Duration window) {
      this.slowStart = nonNegative("slowStart", window);
      return this;
    }

    /**
     * Sets the slow-start window with Envoy's {@code aggression} and {@code min_weight_percent}
     * (Envoy {@code SlowStartConfig}): during the window a backend's weight is multiplied by
     * {@code max(minWeightPercent / 100, (max(elapsed, 1 s) / window)^(1 / aggression))}.
     *
     * @param window zero (off) or positive
     * @param aggression positive and finite; 1.0 ramps linearly
     * @param minWeightPercent 1..100, the share a joining backend starts with
     * @return this builder
     * @throws IllegalArgumentException naming the value when one is out of range
     */
    public Builder slowStart(Duration window, double aggression, int minWeightPercent) {
      if (!(aggression > 0) || Double.isInfinite(aggression)) {
        throw new IllegalArgumentException("slowStartAggression must be positive and finite, was " + aggression);
      }
      if (minWeightPercent < 1 || minWeightPercent > 100) {
        throw new IllegalArgumentException("slowStartMinWeightPercent must be in 1..100, was " + minWeightPercent);
      }
      this.slowStart = nonNegative("slowStart", window);
      this.slowStartAggression = aggression;
      this.slowStartMinWeightPercent = minWeightPercent;
      return this;
    }

    /**
     * Turns on persistence: a client (source address) keeps its backend while it returns within
     * {@code timeout}.
     *
     * @param timeout zero (off) or positive
     * @param capacity the most clients remembered, 1 or more
     * @return this builder
     * @throws IllegalArgumentException naming the value when one is out of range
     */
    public Builder persistence(Duration timeout, int capacity) {
      this.persistence = nonNegative("persistence", timeout);
      if (capacity < 1) {
        throw new IllegalArgumentException("persistenceCapacity must be at least 1, was " + capacity);
      }
      this.persistenceCapacity = capacity;
      return this;
    }

    /**
     * Sets the policy when no backend is eligible.
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder noBackendPolicy(NoBackendPolicy policy) {
      this.noBackendPolicy = Objects.requireNonNull(policy, "noBackendPolicy");
      return this;
    }

    /**
     * Sets the panic threshold.
     *
     * @param percent 0 (off) to 100
     * @return this builder
     * @throws IllegalArgumentException naming the value when out of range
     */
    public Builder panicThresholdPercent(int percent) {
      if (percent < 0 || percent > 100) {
        throw new IllegalArgumentException("panicThresholdPercent must be in 0..100, was " + percent);
      }
      this.panicThresholdPercent = percent;
      return this;
    }

    /**
     * Sets an algorithm-specific option.
     *
     * @param name the option name, as documented by the algorithm
     * @param value its value
     * @return this builder
     */
    public Builder option(String name, String value) {
      options.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Returns the configuration.
     *
     * @return the configuration
     */
    public SchedulerConfig build() {
      return new SchedulerConfig(this);
    }

    private static Duration nonNegative(String field, Duration d) {
      if (Objects.requireNonNull(d, field).isNegative()) {
        throw new IllegalArgumentException(field + " must not be negative, was " + d);
      }
      return d;
    }
  }
}
