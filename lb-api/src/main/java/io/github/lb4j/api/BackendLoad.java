package io.github.lb4j.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The live load of one backend: the seed's session table counts (S3.2) plus request latency, fed
 * by whoever forwards traffic (the flow table, a proxy, a client SDK) and read by the schedulers.
 *
 * <p>Sessions follow IPVS's two counts: <em>active</em> (for TCP, established) and <em>inactive</em>
 * (opened but not established, or closing). A session normally goes {@link #sessionOpened()} then
 * {@link #sessionClosed(boolean)}; a transport that distinguishes states may move it with {@link
 * #sessionDeactivated()} and {@link #sessionActivated()}.
 *
 * <p>Requests feed the in-flight count and the latency estimate of the peak-EWMA scheduler
 * (Finagle, "Peak EWMA"): a new sample larger than the current cost replaces it at once; a smaller
 * one is blended in with weight {@code 1 - exp(-elapsed / tau)}; and the cost decays toward zero
 * while no sample arrives.
 *
 * <p>Thread-safe and lock-free: any thread may call any method concurrently. No method allocates or
 * blocks. Counts never go below zero: a close without a matching open is ignored and counted in
 * {@link #unmatchedCloses()}, so a misbehaving caller cannot wrap a counter.
 */
public final class BackendLoad {

  private static final VarHandle ACTIVE = handle("active");
  private static final VarHandle INACTIVE = handle("inactive");
  private static final VarHandle PENDING = handle("pending");
  private static final VarHandle COST = handle("costBits");
  private static final VarHandle STAMP = handle("stamp");
  private static final VarHandle TOTAL = handle("totalSessions");
  private static final VarHandle SUCCESSES = handle("successes");
  private static final VarHandle FAILURES = handle("failures");
  private static final VarHandle UNMATCHED = handle("unmatchedCloses");

  private final String backendId;
  private final int handle;
  private final NanoClock clock;
  private final double tauNanos;

  // No cache-line padding: with thousands of backends the memory would outweigh the gain, and
  // contention is per backend, not global.
  private volatile long active;
  private volatile long inactive;
  private volatile long pending;
  private volatile long costBits;
  private volatile long stamp;
  private volatile long totalSessions;
  private volatile long successes;
  private volatile long failures;
  private volatile long unmatchedCloses;

  BackendLoad(String backendId, int handle, NanoClock clock, long tauNanos) {
    this.backendId = backendId;
    this.handle = handle;
    this.clock = clock;
    this.tauNanos = tauNanos;
    this.stamp = clock.nanoTime();
  }

  /**
   * Returns the id of the backend these counters belong to.
   *
   * @return the id of the backend these counters belong to
   */
  public String backendId() {
    return backendId;
  }

  /**
   * Returns a small integer that names this backend's counters for the lifetime of its {@link
   * SessionCounters}, so that a primitive flow table can store it instead of a reference.
   *
   * @return the handle, 0 or more
   */
  public int handle() {
    return handle;
  }

  /** Records a new session, counted as active. */
  public void sessionOpened() {
    ACTIVE.getAndAdd(this, 1L);
    TOTAL.getAndAdd(this, 1L);
  }

  /** Records a new session that starts inactive (for TCP: SYN seen, not yet established). */
  public void sessionOpenedInactive() {
    INACTIVE.getAndAdd(this, 1L);
    TOTAL.getAndAdd(this, 1L);
  }

  /** Moves one session from inactive to active (TCP: established). */
  public void sessionActivated() {
    if (decrement(INACTIVE)) {
      ACTIVE.getAndAdd(this, 1L);
    }
  }

  /** Moves one session from active to inactive (TCP: closing or time-wait). */
  public void sessionDeactivated() {
    if (decrement(ACTIVE)) {
      INACTIVE.getAndAdd(this, 1L);
    }
  }

  /**
   * Records the end of a session.
   *
   * @param wasActive whether the session was counted as active (else inactive)
   */
  public void sessionClosed(boolean wasActive) {
    decrement(wasActive ? ACTIVE : INACTIVE);
  }

  /** Records a request sent to the backend and not yet answered. */
  public void requestStarted() {
    PENDING.getAndAdd(this, 1L);
  }

  /**
   * Records the end of a request started with {@link #requestStarted()}.
   *
   * @param latencyNanos the time from request to response
   * @param success whether the outcome was a success (feeds outlier detection)
   * @return {@code true} when a request was in flight to end; {@code false} when none was (the end
   *     is counted in {@link #unmatchedCloses()}; its outcome and latency still count)
   */
  public boolean requestFinished(long latencyNanos, boolean success) {
    boolean matched = decrement(PENDING);
    recordLatency(latencyNanos);
    if (success) {
      SUCCESSES.getAndAdd(this, 1L);
    } else {
      FAILURES.getAndAdd(this, 1L);
    }
    return matched;
  }

  /**
   * Records a request sent to the backend unless {@code limit} requests are already in flight
   * (HAProxy's {@code maxconn} as an exact, lock-free admission test).
   *
   * @param limit the most requests in flight, 1 or more; {@link Long#MAX_VALUE} for no limit
   * @return {@code true} when the request was counted, {@code false} when the backend is full
   */
  public boolean tryRequestStarted(long limit) {
    for (;;) {
      long v = pending;
      if (v >= limit) {
        return false;
      }
      if (PENDING.compareAndSet(this, v, v + 1)) {
        return true;
      }
    }
  }

  /**
   * Records the end of a request started with {@link #requestStarted()} without a latency sample:
   * the outcome counts as with {@link #requestFinished(long, boolean)}, but no clock is read, so the
   * peak-EWMA estimate is left as it was.
   *
   * @param success whether the outcome was a success (feeds outlier detection)
   * @return {@code true} when a request was in flight to end; {@code false} when none was (counted
   *     in {@link #unmatchedCloses()}; the outcome still counts)
   */
  public boolean requestFinished(boolean success) {
    boolean matched = decrement(PENDING);
    if (success) {
      SUCCESSES.getAndAdd(this, 1L);
    } else {
      FAILURES.getAndAdd(this, 1L);
    }
    return matched;
  }

  /**
   * Records the end of a request that was abandoned before an outcome (the caller cancelled it):
   * only the in-flight count changes.
   *
   * @return {@code true} when a request was in flight to end; {@code false} when none was (counted
   *     in {@link #unmatchedCloses()})
   */
  public boolean requestCancelled() {
    return decrement(PENDING);
  }

  /**
   * Records a latency sample without touching the pending count (for example a connect time).
   *
   * @param latencyNanos the sample, 0 or more
   */
  public void recordLatency(long latencyNanos) {
    long now = clock.nanoTime();
    double rtt = Math.max(0L, latencyNanos);
    for (;;) {
      long bits = costBits;
      long then = stamp;
      double cost = Double.longBitsToDouble(bits);
      double next;
      if (rtt > cost) {
        next = rtt;
      } else {
        double w = Math.exp(-Math.max(0L, now - then) / tauNanos);
        next = cost * w + rtt * (1.0 - w);
      }
      if (COST.compareAndSet(this, bits, Double.doubleToRawLongBits(next))) {
        STAMP.setRelease(this, now);
        return;
      }
    }
  }

  /**
   * Returns the peak-EWMA latency cost now: the last cost decayed toward zero by the time since its
   * last sample. Does not write.
   *
   * @return the cost in nanoseconds, 0 when nothing was observed
   */
  public double latencyCostNanos() {
    double cost = Double.longBitsToDouble(costBits);
    if (cost == 0.0) {
      return 0.0;
    }
    long elapsed = Math.max(0L, clock.nanoTime() - stamp);
    return cost * Math.exp(-elapsed / tauNanos);
  }

  /**
   * Returns the active sessions now.
   *
   * @return the active sessions now
   */
  public long active() {
    return active;
  }

  /**
   * Returns the inactive sessions now.
   *
   * @return the inactive sessions now
   */
  public long inactive() {
    return inactive;
  }

  /**
   * Returns the requests in flight now.
   *
   * @return the requests in flight now
   */
  public long pending() {
    return pending;
  }

  /**
   * Returns sessions opened since creation.
   *
   * @return sessions opened since creation
   */
  public long totalSessions() {
    return totalSessions;
  }

  /**
   * Returns successful requests since creation.
   *
   * @return successful requests since creation
   */
  public long successes() {
    return successes;
  }

  /**
   * Returns failed requests since creation.
   *
   * @return failed requests since creation
   */
  public long failures() {
    return failures;
  }

  /**
   * Returns closes and request ends that had no matching open, ignored.
   *
   * @return closes and request ends that had no matching open, ignored
   */
  public long unmatchedCloses() {
    return unmatchedCloses;
  }

  private static VarHandle handle(String field) {
    try {
      return MethodHandles.lookup().findVarHandle(BackendLoad.class, field, long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private boolean decrement(VarHandle counter) {
    for (;;) {
      long v = (long) counter.getVolatile(this);
      if (v <= 0) {
        UNMATCHED.getAndAdd(this, 1L);
        return false;
      }
      if (counter.compareAndSet(this, v, v - 1)) {
        return true;
      }
    }
  }

  @Override
  public String toString() {
    return backendId + "{active=" + active + ", inactive=" + inactive + ", pending=" + pending + "}";
  }
}
