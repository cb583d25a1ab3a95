package io.github.lb4j.nat.flow;

import io.github.lb4j.api.NanoClock;
import io.github.lb4j.api.SessionCounters;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The settings of a {@link FlowTable}: capacity, per-state timeouts (IPVS defaults: SYN_RECV 60 s,
 * ESTABLISHED 15 min, FIN_WAIT and TIME_WAIT 120 s, CLOSE 10 s, UDP 300 s, ICMP 60 s), the new-flow
 * rate above which new flows are forwarded without state, the clock and the session counters fed
 * by opening and closing flows.
 *
 * <p>Immutable once built; any thread. The builder allocates and is for one thread.
 */
public final class FlowTableConfig {

  private final int capacity;
  private final int[] timeoutSeconds;
  private final long newFlowRateLimit;
  private final int clockSampleInterval;
  private final NanoClock clock;
  private final SessionCounters sessions;
  private final OptionalLong seed;
  private final Duration sweepPeriod;

  private FlowTableConfig(Builder b) {
    this.capacity = b.capacity;
    this.timeoutSeconds = b.timeoutSeconds.clone();
    this.newFlowRateLimit = b.newFlowRateLimit;
    this.clockSampleInterval = b.clockSampleInterval;
    this.clock = b.clock;
    this.sessions = b.sessions;
    this.seed = b.seed;
    this.sweepPeriod = b.sweepPeriod;
  }

  /**
   * Starts a builder with the IPVS default timeouts.
   *
   * @param capacity the number of 32-byte flow slots (an IPv4 flow takes one, an IPv6 flow two),
   *     rounded up to a power of two, 16..2^26
   * @param sessions the counters that opening and closing flows feed
   * @return the builder
   * @throws IllegalArgumentException naming the value when the capacity is out of range
   */
  public static Builder builder(int capacity, SessionCounters sessions) {
    return new Builder(capacity, sessions);
  }

  /** {@return the number of slots, a power of two} */
  public int capacity() {
    return capacity;
  }

  /**
   * Returns the timeout of a state in whole seconds.
   *
   * @param state a {@link FlowState} code
   * @return seconds
   */
  public int timeoutSeconds(int state) {
    return timeoutSeconds[state];
  }

  /** {@return new flows per second above which new flows get no state; 0 for no limit} */
  public long newFlowRateLimit() {
    return newFlowRateLimit;
  }

  /** {@return operations between two readings of the clock} */
  public int clockSampleInterval() {
    return clockSampleInterval;
  }

  /** {@return the clock} */
  public NanoClock clock() {
    return clock;
  }

  /** {@return the session counters fed by the table} */
  public SessionCounters sessions() {
    return sessions;
  }

  /** {@return the time in which the expiry sweep passes over the whole table once} */
  public Duration sweepPeriod() {
    return sweepPeriod;
  }

  /** {@return the hash seed, or empty for a random one per table} */
  public OptionalLong seed() {
    return seed;
  }

  @Override
  public String toString() {
    return "FlowTableConfig[capacity=" + capacity + ", timeouts=" + Arrays.toString(timeoutSeconds)
        + ", newFlowRateLimit=" + newFlowRateLimit + ", clockSampleInterval=" + clockSampleInterval
        + ", sweepPeriod=" + sweepPeriod + "]";
  }

  /** Builds a {@link FlowTableConfig}; one thread; allocates. */
  public static final class Builder {
    private final int capacity;
    private final int[] timeoutSeconds = new int[FlowState.COUNT];
    private long newFlowRateLimit;
    private int clockSampleInterval = 64;
    private NanoClock clock = NanoClock.system();
    private final SessionCounters sessions;
    private OptionalLong seed = OptionalLong.empty();
    private Duration sweepPeriod = Duration.ofSeconds(10);

