package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.LoadReportReceiver;
import io.github.lb4j.health.OutlierDetector;
import io.github.lb4j.health.TrafficObserver;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The pool's data plane: admission (circuit breaker, retry budget, per-backend limits), the
 * scheduler's choice, exclusion and fallback, and the accounting of completions.
 *
 * <p>A pick reads one volatile snapshot, acquires a unit of its stripe's share of the circuit
 * breaker, asks its stripe's scheduler, resolves the chosen {@link Backend} object to its member
 * through an identity table, and counts the request on the member's {@link BackendLoad}. When the
 * chosen backend is excluded or full, it re-asks the scheduler with the key mutated per attempt
 * (Envoy's retry re-hash, so hashing schedulers stay deterministic) and finally scans the selectable
 * members from a position derived from the key: a pick never returns an excluded backend and, for a
 * given key, membership and set of exclusions, always answers alike (per-backend limits aside, which
 * depend on the load).
 *
 * <p>Any thread; lock-free. Request picks without exclusions allocate nothing (lease tokens are
 * per member and stripe); connection leases and tracked request leases allocate one object.
 */
final class Picker {

  /** Re-hashed selects before the scan; the scan finds any eligible backend anyway. */
  static final int REHASH_ATTEMPTS = 3;

  /** Selects retried when the backend returned belongs to a generation the snapshot no longer knows. */
  private static final int STALE_RETRIES = 3;

  private final StripedScheduler scheduler;
  private final SessionCounters sessions;
  private final int mask;
  /** The circuit breaker's count of requests, or {@code null} without a request limit (the counters then tell). */
  private final @Nullable StripedGauge requests;
  final StripedGauge connections;
  final RetryBudget budget;
  private final long maxRequestsPerBackend;
  private final long maxConnectionsPerBackend;
  private final boolean tracked;
  private final boolean feedLatency;
  /** Whether the scheduler hashes: then a route's draws come from the key, not from a random stream. */
  private final boolean hashing;
  private final Map<PickStatus, LongAdder> refusals = new EnumMap<>(PickStatus.class);
  private final LongAdder doubleCompletions = new LongAdder();
  private final LongAdder retries = new LongAdder();

  volatile Snapshot snapshot = Snapshot.EMPTY;
  volatile @Nullable OutlierDetector outlier;
  /** HAProxy's observe: completions feed it; an action it returns goes to {@link #observed}. Set once at build. */
  volatile @Nullable TrafficObserver observer;
  /** Told of an observer's action (the control context applies it to the health checks). Set once at build. */
  volatile ObservedAction observed = (id, action, detail) -> { };
  /** The scheduler instances that take load reports; republished with the routes. */
  volatile LoadReportReceiver[] receivers = new LoadReportReceiver[0];

  /** An action of the traffic observer for one backend. */
  @FunctionalInterface
  interface ObservedAction {
    void apply(String backendId, TrafficObserver.Action action, String detail);
  }
  /** Told of a completion on a member being watched for its end of drain; set once at build. */
  volatile Consumer<Member> drainWatcher = m -> { };

  Picker(StripedScheduler scheduler, SessionCounters sessions, int stripes, int maxRequests, int maxConnections,
      double budgetPercent, int minRetryConcurrency, int maxRequestsPerBackend, int maxConnectionsPerBackend,
      boolean tracked, boolean feedLatency) {
    this.scheduler = scheduler;
    this.hashing = StripedScheduler.HASHING.contains(scheduler.name());
    this.sessions = sessions;
    this.mask = stripes - 1;
    // Without a limit there is nothing to admit: the per-backend counters already count every
    // request, and skipping the gauge saves two atomic operations per request.
    this.requests = maxRequests == StripedGauge.UNLIMITED ? null : new StripedGauge(stripes, maxRequests);
    this.connections = new StripedGauge(stripes, maxConnections);
    this.budget = new RetryBudget(budgetPercent, minRetryConcurrency);
    this.maxRequestsPerBackend = maxRequestsPerBackend == Integer.MAX_VALUE ? Long.MAX_VALUE : maxRequestsPerBackend;
    this.maxConnectionsPerBackend = maxConnectionsPerBackend == Integer.MAX_VALUE ? Long.MAX_VALUE : maxConnectionsPerBackend;
    this.tracked = tracked;
    this.feedLatency = feedLatency;
    for (PickStatus s : PickStatus.values()) {
      refusals.put(s, new LongAdder());
    }
  }

  int stripes() {
    return mask + 1;
  }

  boolean feedsLatency() {
    return feedLatency;
  }

  /** A pick by request key. */
  Lease pick(long key, @Nullable Collection<Backend> excluded) {
    return pick(key, null, excluded);
  }

  /** A pick by request key within a subset ({@code null}: none). */
  Lease pick(long key, @Nullable Subset subset, @Nullable Collection<Backend> excluded) {
    Stripes.Local local = Stripes.local();
    return pick(local, RequestKeys.flow(local.flow, key), key, true, subset, excluded, false);
  }

  /** A pick by flow, of a request or a connection. */
  Lease pick(FlowKey flow, @Nullable Collection<Backend> excluded, boolean connection) {
    return pick(flow, null, excluded, connection);
  }

  /** A pick by flow within a subset ({@code null}: none), of a request or a connection. */
  Lease pick(FlowKey flow, @Nullable Subset subset, @Nullable Collection<Backend> excluded, boolean connection) {
    return pick(Stripes.local(), flow, 0L, false, subset, excluded, connection);
  }

  /** {@code key} is meaningful when {@code keyed} (else derived from the flow when needed). */
  private Lease pick(Stripes.Local local, FlowKey flow, long key, boolean keyed, @Nullable Subset subset,
      @Nullable Collection<Backend> excluded, boolean connection) {
    Snapshot snap = snapshot;
    if (snap.closed) {
      return refuse(PickStatus.CLOSED);
    }
    boolean retry = excluded != null && !excluded.isEmpty();
    int stripe = local.probe & mask;
    if (retry && !budget.tryAcquire(activeRequests() + connections.sum())) {
      return refuse(PickStatus.BUDGET);
    }
    StripedGauge gauge = connection ? connections : requests;
    if (gauge != null && !gauge.tryAcquire(stripe)) {
      if (retry) {
        budget.release();
      }
      return refuse(PickStatus.CIRCUIT_OPEN);
    }
    Route route = snap.route(subset);
    Scheduler chooser = route.needsDraw()
        ? route.chooser(stripe, hashing ? FlowHash.mix64(keyed ? key : flow.hash64()) : local.nextRandom())
        : route.single.forStripe(stripe);
    Backend chosen = chooser == null ? null : chooser.select(flow);
    if (chosen == null) {
      return abandon(gauge, stripe, retry, PickStatus.NO_BACKEND);
    }
    Member m = resolve(snap, chosen, chooser, flow);
    boolean limited = false;
    if (m != null && (!retry || !isExcluded(m, excluded))) {
      if (admit(m, connection)) {
        return grant(m, stripe, retry, connection);
      }
      limited = true;
    }
    return pickAgain(local, route, chooser, flow, key, keyed, excluded, retry, connection, gauge, stripe, limited);
  }

  /** The slow path: re-hashed attempts, then the scan. */
  private Lease pickAgain(Stripes.Local local, Route route, Scheduler chooser, FlowKey flow, long key, boolean keyed,
      @Nullable Collection<Backend> excluded, boolean retry, boolean connection, @Nullable StripedGauge gauge, int stripe,
      boolean limitedSoFar) {
    boolean limited = limitedSoFar;
    long k = keyed ? key : flow.hash64();
    for (int attempt = 1; attempt <= REHASH_ATTEMPTS; attempt++) {
      FlowKey again = RequestKeys.flow(local.flow, RequestKeys.attempt(k, attempt));
      Backend b = chooser.select(again);
      if (b == null) {
        break;
      }
      Member m = resolve(snapshot, b, chooser, again);
      if (m == null || (retry && isExcluded(m, excluded))) {
        continue;
      }
      if (admit(m, connection)) {
        return grant(m, stripe, retry, connection);
      }
      limited = true;
    }
    Member[] selectable = route.selectable;
    int n = selectable.length;
    if (n > 0) {
      int start = (int) Long.remainderUnsigned(FlowHash.mix64(k), n);
      for (int i = 0; i < n; i++) {
        Member m = selectable[start + i < n ? start + i : start + i - n];
        if (retry && isExcluded(m, excluded)) {
          continue;
        }
        if (admit(m, connection)) {
          return grant(m, stripe, retry, connection);
        }
        limited = true;
      }
    }
    PickStatus why = limited ? PickStatus.LIMIT : (n == 0 ? PickStatus.NO_BACKEND : PickStatus.ALL_EXCLUDED);
    return abandon(gauge, stripe, retry, why);
  }

  /**
   * The member of a backend object the scheduler returned. An object two generations old (the
   * thread stalled across two publications) resolves against a fresh snapshot after a fresh select.
   */
  private @Nullable Member resolve(Snapshot snap, Backend chosen, Scheduler chooser, FlowKey flow) {
    Member m = snap.lookup(chosen);
    for (int i = 0; m == null && i < STALE_RETRIES; i++) {
      Backend again = chooser.select(flow);
      if (again == null) {
        return null;
      }
      m = snapshot.lookup(again);
    }
    return m;
  }

  private static boolean isExcluded(Member m, @Nullable Collection<Backend> excluded) {
    if (excluded == null) {
      return false;
    }
    String id = m.id;
    if (excluded instanceof List && excluded instanceof RandomAccess) {
      List<Backend> list = (List<Backend>) excluded;
      for (int i = 0, n = list.size(); i < n; i++) {
        if (list.get(i).id().equals(id)) {
          return true;
        }
      }
      return false;
    }
    for (Backend b : excluded) {
      if (b.id().equals(id)) {
        return true;
      }
    }
    return false;
  }

  private boolean admit(Member m, boolean connection) {
    long agentLimit = m.agentMaxconn;
    if (connection) {
      if (!m.tryOpenConnection(Math.min(maxConnectionsPerBackend, agentLimit))) {
        return false;
      }
      m.load.sessionOpenedInactive();
      return true;
    }
    long limit = Math.min(maxRequestsPerBackend, agentLimit);
    if (limit == Long.MAX_VALUE) {
      m.load.requestStarted();
      return true;
    }
    return m.load.tryRequestStarted(limit);
  }

  /** Forwards a load report to every adapting scheduler instance; lock-free, no allocation. */
  boolean reportLoad(String backendId, double qps, double eps, double cpu, double application) {
    boolean taken = false;
    for (LoadReportReceiver r : receivers) {
      taken |= r.reportLoad(backendId, qps, eps, cpu, application);
    }
    return taken;
  }

  /** Records one observed event of live traffic; an action that fires goes to the control context. */
  void observe(String backendId, TrafficObserver.Event event) {
    TrafficObserver o = observer;
    if (o == null) {
      return;
    }
    TrafficObserver.Action action = o.record(backendId, event);
    if (action != TrafficObserver.Action.NONE) {
      observed.apply(backendId, action, event.name().toLowerCase(java.util.Locale.ROOT) + " reached the error limit");
    }
  }

  private Lease grant(Member m, int stripe, boolean retry, boolean connection) {
    if (retry) {
      retries.increment();
    }
    if (connection) {
      return new Lease(this, m, stripe, retry, Lease.CONNECTION);
    }
    if (tracked) {
      return new Lease(this, m, stripe, retry, Lease.TRACKED);
    }
    return retry ? m.retryLeases[stripe] : m.requestLeases[stripe];
  }

  private Lease abandon(@Nullable StripedGauge gauge, int stripe, boolean retry, PickStatus why) {
    if (gauge != null) {
      gauge.release(stripe);
    }
    if (retry) {
      budget.release();
    }
    return refuse(why);
  }

  private Lease refuse(PickStatus why) {
    refusals.get(why).increment();
    return Lease.refused(why);
  }

  /**
   * Ends one request on its backend's counters and its stripe's share of the circuit breaker.
   *
   * @return {@code false} when the backend had no request in flight: a second completion of a
   *     request, counted as such; the rest of the completion (budget, outlier detection) is skipped
   */
  boolean completeRequest(Member m, int stripe, boolean retry, Outcome outcome, long latencyNanos) {
    BackendLoad load = m.load;
    boolean success = outcome == Outcome.SUCCESS;
    boolean matched;
    if (outcome == Outcome.CANCELLED) {
      matched = load.requestCancelled();
    } else if (feedLatency) {
      matched = load.requestFinished(latencyNanos, success);
    } else {
      matched = load.requestFinished(success);
    }
    // Released even for an unmatched end: a second completion that found another request in flight
    // on the backend ended that one's count instead, and this unit is that request's.
    StripedGauge gauge = requests;
    if (gauge != null) {
      gauge.release(stripe);
    }
    if (!matched) {
      doubleCompletions.increment();
      return false;
    }
    if (observer != null && outcome != Outcome.CANCELLED) {
      // A request's answer is layer 7: a failure is a wrong answer, which layer 4 ignores.
      observe(m.id, success ? TrafficObserver.Event.HTTP_OK : TrafficObserver.Event.HTTP_BAD_STATUS);
    }
    finish(m, retry, outcome, success);
    return true;
  }

  void completeConnection(Member m, int stripe, boolean retry, boolean established, Outcome outcome, long latencyNanos) {
    if (observer != null && outcome != Outcome.CANCELLED) {
      // A connection that failed before it was established is HAProxy's layer-4 error.
      observe(m.id, established || outcome == Outcome.SUCCESS ? TrafficObserver.Event.L4_OK : TrafficObserver.Event.L4_ERROR);
    }
    m.load.sessionClosed(established);
    m.connectionClosed();
    connections.release(stripe);
    finish(m, retry, outcome, outcome == Outcome.SUCCESS);
  }

  private void finish(Member m, boolean retry, Outcome outcome, boolean success) {
    if (retry) {
      budget.release();
    }
    if (outcome != Outcome.CANCELLED) {
      OutlierDetector o = outlier;
      if (o != null) {
        o.recordOutcome(m.id, success);
      }
    }
    if (m.watchDrain && m.inFlight() == 0) {
      drainWatcher.accept(m);
    }
  }

  void doubleCompletion() {
    doubleCompletions.increment();
  }

  /** Requests in flight: the gauge's count, or without a limit the per-backend counters' (no allocation). */
  long activeRequests() {
    StripedGauge gauge = requests;
    if (gauge != null) {
      return gauge.sum();
    }
    long sum = 0;
    for (int h = 0; ; h++) {
      BackendLoad l = sessions.byHandle(h);
      if (l == null) {
        return sum;
      }
      sum += l.pending();
    }
  }

  PoolStats stats() {
    return new PoolStats(activeRequests(), connections.sum(), budget.active(), retries.sum(),
        refusals.get(PickStatus.NO_BACKEND).sum(), refusals.get(PickStatus.ALL_EXCLUDED).sum(),
        refusals.get(PickStatus.LIMIT).sum(), refusals.get(PickStatus.BUDGET).sum(),
        refusals.get(PickStatus.CIRCUIT_OPEN).sum(), doubleCompletions.sum());
  }
}
