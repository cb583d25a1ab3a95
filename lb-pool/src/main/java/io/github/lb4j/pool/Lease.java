package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The answer of a {@link BackendPool} pick: a backend leased for one request or connection, or a
 * refusal with its reason ({@link #status()}). Complete a granted lease exactly once with {@link
 * #complete}: that ends its in-flight count, feeds the backend's latency estimate and outcome counts,
 * and reports the outcome to outlier detection, so the caller never touches the counters itself.
 *
 * <pre>{@code
 * Lease lease = pool.pick(userId);
 * if (!lease.isGranted()) {
 *   return fail(lease.status());               // NO_BACKEND, LIMIT, CIRCUIT_OPEN, ...
 * }
 * long start = System.nanoTime();
 * try {
 *   Response r = send(lease.backend(), request);
 *   lease.complete(r.status() >= 500 ? Outcome.FAILURE : Outcome.SUCCESS, System.nanoTime() - start);
 * } catch (IOException e) {
 *   lease.complete(Outcome.FAILURE, System.nanoTime() - start);
 * }
 * }</pre>
 *
 * <p><b>Three kinds, one type.</b> Refusals are shared constants. A request lease is, by default, a
 * token shared by every request in flight on the same backend and thread stripe (the pool makes two
 * per backend and stripe, plain and retry): a pick allocates nothing, and a token reused by a later
 * request is the same object. A token cannot tell one request from another, so a second completion
 * is detected by the counts: the backend's in-flight count ends one request per completion and
 * never goes below zero, and the completion that finds none in flight returns {@code false} and is
 * counted in {@link PoolStats#doubleCompletions()} (with the backend's {@link
 * io.github.lb4j.api.BackendLoad#unmatchedCloses()}). When other requests are in flight on the
 * same backend, the second completion ends one of their counts instead, and the last of them is the
 * one refused: every count stays exact and returns to zero, each double completion is counted once,
 * but the {@code false} may reach another caller than the faulty one. Turn on {@link
 * BackendPool.Builder#leaseTracking(boolean) lease tracking} to get one object per request that
 * refuses exactly its own second completion, at the price of that allocation (about 32 bytes). A
 * connection lease ({@link BackendPool#connect}) is always one
 * object per connection: connections have a state ({@link #established}) that a shared token could
 * not hold, and they are rare enough to afford it.
 *
 * <p>Any thread may call any method, including a thread other than the one that picked. Nothing
 * here blocks; {@link #complete} allocates nothing (unless it crosses outlier detection's threshold,
 * which posts one control task).
 */
public final class Lease {

  static final int SHARED = 0;
  static final int TRACKED = 1;
  static final int CONNECTION = 2;

  private static final int OPEN = 0;
  private static final int ESTABLISHED = 1;
  private static final int DONE = 2;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(Lease.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final Map<PickStatus, Lease> REFUSALS = new EnumMap<>(PickStatus.class);

  static {
    for (PickStatus s : PickStatus.values()) {
      if (s != PickStatus.OK) {
        REFUSALS.put(s, new Lease(s));
      }
    }
  }

  private final @Nullable Picker picker;
  private final @Nullable Member member;
  private final PickStatus status;
  private final int stripe;
  private final boolean retry;
  private final int kind;
  @SuppressWarnings("unused") // Through STATE.
  private volatile int state;

  private Lease(PickStatus refusal) {
    this.picker = null;
    this.member = null;
    this.status = refusal;
    this.stripe = 0;
    this.retry = false;
    this.kind = SHARED;
  }

  Lease(Picker picker, Member member, int stripe, boolean retry, int kind) {
    this.picker = picker;
    this.member = member;
    this.status = PickStatus.OK;
    this.stripe = stripe;
    this.retry = retry;
    this.kind = kind;
  }

  /** The shared refusal of a status other than OK. */
  static Lease refused(PickStatus status) {
    Lease l = REFUSALS.get(status);
    if (l == null) {
      throw new IllegalArgumentException("OK is not a refusal");
    }
    return l;
  }

  /**
   * Returns whether a backend was leased.
   *
   * @return {@code true} when {@link #status()} is {@link PickStatus#OK}
   */
  public boolean isGranted() {
    return status == PickStatus.OK;
  }

  /**
   * Returns the answer: {@link PickStatus#OK}, or why no backend was leased.
   *
   * @return the status
   */
  public PickStatus status() {
    return status;
  }

  /**
   * Returns the leased backend as the membership defines it now (address, port, metadata).
   *
   * @return the backend
   * @throws IllegalStateException naming the status when the pick was refused
   */
  public Backend backend() {
    Member m = member;
    if (m == null) {
      throw new IllegalStateException("no backend was leased: " + status);
    }
    return m.backend;
  }

  /**
   * Returns the leased backend's id, without the membership read of {@link #backend()}.
   *
   * @return the id
   * @throws IllegalStateException naming the status when the pick was refused
   */
  public String backendId() {
    Member m = member;
    if (m == null) {
      throw new IllegalStateException("no backend was leased: " + status);
    }
    return m.id;
  }

  /**
   * Returns whether this lease is a retry (a pick with exclusions), counted in the retry budget until
   * it completes.
   *
   * @return whether it is a retry
   */
  public boolean isRetry() {
    return retry;
  }

  /**
   * Returns whether this is a connection lease from {@link BackendPool#connect}.
   *
   * @return whether it counts a connection rather than a request
   */
  public boolean isConnection() {
    return kind == CONNECTION;
  }

  /**
   * Marks a connection lease's connection as established (TCP handshake done): its session moves
   * from inactive to active (IPVS's two counts) and the connect time feeds the backend's latency
   * estimate. Only the first call counts.
   *
   * @param connectNanos the time the connection took to establish, 0 or more
   * @return whether this call moved the connection; {@code false} when it was established,
   *     completed or refused already
   * @throws IllegalStateException for a request lease, which has no connection phase
   */
  public boolean established(long connectNanos) {
    Member m = member;
    if (m == null) {
      return false;
    }
    if (kind != CONNECTION) {
      throw new IllegalStateException("a request lease has no connection to establish; use BackendPool.connect");
    }
    if (!STATE.compareAndSet(this, OPEN, ESTABLISHED)) {
      return false;
    }
    m.load.sessionActivated();
    m.load.recordLatency(connectNanos);
    return true;
  }

  /**
   * Ends the lease: the request or connection is over. Ends the in-flight count (and the circuit
   * breaker's and retry budget's shares), counts the outcome on the backend, feeds the latency to
   * the peak-EWMA estimate when the pool tracks latency, and reports the outcome to outlier
   * detection ({@link Outcome#CANCELLED} is reported to nobody). A refused lease ignores the call.
   *
   * @param outcome how it ended
   * @param latencyNanos the time from the pick's use to its answer; 0 or more (negative counts as 0)
   * @return {@code true} when the completion was counted; {@code false} for a refused lease, for a
   *     second completion of a connection lease or of a tracked request lease, and for a completion
   *     of a shared request token that found no request in flight on its backend (see above)
   */
  public boolean complete(Outcome outcome, long latencyNanos) {
    Objects.requireNonNull(outcome, "outcome");
    Member m = member;
    Picker p = picker;
    if (m == null || p == null) {
      return false;
    }
    if (kind == SHARED) {
      return p.completeRequest(m, stripe, retry, outcome, latencyNanos);
    }
    int was = (int) STATE.getAndSet(this, DONE);
    if (was == DONE) {
      p.doubleCompletion();
      return false;
    }
    if (kind == TRACKED) {
      return p.completeRequest(m, stripe, retry, outcome, latencyNanos);
    } else {
      p.completeConnection(m, stripe, retry, was == ESTABLISHED, outcome, latencyNanos);
    }
    return true;
  }

  /**
   * Passes on the load report the backend sent with its answer (an ORCA trailer: gRFC A51's
   * per-call report) to every scheduler of the pool that adapts its weights to reports
   * ({@code weighted-round-robin-adaptive}, gRFC A58), so callers never touch a scheduler. Call it
   * before {@link #complete}; a refused lease ignores it. Any thread; lock-free; no allocation.
   *
   * @param qps the requests per second the backend reports serving, 0 or more
   * @param eps the errors per second among them, 0 or more
   * @param cpuUtilization its CPU utilization, for example 0.5
   * @param applicationUtilization its own utilization measure, used instead of the CPU's when
   *     positive; 0 when none
   * @return whether a scheduler of the pool took the report (false for a refused lease, and when
   *     the pool's scheduler does not adapt)
   */
  public boolean reportLoad(double qps, double eps, double cpuUtilization, double applicationUtilization) {
    Member m = member;
    Picker p = picker;
    if (m == null || p == null) {
      return false;
    }
    return p.reportLoad(m.id, qps, eps, cpuUtilization, applicationUtilization);
  }

  @Override
  public String toString() {
    Member m = member;
    return m == null ? "Lease{" + status + "}" : "Lease{" + m.id + (retry ? ", retry" : "") + (kind == CONNECTION ? ", connection" : "") + "}";
  }
}