    private Builder(int capacity, SessionCounters sessions) {
      if (capacity < 16 || capacity > (1 << 26)) {
        throw new IllegalArgumentException("capacity must be in 16..67108864, was " + capacity);
      }
      this.capacity = Integer.highestOneBit(capacity - 1) << 1;
      this.sessions = Objects.requireNonNull(sessions, "sessions");
      timeoutSeconds[FlowState.SYN_RECV] = 60;
      timeoutSeconds[FlowState.ESTABLISHED] = 900;
      timeoutSeconds[FlowState.FIN_WAIT] = 120;
      timeoutSeconds[FlowState.TIME_WAIT] = 120;
      timeoutSeconds[FlowState.CLOSE] = 10;
      timeoutSeconds[FlowState.UDP] = 300;
      timeoutSeconds[FlowState.ICMP] = 60;
      timeoutSeconds[FlowState.OTHER] = 300;
    }

    /**
     * Sets the timeout of one state, rounded up to whole seconds.
     *
     * @param state a {@link FlowState} code other than FREE
     * @param timeout positive, at most one year
     * @return this builder
     * @throws IllegalArgumentException naming the state and value when out of range
     */
    public Builder timeout(int state, Duration timeout) {
      if (state <= FlowState.FREE || state >= FlowState.COUNT) {
        throw new IllegalArgumentException("state must be a FlowState code 1.." + (FlowState.COUNT - 1) + ", was " + state);
      }
      if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofDays(366)) > 0) {
        throw new IllegalArgumentException("timeout of " + FlowState.name(state) + " must be in (0, 366 days], was " + timeout);
      }
      long s = timeout.getSeconds() + (timeout.getNano() > 0 ? 1 : 0);
      timeoutSeconds[state] = (int) s;
      return this;
    }

    /**
     * Sets the new-flow rate above which new flows get no state where replies bypass the balancer
     * (they are forwarded by consistent hash, as Katran does under a SYN flood) and are admitted on
     * probation where replies pass it ({@link FlowTable#admit}).
     *
     * @param flowsPerSecond 0 for no limit
     * @return this builder
     * @throws IllegalArgumentException when negative
     */
    public Builder newFlowRateLimit(long flowsPerSecond) {
      if (flowsPerSecond < 0) {
        throw new IllegalArgumentException("newFlowRateLimit must be 0 (none) or positive, was " + flowsPerSecond);
      }
      this.newFlowRateLimit = flowsPerSecond;
      return this;
    }

    /**
     * Sets how many table operations pass between two clock readings (a clock read costs more
     * than a lookup); 1 reads it on every operation, as tests with a manual clock want.
     *
     * @param operations 1..65536, a power of two
     * @return this builder
     * @throws IllegalArgumentException when not a power of two in range
     */
    public Builder clockSampleInterval(int operations) {
      if (operations < 1 || operations > 65_536 || Integer.bitCount(operations) != 1) {
        throw new IllegalArgumentException("clockSampleInterval must be a power of two in 1..65536, was " + operations);
      }
      this.clockSampleInterval = operations;
      return this;
    }

    /**
     * Sets how long the expiry sweep takes to pass over the whole table once: an idle flow releases
     * its session count at most this long after its timeout. The sweep runs at clock readings, a few
     * slots at a time, at this pace whatever the packet rate (a 2^21-slot table every 10 s is about
     * 100,000 lines a second).
     *
     * @param period 100 ms..1 hour
     * @return this builder
     * @throws IllegalArgumentException naming the value when out of range
     */
    public Builder sweepPeriod(Duration period) {
      if (period.compareTo(Duration.ofMillis(100)) < 0 || period.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("sweepPeriod must be in 100 ms..1 h, was " + period);
      }
      this.sweepPeriod = period;
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
     * Fixes the hash seed (tests); by default every table draws a random one.
     *
     * @param seed the seed
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = OptionalLong.of(seed);
      return this;
    }

    /** {@return the configuration} */
    public FlowTableConfig build() {
      return new FlowTableConfig(this);
    }
  }
}
