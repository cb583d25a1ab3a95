package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthListener;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.api.NoBackendPolicy;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.health.AgentChecker;
import io.github.lb4j.health.AgentReport;
import io.github.lb4j.health.HealthMonitor;
import io.github.lb4j.health.MonitorScheduler;
import io.github.lb4j.health.OutlierDetector;
import io.github.lb4j.health.TrafficObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A set of backends and everything that decides which of them take traffic, as one type: the
 * control plane of lb4j, and the request-level balancing API of client SDKs.
 *
 * <p><b>Control plane.</b> The pool is the one place where membership and state change. Its inputs
 * are a {@link MembershipSource} (a static list, or anything that pushes additions, removals and
 * changes), the transitions of active health checks (lb-health's {@link HealthMonitor}, rise and
 * fall), the ejections of passive outlier detection ({@link OutlierDetector}), health reports of the
 * embedder ({@link #reportHealth}), and an operator's administrative states and weights ({@link
 * #setAdminState}, {@link #setWeight}). All are applied one at a time on one serialized control
 * context, the way gRPC's {@code SynchronizationContext} serializes a {@code LoadBalancer}: by
 * default the thread that submits a change applies it (or the thread already applying changes does,
 * in order), so the pool has no thread of its own; {@link Builder#controlExecutor} moves that work
 * to an executor of the caller's. Each change publishes at most one immutable snapshot to the
 * {@link Scheduler} ({@code update}, one volatile write: a pick sees the old or the new membership,
 * never a mix) and tells every {@link PoolListener} each transition with its cause. Slow start is
 * the scheduler's ({@link Builder#slowStart}): a backend that comes back ramps up. Time comes from
 * an injected {@link NanoClock}.
 *
 * <p><b>Data plane.</b> {@link #pick(long)} balances one request by a 64-bit key (a user id, a
 * header hash: HAProxy's {@code balance hash}, Armeria's sticky selection), {@link #pick(FlowKey)}
 * by a flow; the hashing schedulers stick equal keys to one backend. The answer is a {@link Lease},
 * granted or refused with a reason ({@link PickStatus}: no backend, all excluded, per-backend limit,
 * retry budget, circuit breaker), never {@code null} and never an exception. {@link
 * Lease#complete(Outcome, long)} ends it and feeds the session counters, the latency estimate and
 * outlier detection. A retry passes the backends already tried ({@link #pick(long, Collection)}): it
 * never gets one of them back, hashing schedulers answer it deterministically (the key is re-hashed
 * per attempt, as Envoy does on retries), and the retry budget bounds how many retries may be in
 * flight. {@link #connect(FlowKey)} leases a connection instead of a request, for proxies.
 *
 * <p><b>Threads, allocation, blocking.</b> Every method may be called from any thread. Picks and
 * completions of request leases never block, take no lock and allocate nothing (lease tokens are
 * preallocated per backend and thread stripe; see {@link Lease} for the trade-off); connection
 * leases allocate one small object. Control methods allocate, never block, and return a future
 * completed once the change is applied; do not join it from a {@link PoolListener}, which runs on
 * the control context and would wait for itself. {@link #close()} stops the membership source,
 * the health checks (and their checker) and outlier detection, and the timer thread the pool made
 * for them, and waits for that thread to end: a closed pool leaves no thread.
 *
 * <pre>{@code
 * try (BackendPool pool = BackendPool.builder()
 *     .scheduler("maglev")
 *     .backends(List.of(web1, web2, web3))
 *     .healthCheck(HealthCheckers.create("http", Map.of("path", "/health")),
 *         monitor -> monitor.interval(Duration.ofSeconds(1)).rise(2).fall(3))
 *     .outlierDetection(detector -> detector.consecutiveFailures(5))
 *     .build()) {
 *   Lease lease = pool.pick(userId);
 *   ...
 * }
 * }</pre>
 */
public final class BackendPool implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BackendPool.class);

  private final StripedScheduler scheduler;
  private final SessionCounters sessions;
  private final Picker picker;
  private final PoolControl control;
  private final ControlContext context;
  private final @Nullable MembershipSource source;
  private final @Nullable HealthMonitor monitor;
  private final @Nullable HealthChecker checker;
  private final @Nullable OutlierDetector detector;
  private final @Nullable MonitorScheduler ownedTimer;
  private final @Nullable AgentChecks agent;
  private final @Nullable AgentChecker agentChecker;
  private final NanoClock clock;
  private volatile boolean closed;

  private BackendPool(Parts p) {
    this.scheduler = p.scheduler;
    this.sessions = p.sessions;
    this.picker = p.picker;
    this.control = p.control;
    this.context = p.context;
    this.source = p.source;
    this.monitor = p.monitor;
    this.checker = p.checker;
    this.detector = p.detector;
    this.ownedTimer = p.ownedTimer;
    this.agent = p.agent;
    this.agentChecker = p.agentChecker;
    this.clock = p.clock;
  }

  /**
   * Returns a builder with the defaults listed on each setter: round robin, no health check, no
   * outlier detection, Envoy's circuit breaker (1024 requests, 1024 connections) and retry budget
   * (20 %, at least 3), no per-backend limit.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------ data plane

  /**
   * Leases a backend for one request balanced by a 64-bit key. Hashing schedulers send equal keys to
   * the same backend while the membership allows; the others ignore the key. Any thread; no lock; no
   * allocation; never blocks.
   *
   * @param requestKey any value, for example a hash of the user id or of a header
   * @return a granted lease to complete, or a refusal that says why
   */
  public Lease pick(long requestKey) {
    return picker.pick(requestKey, null);
  }

  /**
   * Leases a backend for one request balanced by a flow (the client's address and port, for
   * example). Any thread; no lock; no allocation; never blocks.
   *
   * @param flow the flow; hashing schedulers hash it with their {@code hash-key}
   * @return a granted lease to complete, or a refusal that says why
   */
  public Lease pick(FlowKey flow) {
    return picker.pick(Objects.requireNonNull(flow, "flow"), null, false);
  }

  /**
   * Leases a backend for a retry: never one of {@code excluded} (matched by id). A pick with at least
   * one exclusion is a retry and needs room in the retry budget ({@link PickStatus#BUDGET}). Hashing
   * schedulers answer deterministically: the key as is first, then re-hashed per attempt, then a scan
   * of the eligible backends from a position derived from the key. Any thread; no lock; allocates
   * nothing when {@code excluded} is a random-access list; never blocks.
   *
   * @param requestKey the request's key, the same as for its first pick
   * @param excluded the backends not to return, typically those already tried
   * @return a granted lease to complete, or a refusal ({@link PickStatus#ALL_EXCLUDED} when only
   *     excluded backends are eligible)
   */
  public Lease pick(long requestKey, Collection<Backend> excluded) {
    return picker.pick(requestKey, Objects.requireNonNull(excluded, "excluded"));
  }

  /**
   * Leases a backend for a retry of a request balanced by a flow; as {@link #pick(long, Collection)}.
   *
   * @param flow the request's flow, the same as for its first pick
   * @param excluded the backends not to return
   * @return a granted lease to complete, or a refusal that says why
   */
  public Lease pick(FlowKey flow, Collection<Backend> excluded) {
    return picker.pick(Objects.requireNonNull(flow, "flow"), Objects.requireNonNull(excluded, "excluded"), false);
  }

  /**
   * Leases a backend for one connection (a proxy's backend connection): counted as an IPVS session,
   * inactive until {@link Lease#established} and active after, bounded by the per-backend and
   * pool-wide connection limits. Allocates the lease; any thread; never blocks.
   *
   * @param flow the client's flow
   * @return a granted connection lease to complete when the connection closes, or a refusal
   */
  public Lease connect(FlowKey flow) {
    return picker.pick(Objects.requireNonNull(flow, "flow"), null, true);
  }

  /**
   * Leases a backend for a connection retry (the previous backend refused or timed out), never one
   * of {@code excluded}; as {@link #connect(FlowKey)} and {@link #pick(FlowKey, Collection)}.
   *
   * @param flow the client's flow
   * @param excluded the backends already tried
   * @return a granted connection lease, or a refusal that says why
   */
  public Lease connect(FlowKey flow, Collection<Backend> excluded) {
    return picker.pick(Objects.requireNonNull(flow, "flow"), Objects.requireNonNull(excluded, "excluded"), true);
  }

  /**
   * Leases a backend for one request among those of a subset (Envoy's subset load balancer with a
   * route's {@code metadata_match}): the backends whose labels include every pair of {@code
   * subset}, when its keys are exactly one of the configured {@link Builder#subsets selectors};
   * otherwise the configured {@link SubsetFallback} decides (as it does for {@link #pick(long)} on
   * a pool with subsets). Any thread; no lock; no allocation; never blocks.
   *
   * @param requestKey as for {@link #pick(long)}
   * @param subset the labels the backend must carry; make it once and reuse it
   * @return a granted lease, or a refusal ({@link PickStatus#NO_BACKEND} when the subset, or the
   *     fallback, has no serving backend, or the fallback is {@link SubsetFallback#NO_FALLBACK})
   */
  public Lease pick(long requestKey, Subset subset) {
    return picker.pick(requestKey, Objects.requireNonNull(subset, "subset"), null);
  }

  /**
   * Leases a backend of a subset for a retry, never one of {@code excluded}; as {@link
   * #pick(long, Subset)} and {@link #pick(long, Collection)}.
   *
   * @param requestKey the request's key
   * @param subset the labels the backend must carry
   * @param excluded the backends already tried
   * @return a granted lease, or a refusal that says why
   */
  public Lease pick(long requestKey, Subset subset, Collection<Backend> excluded) {
    return picker.pick(requestKey, Objects.requireNonNull(subset, "subset"), Objects.requireNonNull(excluded, "excluded"));
  }

  /**
   * Leases a backend of a subset for one request balanced by a flow; as {@link #pick(long, Subset)}.
   *
   * @param flow the flow
   * @param subset the labels the backend must carry
   * @return a granted lease, or a refusal that says why
   */
  public Lease pick(FlowKey flow, Subset subset) {
    return picker.pick(Objects.requireNonNull(flow, "flow"), Objects.requireNonNull(subset, "subset"), null, false);
  }

  /**
   * Leases a backend of a subset for one connection; as {@link #connect(FlowKey)} and {@link
   * #pick(long, Subset)}. Allocates the lease.
   *
   * @param flow the client's flow
   * @param subset the labels the backend must carry
   * @return a granted connection lease, or a refusal that says why
   */
  public Lease connect(FlowKey flow, Subset subset) {
    return picker.pick(Objects.requireNonNull(flow, "flow"), Objects.requireNonNull(subset, "subset"), null, true);
  }

  // ------------------------------------------------------------------ control plane

  /**
   * Marks a backend degraded or not (Envoy's degraded endpoints: an active check's {@code
   * x-envoy-degraded}, an EDS health status). A degraded backend serves only the share of its
   * priority's load that the healthy hosts cannot take with the over-provisioning factor, as a
   * lower priority would (see {@link Builder#overprovisioningFactor}); it still counts among its
   * priority's hosts.
   *
   * @param backendId the backend's id
   * @param degraded whether it is degraded
   * @param detail why, for listeners and logs
   * @return a future completed when the change is applied
   * @throws IllegalArgumentException naming the id when unknown
   */
  public CompletableFuture<Void> setDegraded(String backendId, boolean degraded, String detail) {
    Objects.requireNonNull(detail, "detail");
    checkKnown(backendId);
    return context.submit(() -> control.setDegraded(backendId, degraded, detail));
  }

  /**
   * Passes on an out-of-band load report of a backend (an ORCA stream, gRFC A51; gRPC's
   * weighted_round_robin with {@code enable_oob_load_report}) to every scheduler of the pool that
   * adapts its weights ({@code weighted-round-robin-adaptive}, gRFC A58); per-request reports go
   * through {@link Lease#reportLoad}. Any thread; lock-free; no allocation.
   *
   * @param backendId the backend that reported
   * @param qps requests per second it served, 0 or more
   * @param eps errors per second among them, 0 or more
   * @param cpuUtilization its CPU utilization
   * @param applicationUtilization its own utilization measure, used when positive; 0 when none
   * @return whether a scheduler took it (false for an unknown backend or a scheduler that does not adapt)
   */
  public boolean reportLoad(String backendId, double qps, double eps, double cpuUtilization, double applicationUtilization) {
    return picker.reportLoad(Objects.requireNonNull(backendId, "backendId"), qps, eps, cpuUtilization, applicationUtilization);
  }

  /**
   * Records one event of a backend's live traffic for HAProxy's {@code observe} ({@link
   * Builder#observe}): completions already record theirs (a request's success or failure as a
   * layer-7 answer, a connection's establishment or failure as layer 4); a proxy that knows more
   * (an HTTP status, a broken pipe) reports it here. When the backend's consecutive errors reach the
   * error limit, the observer's action reaches its health check. Any thread; lock-free; no
   * allocation unless the action fires. Without an observer it does nothing.
   *
   * @param backendId the backend
   * @param event what happened
   */
  public void observe(String backendId, TrafficObserver.Event event) {
    picker.observe(Objects.requireNonNull(backendId, "backendId"), Objects.requireNonNull(event, "event"));
  }

  /**
   * Applies an agent's answer to a backend as the pool's own agent checks do ({@link
   * Builder#agentCheck}): for embedders that query agents themselves.
   *
   * @param backendId the backend
   * @param report what its agent said
   * @return a future completed when the change is applied
   * @throws IllegalArgumentException naming the id when unknown
   */
  public CompletableFuture<Void> applyAgentReport(String backendId, AgentReport report) {
    Objects.requireNonNull(report, "report");
    checkKnown(backendId);
    return context.submit(() -> control.onAgent(backendId, report));
  }

  /**
   * Returns whether a backend is marked degraded ({@link #setDegraded}), as of the last applied change.
   *
   * @param backendId the id
   * @return whether it is a member marked degraded
   */
  public boolean isDegraded(String backendId) {
    return control.isDegraded(backendId);
  }

  /**
   * Sets a backend's administrative state: {@link AdminState#DRAINING} stops new traffic and lets
   * what is in flight end (listeners hear {@link Transition.Cause#DRAINED} when it has);
   * {@link AdminState#MAINTENANCE} also stops its health checks; {@link AdminState#ACTIVE} brings
   * it back (through slow start, when configured).
   *
   * @param backendId the backend's id
   * @param state the new state
   * @return a future completed when the change is applied, exceptionally with an {@link
   *     IllegalArgumentException} if the backend left the membership meanwhile
   * @throws IllegalArgumentException naming the id and the known ones when the id is unknown
   */
  public CompletableFuture<Void> setAdminState(String backendId, AdminState state) {
    Objects.requireNonNull(state, "state");
    checkKnown(backendId);
    return context.submit(() -> control.setAdmin(backendId, state));
  }

  /**
   * Overrides a backend's weight (HAProxy's {@code set weight}) until {@link #clearWeight}; 0 drains
   * it as IPVS does. The membership's later changes of the weight are kept but do not apply while
   * the override stands.
   *
   * @param backendId the backend's id
   * @param weight 0 to {@link Backend#MAX_WEIGHT}
   * @return a future completed when the change is applied
   * @throws IllegalArgumentException naming the value when out of range, or the id when unknown
   */
  public CompletableFuture<Void> setWeight(String backendId, int weight) {
    if (weight < 0 || weight > Backend.MAX_WEIGHT) {
      throw new IllegalArgumentException("weight must be in 0.." + Backend.MAX_WEIGHT + " (0 drains), was " + weight
          + " for backend " + backendId);
    }
    checkKnown(backendId);
    return context.submit(() -> control.setWeight(backendId, weight));
  }

  /**
   * Removes a weight override: the membership's weight applies again.
   *
   * @param backendId the backend's id
   * @return a future completed when the change is applied
   * @throws IllegalArgumentException naming the id when unknown
   */
  public CompletableFuture<Void> clearWeight(String backendId) {
    checkKnown(backendId);
    return context.submit(() -> control.setWeight(backendId, -1));
  }

  /**
   * Reports a backend's health as the embedder sees it, next to the active checks: a connection
   * that cannot be established, a neighbour that does not answer ARP, a gRPC subchannel in transient
   * failure. {@link HealthState#DOWN} stops new traffic until a report of {@link HealthState#UP};
   * {@link HealthState#UNKNOWN} counts as the checks' UNKNOWN does ({@link
   * Builder#healthyUntilChecked}).
   *
   * @param backendId the backend's id
   * @param state the embedder's view
   * @param detail why, for listeners and logs
   * @return a future completed when the change is applied
   * @throws IllegalArgumentException naming the id when unknown
   */
  public CompletableFuture<Void> reportHealth(String backendId, HealthState state, String detail) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(detail, "detail");
    checkKnown(backendId);
    return context.submit(() -> control.report(backendId, state, detail));
  }

  /**
   * Returns a future completed once every change submitted before this call (by any input) is
   * applied and published; with the default control context that is at once unless another thread
   * is applying changes.
   *
   * @return the future
   */
  public CompletableFuture<Void> flush() {
    return context.submit(() -> { });
  }

  private void checkKnown(String backendId) {
    Objects.requireNonNull(backendId, "backendId");
    if (closed) {
      throw new IllegalStateException("pool is closed");
    }
    if (control.state(backendId) == null) {
      List<String> ids = new ArrayList<>();
      control.states().forEach(s -> ids.add(s.id()));
      throw PoolControl.unknown(backendId, ids);
    }
  }

  // ------------------------------------------------------------------ views

  /**
   * Returns every backend's state as of the last applied change, in membership order. Any thread;
   * does not allocate (the list is the published one, immutable).
   *
   * @return the states
   */
  public List<BackendState> backends() {
    return control.states();
  }

  /**
   * Returns one backend's state as of the last applied change.
   *
   * @param backendId the id
   * @return the state, or {@code null} when no such backend is a member
   */
  public @Nullable BackendState backend(String backendId) {
    return control.state(backendId);
  }

  /**
   * Returns what the weight recomputations of a load-adaptive scheduler ({@code
   * weighted-round-robin-adaptive}) found so far, summed over its instances (stripes, routes): the
   * counts behind gRFC A78's {@code grpc.lb.wrr.*} counters. Any thread; allocates; never blocks.
   *
   * @return the counts, or {@code null} when the pool's scheduler does not adapt to load reports
   */
  public io.github.lb4j.api.LoadReportReceiver.@Nullable WeightUpdates weightUpdates() {
    io.github.lb4j.api.LoadReportReceiver.WeightUpdates sum = null;
    // The receivers are known once the first membership is published; before, the pool's own instances.
    io.github.lb4j.api.LoadReportReceiver[] receivers = picker.receivers;
    Object[] instances = receivers.length > 0 ? receivers : scheduler.all();
    for (Object r : instances) {
      if (r instanceof io.github.lb4j.api.LoadReportReceiver l) {
        sum = sum == null ? l.weightUpdates() : sum.plus(l.weightUpdates());
      }
    }
    return sum;
  }

  /**
   * Returns the scheduler the pool publishes to, for packet paths that select per flow themselves
   * (a NAT translator) and count sessions through {@link #sessions()}; {@code select} is safe from
   * any thread. Its {@code update} throws: the pool owns the membership.
   *
   * @return the scheduler
   */
  public Scheduler scheduler() {
    return scheduler;
  }

  /**
   * Returns the live per-backend counters the leases feed and the scheduler reads.
   *
   * @return the counters
   */
  public SessionCounters sessions() {
    return sessions;
  }

  /**
   * Returns the pool's counters now (allocates the record).
   *
   * @return the counters
   */
  public PoolStats stats() {
    return picker.stats();
  }

  /**
   * Returns the clock the pool, its scheduler and its health inputs follow.
   *
   * @return the clock
   */
  public NanoClock clock() {
    return clock;
  }

  /**
   * Returns whether {@link #close()} was called.
   *
   * @return whether the pool is closed
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Closes the pool: picks answer {@link PickStatus#CLOSED}; leases already granted may still be
   * completed. Stops the membership source, the health monitor and its checker, outlier detection,
   * and the timer thread the pool made (waiting for it to end). Idempotent; any thread; blocks only
   * for that thread to stop.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    control.close();
    closeQuietly(source);
    closeQuietly(monitor);
    closeQuietly(checker);
    closeQuietly(detector);
    closeQuietly(agent);
    closeQuietly(agentChecker);
    closeQuietly(ownedTimer);
  }

  private static void closeQuietly(@Nullable AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("closing {} failed", c, e);
    }
  }

  @Override
  public String toString() {
    return "BackendPool{" + scheduler + ", " + control.states().size() + " backends" + (closed ? ", closed" : "") + "}";
  }

  /** What the builder assembles. */
  private static final class Parts {
    StripedScheduler scheduler;
    SessionCounters sessions;
    Picker picker;
    PoolControl control;
    ControlContext context;
    @Nullable MembershipSource source;
    @Nullable HealthMonitor monitor;
    @Nullable HealthChecker checker;
    @Nullable OutlierDetector detector;
    @Nullable MonitorScheduler ownedTimer;
    @Nullable AgentChecks agent;
    @Nullable AgentChecker agentChecker;
    NanoClock clock;

    Parts(StripedScheduler scheduler, SessionCounters sessions, Picker picker, PoolControl control, ControlContext context,
        NanoClock clock) {
      this.scheduler = scheduler;
      this.sessions = sessions;
      this.picker = picker;
      this.control = control;
      this.context = context;
      this.clock = clock;
    }
  }

  /**
   * Configures a {@link BackendPool}. One thread; setters validate their argument and never block;
   * {@link #build()} creates the scheduler by name, starts the health inputs and the membership
   * source.
   */
  public static final class Builder {
    private String algorithm = "round-robin";
    private BiFunction<String, SchedulerConfig, ? extends Scheduler> factory = Schedulers::create;
    private SchedulerConfig.Builder config = SchedulerConfig.builder();
    private @Nullable NanoClock clock;
    private @Nullable MembershipSource source;
    private @Nullable HealthChecker checker;
    private @Nullable Consumer<HealthMonitor.Builder> monitorSettings;
    private @Nullable Consumer<OutlierDetector.Builder> detectorSettings;
    private @Nullable MonitorScheduler timer;
    private @Nullable Executor controlExecutor;
    private final List<PoolListener> listeners = new ArrayList<>();
    private boolean healthyUntilChecked = true;
    private int maxRequests = 1024;
    private int maxConnections = 1024;
    private int maxRequestsPerBackend = Integer.MAX_VALUE;
    private int maxConnectionsPerBackend = Integer.MAX_VALUE;
    private double budgetPercent = 20.0;
    private int minRetryConcurrency = 3;
    private @Nullable Boolean latencyTracking;
    private boolean leaseTracking;
    private int stripes = Stripes.defaultCount();
    private int overprovisioningPercent = PriorityLoad.DEFAULT_OVERPROVISIONING_PERCENT;
    private @Nullable Map<String, Integer> localityWeights;
    private @Nullable String localZone;
    private @Nullable Map<String, Integer> callersPerZone;
    private int minClusterSize = ZoneAware.DEFAULT_MIN_CLUSTER_SIZE;
    private List<SortedSet<String>> selectors = List.of();
    private SubsetFallback subsetFallback = SubsetFallback.NO_FALLBACK;
    private Map<String, String> defaultSubset = Map.of();
    private @Nullable AgentChecker agentChecker;
    private int agentPort;
    private Duration agentInterval = Duration.ofSeconds(2);
    private @Nullable TrafficObserver observer;

    private Builder() {}

    /**
     * Turns on HAProxy's agent check: every backend's agent (on {@code agentPort} of the backend's
     * address) is asked every {@code interval} how the backend wants to be treated, and the pool
     * applies the answer: {@code 75%} or {@code weight:N} set the weight (an operator's {@link
     * BackendPool#setWeight} stands above it), {@code maxconn:N} bounds the backend's requests and
     * connections in flight, {@code drain} and {@code maint} stop new traffic until {@code ready},
     * {@code down}, {@code fail} and {@code stopped} until {@code up}. An agent that does not answer
     * changes nothing (as in HAProxy). Transitions name the agent's line.
     *
     * @param checker the agent checker ({@code HealthCheckers.create("agent", ...)} cast to
     *     {@link AgentChecker}); the pool closes it when it closes
     * @param agentPort 1 to 65535, or 0 for the backend's own port
     * @param interval between two queries of one agent, and each query's timeout; positive;
     *     HAProxy's {@code agent-inter} default is 2 s
     * @return this builder
     * @throws IllegalArgumentException naming the value when out of range
     */
    public Builder agentCheck(AgentChecker checker, int agentPort, Duration interval) {
      if (agentPort < 0 || agentPort > 65_535) {
        throw new IllegalArgumentException("agentPort must be in 0..65535 (0: the backend's port), was " + agentPort);
      }
      if (interval.isZero() || interval.isNegative()) {
        throw new IllegalArgumentException("agent interval must be positive, was " + interval);
      }
      this.agentChecker = Objects.requireNonNull(checker, "checker");
      this.agentPort = agentPort;
      this.agentInterval = interval;
      return this;
    }

    /**
     * Turns on HAProxy's {@code observe}: lease completions (and {@link BackendPool#observe}) feed
     * the observer, and when a backend's consecutive errors reach its {@code error-limit}, its
     * {@code on-error} action reaches the backend's active health check (a failed check counted,
     * or the backend marked down, and the next check brought forward). Needs {@link #healthCheck},
     * as in HAProxy.
     *
     * @param observer the observer ({@code TrafficObserver.of(LAYER7, 10, FAIL_CHECK)} is HAProxy's default)
     * @return this builder
     */
    public Builder observe(TrafficObserver observer) {
      this.observer = Objects.requireNonNull(observer, "observer");
      return this;
    }

    /**
     * Sets Envoy's over-provisioning factor: a priority level (or a locality, with {@link
     * #localityWeightedBalancing}) is taken as fully available until its share of healthy hosts
     * times this factor drops below 100 %; below, traffic spills to the next priority in proportion
     * (Envoy's priority load computation; see "Priority levels" in its architecture overview).
     * Backends carry their priority ({@link Backend#withPriority}, 0 the highest); a pool whose
     * backends are all at priority 0 routes as before.
     *
     * @param factor 1.0 to 10.0; default 1.4 (Envoy's), so that a level keeps all its traffic while
     *     at least 72 % of its hosts are healthy
     * @return this builder
     * @throws IllegalArgumentException naming the value when out of range
     */
    public Builder overprovisioningFactor(double factor) {
      if (!(factor >= 1.0 && factor <= 10.0)) {
        throw new IllegalArgumentException("overprovisioningFactor must be in 1.0..10.0, was " + factor);
      }
      this.overprovisioningPercent = (int) Math.round(factor * 100);
      return this;
    }

    /**
     * Turns on Envoy's locality-weighted balancing: within a priority level, a zone ({@link
     * Backend#zone}) is chosen with probability proportional to its weight times its effective
     * availability, {@code min(1, factor x healthy / hosts)} ({@code effectiveLocalityWeight} in
     * Envoy's {@code load_balancer_impl.cc}), then the scheduler balances within it. As in Envoy, a
     * zone without a weight (and backends without a zone) take no traffic. Exclusive with {@link
     * #zoneAwareRouting}.
     *
     * @param weightsByZone a weight of 0 to {@link Backend#MAX_WEIGHT} per zone name
     * @return this builder
     * @throws IllegalArgumentException naming the zone when a weight is out of range
     */
    public Builder localityWeightedBalancing(Map<String, Integer> weightsByZone) {
      Map<String, Integer> copy = new TreeMap<>();
      Objects.requireNonNull(weightsByZone, "weightsByZone").forEach((zone, w) -> {
        Objects.requireNonNull(zone, "zone");
        if (w == null || w < 0 || w > Backend.MAX_WEIGHT) {
          throw new IllegalArgumentException("weight of zone '" + zone + "' must be in 0.." + Backend.MAX_WEIGHT + ", was " + w);
        }
        copy.put(zone, w);
      });
      this.localityWeights = Collections.unmodifiableMap(copy);
      return this;
    }

    /**
     * Turns on Envoy's zone-aware routing for callers in {@code localZone}, assuming the callers are
     * spread over the zones as the pool's backends are (all of them, healthy or not): requests stay
     * in the local zone while its healthy backends are at least its share of the callers, and the
     * residual spills to the other zones in proportion to their spare capacity, so that every
     * backend carries an even load. See {@link #zoneAwareRouting(String, Map)}.
     *
     * @param localZone the zone of this caller
     * @return this builder
     */
    public Builder zoneAwareRouting(String localZone) {
      this.localZone = Objects.requireNonNull(localZone, "localZone");
      this.callersPerZone = null;
      return this;
    }

    /**
     * Turns on Envoy's zone-aware routing ({@code ZoneAwareLoadBalancerBase} in {@code
     * load_balancer_impl.cc}) with the callers' spread given (Envoy's local cluster): with callers
     * 40/40/20 % and healthy backends 25/50/25 % over three zones, a caller of the first zone keeps
     * 62.5 % of its requests local and sends the rest 2 : 1 to the second and third. It applies at
     * priority 0, to healthy hosts, when there are at least {@link #zoneAwareMinClusterSize} backends
     * and two zones with healthy ones, the local zone among them; otherwise the zones share by weight.
     * Exclusive with {@link #localityWeightedBalancing}.
     *
     * @param localZone the zone of this caller
     * @param callersPerZone how many callers run in each zone (instances, or any proportional count)
     * @return this builder
     * @throws IllegalArgumentException naming the zone when a count is negative
     */
    public Builder zoneAwareRouting(String localZone, Map<String, Integer> callersPerZone) {
      Map<String, Integer> copy = new TreeMap<>();
      Objects.requireNonNull(callersPerZone, "callersPerZone").forEach((zone, n) -> {
        if (n == null || n < 0) {
          throw new IllegalArgumentException("callers of zone '" + zone + "' must be 0 or more, was " + n);
        }
        copy.put(Objects.requireNonNull(zone, "zone"), n);
      });
      this.localZone = Objects.requireNonNull(localZone, "localZone");
      this.callersPerZone = Collections.unmodifiableMap(copy);
      return this;
    }

    /**
     * Sets the fewest backends at priority 0 for zone-aware routing to apply (Envoy's {@code
     * min_cluster_size}).
     *
     * @param min 1 or more; default 6 (Envoy's)
     * @return this builder
     * @throws IllegalArgumentException naming the value when below 1
     */
    public Builder zoneAwareMinClusterSize(int min) {
      this.minClusterSize = atLeastOne("zoneAwareMinClusterSize", min);
      return this;
    }

    /**
     * Turns on Envoy's subset load balancing: each selector is a set of label keys; the backends
     * with the same values for those keys form a subset, with its own priority levels, zones and
     * scheduler instances. {@link BackendPool#pick(long, Subset)} balances over the subset named by
     * a request's labels when their keys are exactly a selector's; otherwise, and for picks without a
     * subset, the fallback applies ({@code fallback_policy}).
     *
     * @param selectors the label key sets, at least one, each non-empty
     * @param fallback {@link SubsetFallback#NO_FALLBACK} (Envoy's default), {@link
     *     SubsetFallback#ANY_ENDPOINT} or {@link SubsetFallback#DEFAULT_SUBSET}
     * @param defaultSubset the labels of the default subset (all of them must match; empty: every
     *     backend); used with {@link SubsetFallback#DEFAULT_SUBSET} only
     * @return this builder
     * @throws IllegalArgumentException when a selector is empty or none is given
     */
    public Builder subsets(List<Set<String>> selectors, SubsetFallback fallback, Map<String, String> defaultSubset) {
      Objects.requireNonNull(selectors, "selectors");
      if (selectors.isEmpty()) {
        throw new IllegalArgumentException("subsets need at least one selector (a set of label keys)");
      }
      List<SortedSet<String>> copy = new ArrayList<>();
      for (Set<String> keys : selectors) {
        if (Objects.requireNonNull(keys, "selector").isEmpty()) {
          throw new IllegalArgumentException("a subset selector names at least one label key: " + selectors);
        }
        SortedSet<String> sorted = new TreeSet<>(keys);
        if (!copy.contains(sorted)) {
          copy.add(Collections.unmodifiableSortedSet(sorted));
        }
      }
      this.selectors = List.copyOf(copy);
      this.subsetFallback = Objects.requireNonNull(fallback, "fallback");
      this.defaultSubset = Map.copyOf(Objects.requireNonNull(defaultSubset, "defaultSubset"));
      return this;
    }

    private RoutingConfig routingConfig() {
      if (localityWeights != null && localZone != null) {
        throw new IllegalArgumentException("localityWeightedBalancing and zoneAwareRouting exclude each other (as in Envoy): choose one");
      }
      return new RoutingConfig(overprovisioningPercent, localityWeights, localZone, callersPerZone, minClusterSize,
          selectors, subsetFallback, defaultSubset);
    }

    /**
     * Sets the scheduling algorithm by its registry name.
     *
     * @param name for example {@code "round-robin"} (the default), {@code "power-of-two-choices"},
     *     {@code "maglev"}
     * @return this builder
     */
    public Builder scheduler(String name) {
      this.algorithm = Objects.requireNonNull(name, "scheduler");
      this.factory = Schedulers::create;
      return this;
    }

    /**
     * Sets the scheduling algorithm and what builds its instances, for an embedder that wraps the
     * registry's scheduler (a packet path's second chance keeps a second instance of the same
     * algorithm, for instance). The factory is called on the building thread, once per distinct
     * instance (one for the hashing algorithms, one per stripe for those whose select writes a
     * shared turn), with the pool's configuration; every instance receives every publication.
     *
     * @param name the registry name given to the factory, for example {@code "maglev"}
     * @param factory builds one instance from the name and the configuration; {@code
     *     Schedulers::create} is what {@link #scheduler(String)} uses
     * @return this builder
     */
    public Builder scheduler(String name, BiFunction<String, SchedulerConfig, ? extends Scheduler> factory) {
      this.algorithm = Objects.requireNonNull(name, "scheduler");
      this.factory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /**
     * Replaces the scheduler configuration: its session counters become the pool's, its clock the
     * pool's (unless {@link #clock} is set), and its seed, slow start, persistence, no-backend policy,
     * panic threshold and options apply.
     *
     * @param config the configuration
     * @return this builder
     */
    public Builder schedulerConfig(SchedulerConfig config) {
      this.config = config.toBuilder();
      return this;
    }

    /**
     * Sets an algorithm-specific option, for example {@code table-size=65537} for Maglev.
     *
     * @param name the option
     * @param value its value
     * @return this builder
     */
    public Builder schedulerOption(String name, String value) {
      config.option(name, value);
      return this;
    }

    /**
     * Sets the hash and random seed: pools with the same seed and membership hash alike.
     *
     * @param seed any value; default 0
     * @return this builder
     */
    public Builder seed(long seed) {
      config.seed(seed);
      return this;
    }

    /**
     * Sets the slow-start window: a backend that joins or comes back (health, ejection, drain) ramps
     * from 10 % to its full weight over this time (HAProxy {@code slowstart}, Envoy slow start).
     * Hashing schedulers ignore it, since moving keys as weights grow would break their affinity.
     *
     * @param window zero (off, the default) or positive
     * @return this builder
     */
    public Builder slowStart(Duration window) {
      config.slowStart(window);
      return this;
    }

    /**
     * Sets what a pick does when no backend is healthy.
     *
     * @param policy {@link NoBackendPolicy#FAIL_CLOSED} (the default: refuse, {@link
     *     PickStatus#NO_BACKEND}) or {@link NoBackendPolicy#FAIL_OPEN} (use unhealthy ones)
     * @return this builder
     */
    public Builder noBackendPolicy(NoBackendPolicy policy) {
      config.noBackendPolicy(policy);
      return this;
    }

    /**
     * Sets Envoy's panic threshold: below this share of healthy backends, health is ignored.
     *
     * @param percent 0 (off, the default) to 100
     * @return this builder
     */
    public Builder panicThresholdPercent(int percent) {
      config.panicThresholdPercent(percent);
      return this;
    }

    /**
     * Sets the clock of the pool, its scheduler, its session counters and its health inputs (give
     * a manual one with a manual {@link #timer} in tests).
     *
     * @param clock the clock; default the scheduler configuration's, {@link NanoClock#system()}
     * @return this builder
     */
    public Builder clock(NanoClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets a fixed membership.
     *
     * @param backends the backends; ids must be unique
     * @return this builder
     * @throws IllegalArgumentException naming the id when an id repeats
     */
    public Builder backends(Collection<Backend> backends) {
      this.source = MembershipSource.of(backends);
      return this;
    }

    /**
     * Sets a fixed membership.
     *
     * @param backends the backends; ids must be unique
     * @return this builder
     * @throws IllegalArgumentException naming the id when an id repeats
     */
    public Builder backends(Backend... backends) {
      return backends(List.of(backends));
    }

    /**
     * Sets where the membership comes from; the pool starts it at build and closes it at close.
     *
     * @param source the source
     * @return this builder
     */
    public Builder membership(MembershipSource source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /**
     * Turns on active health checks with HAProxy's defaults (interval 2 s, rise 2, fall 3).
     *
     * @param checker the check every backend gets; the pool closes it when it closes
     * @return this builder
     */
    public Builder healthCheck(HealthChecker checker) {
      return healthCheck(checker, b -> { });
    }

    /**
     * Turns on active health checks. The monitor runs on the pool's {@link #timer} and {@link #clock}
     * unless {@code settings} sets others.
     *
     * @param checker the check every backend gets; the pool closes it when it closes
     * @param settings sets the monitor's interval, timeout, rise, fall, jitter (lb-health's {@link
     *     HealthMonitor.Builder})
     * @return this builder
     */
    public Builder healthCheck(HealthChecker checker, Consumer<HealthMonitor.Builder> settings) {
      this.checker = Objects.requireNonNull(checker, "checker");
      this.monitorSettings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * Turns on passive outlier detection fed by lease outcomes, with Envoy's defaults (5 consecutive
     * failures, success rate every 10 s, 30 s base ejection, at most 10 % ejected).
     *
     * @param settings sets the detector (lb-health's {@link OutlierDetector.Builder})
     * @return this builder
     */
    public Builder outlierDetection(Consumer<OutlierDetector.Builder> settings) {
      this.detectorSettings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * Sets whether a backend whose health is still {@link HealthState#UNKNOWN} (checks not decided
     * yet) takes traffic.
     *
     * @param healthy {@code true} (the default): yes, until {@code fall} checks fail, as HAProxy's
     *     default {@code init-state up} and lb4j's proxy do; {@code false}: only after {@code rise}
     *     checks pass, as Envoy does
     * @return this builder
     */
    public Builder healthyUntilChecked(boolean healthy) {
      this.healthyUntilChecked = healthy;
      return this;
    }

    /**
     * Sets the timer that runs the health checks' and outlier detection's schedules (the caller
     * keeps ownership). Default: when either is on, one daemon thread made by the pool and stopped
     * when it closes.
     *
     * @param timer the timer; it must follow the pool's clock
     * @return this builder
     */
    public Builder timer(MonitorScheduler timer) {
      this.timer = Objects.requireNonNull(timer, "timer");
      return this;
    }

    /**
     * Sets the executor that applies control changes, one at a time (for example an application's
     * event loop). Default: none, the submitting thread applies them.
     *
     * @param executor the executor; tasks are serialized whatever its threads
     * @return this builder
     */
    public Builder controlExecutor(Executor executor) {
      this.controlExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Adds a listener told of every transition on the control context.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(PoolListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Bounds the requests in flight per backend (HAProxy's server {@code maxconn}): a full backend
     * is skipped as an excluded one would be, and a pick finds another; when every eligible backend
     * is full the pick answers {@link PickStatus#LIMIT}.
     *
     * @param max 1 or more; default {@link Integer#MAX_VALUE}, no limit
     * @return this builder
     * @throws IllegalArgumentException naming the value when below 1
     */
    public Builder maxRequestsPerBackend(int max) {
      this.maxRequestsPerBackend = atLeastOne("maxRequestsPerBackend", max);
      return this;
    }

    /**
     * Bounds the connections open per backend, as {@link #maxRequestsPerBackend} bounds requests.
     *
     * @param max 1 or more; default {@link Integer#MAX_VALUE}, no limit
     * @return this builder
     * @throws IllegalArgumentException naming the value when below 1
     */
    public Builder maxConnectionsPerBackend(int max) {
      this.maxConnectionsPerBackend = atLeastOne("maxConnectionsPerBackend", max);
      return this;
    }

    /**
     * Sets the pool-wide circuit breaker (Envoy's {@code max_requests} and {@code max_connections},
     * both 1024 by default): a pick beyond either answers {@link PickStatus#CIRCUIT_OPEN} at once,
     * with no queue behind it. The bound is exact; counting is striped per thread group, so picks
     * below the bound do not contend. It costs two atomic operations per request on the thread's own
     * cache line; without a request limit ({@link Integer#MAX_VALUE}) requests skip it.
     *
     * @param maxRequests the most request leases in flight, 1 or more; {@link Integer#MAX_VALUE} for no limit
     * @param maxConnections the most connection leases in flight, 1 or more; {@link Integer#MAX_VALUE} for no limit
     * @return this builder
     * @throws IllegalArgumentException naming the value when below 1
     */
    public Builder circuitBreaker(int maxRequests, int maxConnections) {
      this.maxRequests = atLeastOne("maxRequests", maxRequests);
      this.maxConnections = atLeastOne("maxConnections", maxConnections);
      return this;
    }

    /**
     * Sets the retry budget (Envoy's {@code retry_budget}): retries in flight may be at most {@code
     * max(minRetryConcurrency, budgetPercent / 100 * requests and connections in flight)}.
     *
     * @param budgetPercent 0 to 100; default 20 (Envoy)
     * @param minRetryConcurrency 0 or more; default 3 (Envoy); {@link Integer#MAX_VALUE} with 100 % turns the budget off
     * @return this builder
     * @throws IllegalArgumentException naming the value when out of range
     */
    public Builder retryBudget(double budgetPercent, int minRetryConcurrency) {
      if (!(budgetPercent >= 0 && budgetPercent <= 100)) {
        throw new IllegalArgumentException("budgetPercent must be in 0..100, was " + budgetPercent);
      }
      if (minRetryConcurrency < 0) {
        throw new IllegalArgumentException("minRetryConcurrency must be 0 or more, was " + minRetryConcurrency);
      }
      this.budgetPercent = budgetPercent;
      this.minRetryConcurrency = minRetryConcurrency;
      return this;
    }

    /**
     * Sets whether completions feed the latency to the backend's peak-EWMA estimate. Feeding reads
     * the clock once per completion (about 28 ns with the kvm-clock of lb4j's test machine, more than
     * the rest of a pick and completion), so by default only pools whose scheduler reads the
     * estimate ({@code peak-ewma}) feed it.
     *
     * @param track {@code true} to feed every completion, {@code false} never
     * @return this builder
     */
    public Builder latencyTracking(boolean track) {
      this.latencyTracking = track;
      return this;
    }

    /**
     * Sets whether each request lease is its own object that refuses exactly its own second
     * completion (counted in {@link PoolStats#doubleCompletions()}). Off by default: request leases
     * are shared tokens, a pick allocates nothing, and a second completion is caught by the backend's
     * in-flight count, possibly on another caller's completion; see {@link Lease}.
     *
     * @param track {@code true} to allocate one lease per request
     * @return this builder
     */
    public Builder leaseTracking(boolean track) {
      this.leaseTracking = track;
      return this;
    }

    /**
     * Sets how many stripes the data-plane state is split into: the circuit breaker's counts, and
     * for round robin, random and power-of-two-choices their scheduler instance (each stripe keeps
     * its own turn or random stream, so threads do not contend on one counter). Threads map to
     * stripes in the order they first pick (the first threads of the process take stripes 0, 1, 2, ...).
     * With 1, every thread shares one state and round robin is one global sequence.
     *
     * @param stripes a power of two, 1 to 64; default the processors rounded up to a power of two, at most 8
     * @return this builder
     * @throws IllegalArgumentException naming the value when not a power of two in range
     */
    public Builder stripes(int stripes) {
      if (stripes < 1 || stripes > Stripes.MAX || Integer.bitCount(stripes) != 1) {
        throw new IllegalArgumentException("stripes must be a power of two in 1.." + Stripes.MAX + ", was " + stripes);
      }
      this.stripes = stripes;
      return this;
    }

    private static int atLeastOne(String name, int n) {
      if (n < 1) {
        throw new IllegalArgumentException(name + " must be 1 or more, was " + n);
      }
      return n;
    }

    /**
     * Creates the pool: the scheduler by name, the health monitor and outlier detector, then starts
     * the membership source (a static list is applied before this returns, unless a control executor
     * applies it later: {@link BackendPool#flush()} waits for it).
     *
     * @return the pool, to be closed
     * @throws IllegalArgumentException when no membership was given, the algorithm is unknown (the
     *     message lists the known ones) or an option is invalid
     */
    public BackendPool build() {
      MembershipSource membership = source;
      if (membership == null) {
        throw new IllegalArgumentException("no membership: give backends(...) or membership(...)");
      }
      if (clock != null) {
        config.clock(clock);
      }
      SchedulerConfig schedulerConfig = config.build();
      NanoClock poolClock = schedulerConfig.clock();
      StripedScheduler scheduler = StripedScheduler.create(algorithm, schedulerConfig, stripes, factory);
      boolean feedLatency = latencyTracking != null ? latencyTracking : "peak-ewma".equals(algorithm);
      Picker picker = new Picker(scheduler, schedulerConfig.sessions(), stripes, maxRequests, maxConnections, budgetPercent,
          minRetryConcurrency, maxRequestsPerBackend, maxConnectionsPerBackend, leaseTracking, feedLatency);
      ControlContext context = new ControlContext(controlExecutor);
      PoolControl control = new PoolControl(scheduler, picker, schedulerConfig.sessions(), healthyUntilChecked,
          schedulerConfig.noBackendPolicy(), schedulerConfig.panicThresholdPercent(), listeners,
          new Routing(algorithm, schedulerConfig, stripes, routingConfig()));
      picker.drainWatcher = m -> context.execute(() -> control.checkDrained(m));
      Parts parts = new Parts(scheduler, schedulerConfig.sessions(), picker, control, context, poolClock);
      if (observer != null && monitorSettings == null) {
        throw new IllegalArgumentException("observe needs an active health check to act on (healthCheck(...)), as in HAProxy");
      }
      try {
        MonitorScheduler t = timer;
        if (t == null && (monitorSettings != null || detectorSettings != null || agentChecker != null)) {
          t = MonitorScheduler.newThread("lb4j-pool-timer");
          parts.ownedTimer = t;
        }
        Consumer<OutlierDetector.Builder> ds = detectorSettings;
        if (ds != null && t != null) {
          OutlierDetector.Builder b = OutlierDetector.builder().scheduler(t).clock(poolClock);
          ds.accept(b);
          b.listener(relay(context, control::onOutlier));
          OutlierDetector detector = b.build();
          parts.detector = detector;
          picker.outlier = detector;
        }
        HealthChecker c = checker;
        Consumer<HealthMonitor.Builder> ms = monitorSettings;
        if (c != null && ms != null && t != null) {
          parts.checker = c;
          HealthMonitor.Builder b = HealthMonitor.builder(c).scheduler(t).clock(poolClock);
          ms.accept(b);
          b.listener(relay(context, control::onCheck));
          parts.monitor = b.build();
        }
        AgentChecks agent = null;
        AgentChecker ac = agentChecker;
        if (ac != null && t != null) {
          parts.agentChecker = ac;
          agent = new AgentChecks(ac, agentPort, agentInterval, t, (id, report) -> context.execute(() -> control.onAgent(id, report)));
          parts.agent = agent;
        }
        TrafficObserver obs = observer;
        if (obs != null) {
          picker.observer = obs;
          picker.observed = (id, action, detail) -> context.execute(() -> control.onObserved(id, action, detail));
        }
        control.attach(parts.monitor, parts.detector, agent);
        parts.source = membership;
        BackendPool pool = new BackendPool(parts);
        membership.start(new Sink(context, control));
        return pool;
      } catch (RuntimeException e) {
        closeQuietly(parts.source);
        closeQuietly(parts.monitor);
        closeQuietly(parts.checker);
        closeQuietly(parts.detector);
        closeQuietly(parts.agent);
        closeQuietly(parts.agentChecker);
        closeQuietly(parts.ownedTimer);
        throw e;
      }
    }

    private static HealthListener relay(ControlContext context, HealthInput input) {
      return (backend, from, to, cause) -> context.execute(() -> input.apply(backend, to, cause));
    }
  }

  /** A transition from lb-health, as the control plane takes it. */
  @FunctionalInterface
  private interface HealthInput {
    void apply(Backend backend, HealthState to, io.github.lb4j.api.HealthResult cause);
  }

  /** The pool as a membership source sees it: every push becomes one control task. */
  private static final class Sink implements MembershipSink {
    private final ControlContext context;
    private final PoolControl control;

    Sink(ControlContext context, PoolControl control) {
      this.context = context;
      this.control = control;
    }

    @Override
    public void set(Collection<Backend> backends) {
      List<Backend> copy = List.copyOf(backends);
      Memberships.checkUnique(copy);
      context.execute(() -> control.set(copy));
    }

    @Override
    public void put(Backend backend) {
      Objects.requireNonNull(backend, "backend");
      context.execute(() -> control.put(backend));
    }

    @Override
    public void remove(String backendId) {
      Objects.requireNonNull(backendId, "backendId");
      context.execute(() -> control.remove(backendId));
    }
  }
}
