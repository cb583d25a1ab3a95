package io.github.lb4j.micrometer;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.LoadReportReceiver;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.BackendState;
import io.github.lb4j.pool.PoolListener;
import io.github.lb4j.pool.PoolStats;
import io.github.lb4j.pool.Transition;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * The meters of one {@link BackendPool}: what its picks were refused for, its retries, what is in
 * flight, each backend's requests, sessions, weight, health and ejection, and every {@link
 * Transition} by cause.
 *
 * <p>It is both the pool's {@link PoolListener} (so that transitions are counted and backends that
 * join or leave get or lose their meters) and a {@link MeterBinder}:
 *
 * <pre>{@code
 * PoolMetrics metrics = PoolMetrics.create("checkout");
 * BackendPool pool = BackendPool.builder().listener(metrics).backends(replicas).build();
 * metrics.observe(pool).bindTo(registry);
 * }</pre>
 *
 * <p>Every value is read from the pool's own counters ({@link BackendPool#stats()}, the backends'
 * {@link BackendLoad}, {@link BackendPool#backends()}) when the registry asks, so a pick costs nothing
 * more; the listener adds one {@link LongAdder} increment per transition. Transitions heard before
 * {@link #bindTo} are counted too. A pool built without this listener still gets its pool-wide and
 * per-backend meters for the backends present at {@link #bindTo}, but no transition counts and no
 * meters for backends that join later.
 *
 * <p>Meters (tags {@code pool} and the extra tags, plus those listed):
 *
 * <table>
 *   <caption>Pool meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code lb.pool.picks.refused}</td><td>counter</td><td>{@code reason}: {@code no_backend},
 *       {@code all_excluded}, {@code limit}, {@code budget}, {@code circuit_open}</td><td>picks refused
 *       (the {@link io.github.lb4j.pool.PickStatus} values)</td></tr>
 *   <tr><td>{@code lb.pool.retries}</td><td>counter</td><td></td><td>retry picks granted</td></tr>
 *   <tr><td>{@code lb.pool.requests.inflight}</td><td>gauge</td><td></td><td>request leases not completed</td></tr>
 *   <tr><td>{@code lb.pool.connections.inflight}</td><td>gauge</td><td></td><td>connection leases not completed</td></tr>
 *   <tr><td>{@code lb.pool.retries.inflight}</td><td>gauge</td><td></td><td>retry leases not completed</td></tr>
 *   <tr><td>{@code lb.pool.completions.repeated}</td><td>counter</td><td></td><td>second completions of a
 *       lease, ignored</td></tr>
 *   <tr><td>{@code lb.pool.backends}</td><td>gauge</td><td>{@code serving}: {@code true}, {@code false}</td>
 *       <td>members that take new requests, and those that do not</td></tr>
 *   <tr><td>{@code lb.pool.transitions}</td><td>counter</td><td>{@code cause}: {@code added}, {@code removed},
 *       {@code health_check}, {@code ejected}, ... (the {@link Transition.Cause} values)</td><td>backend
 *       changes</td></tr>
 *   <tr><td>{@code lb.pool.health.transitions}</td><td>counter</td><td>{@code state}: {@code up},
 *       {@code down}, {@code unknown}</td><td>changes of a backend's health (checks and reports), by the
 *       state reached</td></tr>
 *   <tr><td>{@code lb.pool.ejections}</td><td>counter</td><td></td><td>outlier ejections</td></tr>
 *   <tr><td>{@code lb.scheduler.backends}</td><td>gauge</td><td>{@code scheduler}: its name</td><td>backends
 *       in the scheduler's current snapshot (eligible; drained ones with weight 0 included)</td></tr>
 *   <tr><td>{@code lb.scheduler.weight}</td><td>gauge</td><td>{@code scheduler}</td><td>sum of the weights in
 *       that snapshot</td></tr>
 *   <tr><td>{@code grpc.lb.wrr.rr_fallback}</td><td>counter</td><td></td><td>weight recomputations that found
 *       fewer than two usable weights (plain round robin); gRFC A78, only for a scheduler that adapts to load
 *       reports ({@code weighted-round-robin-adaptive})</td></tr>
 *   <tr><td>{@code grpc.lb.wrr.endpoint_weight_not_yet_usable}</td><td>counter</td><td></td><td>endpoints, per
 *       recomputation, with no report yet or within the blackout period (A78)</td></tr>
 *   <tr><td>{@code grpc.lb.wrr.endpoint_weight_stale}</td><td>counter</td><td></td><td>endpoints, per
 *       recomputation, whose latest report is older than the expiration period (A78)</td></tr>
 * </table>
 *
 * <table>
 *   <caption>Backend meters (tag {@code backend}, the id)</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code lb.backend.requests}</td><td>counter</td><td>{@code outcome}: {@code success},
 *       {@code failure}</td><td>requests completed (cancelled ones are not counted)</td></tr>
 *   <tr><td>{@code lb.backend.requests.active}</td><td>gauge</td><td></td><td>requests in flight</td></tr>
 *   <tr><td>{@code lb.backend.sessions}</td><td>counter</td><td></td><td>sessions (connections) opened</td></tr>
 *   <tr><td>{@code lb.backend.sessions.active}</td><td>gauge</td><td>{@code state}: {@code active},
 *       {@code inactive}</td><td>sessions open, as IPVS counts them</td></tr>
 *   <tr><td>{@code lb.backend.weight}</td><td>gauge</td><td></td><td>the weight the scheduler uses</td></tr>
 *   <tr><td>{@code lb.backend.serving}</td><td>gauge</td><td></td><td>1 when it takes new requests, else 0</td></tr>
 *   <tr><td>{@code lb.backend.health}</td><td>gauge</td><td>{@code state}: {@code up}, {@code down},
 *       {@code unknown}</td><td>1 for the backend's health now, 0 for the other two</td></tr>
 *   <tr><td>{@code lb.backend.ejected}</td><td>gauge</td><td></td><td>1 while outlier detection ejects it</td></tr>
 * </table>
 *
 * <p>Thread-safe: the listener runs on the pool's control context, {@link #bindTo} on any thread;
 * both take a short lock and allocate while they register or remove meters. Never blocks otherwise.
 */
public final class PoolMetrics implements MeterBinder, PoolListener {

  private final Tags tags;
  private final EnumMap<Transition.Cause, LongAdder> transitions = new EnumMap<>(Transition.Cause.class);
  private final EnumMap<HealthState, LongAdder> healthTransitions = new EnumMap<>(HealthState.class);
  private final List<MeterRegistry> registries = new ArrayList<>();
  /** The backend meters registered, by registry and backend id. */
  private final Map<MeterRegistry, Map<String, List<Meter>>> backendMeters = new HashMap<>();
  private volatile @Nullable BackendPool pool;

  private PoolMetrics(Tags tags) {
    this.tags = tags;
    for (Transition.Cause c : Transition.Cause.values()) {
      transitions.put(c, new LongAdder());
    }
    for (HealthState s : HealthState.values()) {
      healthTransitions.put(s, new LongAdder());
    }
  }

  /**
   * Returns the meters of a pool named {@code name} (the {@code pool} tag).
   *
   * @param name the pool's name, for example the service it balances
   * @return new metrics, to register as the pool's listener
   */
  public static PoolMetrics create(String name) {
    return create(name, Tags.empty());
  }

  /**
   * Returns the meters of a pool named {@code name}, with extra tags on every meter.
   *
   * @param name the pool's name (the {@code pool} tag)
   * @param extraTags tags added to every meter, for example the region
   * @return new metrics, to register as the pool's listener
   */
  public static PoolMetrics create(String name, Iterable<Tag> extraTags) {
    Objects.requireNonNull(name, "name");
    return new PoolMetrics(Tags.of("pool", name).and(extraTags));
  }

  /**
   * Names the pool whose counters the meters read; call it once, after the pool is built.
   *
   * @param pool the pool this object listens to
   * @return this
   * @throws IllegalStateException when another pool was given before
   */
  public PoolMetrics observe(BackendPool pool) {
    Objects.requireNonNull(pool, "pool");
    synchronized (this) {
      BackendPool p = this.pool;
      if (p != null && p != pool) {
        throw new IllegalStateException("these metrics already observe " + p);
      }
      this.pool = pool;
    }
    return this;
  }

  /**
   * Registers the meters.
   *
   * @param registry the registry; may be called for several
   * @throws IllegalStateException when {@link #observe} was not called
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    BackendPool p = pool;
    if (p == null) {
      throw new IllegalStateException("call observe(pool) before bindTo(registry): the meters read the pool's counters");
    }
    synchronized (this) {
      if (registries.contains(registry)) {
        return;
      }
      registries.add(registry);
      backendMeters.put(registry, new HashMap<>());
      bindPool(registry, p);
      for (BackendState s : p.backends()) {
        bindBackend(registry, p, s.id());
      }
    }
  }

  @Override
  public void onTransition(Transition t) {
    transitions.get(t.cause()).increment();
    BackendState before = t.before();
    BackendState after = t.after();
    if ((t.cause() == Transition.Cause.HEALTH_CHECK || t.cause() == Transition.Cause.HEALTH_REPORT) && after != null) {
      HealthState now = health(after);
      if (before == null || health(before) != now) {
        healthTransitions.get(now).increment();
      }
    }
    BackendPool p = pool;
    if (p == null || (t.cause() != Transition.Cause.ADDED && t.cause() != Transition.Cause.REMOVED)) {
      return;
    }
    synchronized (this) {
      for (MeterRegistry r : registries) {
        if (t.cause() == Transition.Cause.ADDED) {
          bindBackend(r, p, t.backendId());
        } else {
          unbindBackend(r, t.backendId());
        }
      }
    }
  }

  /** The health a backend has for its users: down when checks or reports say so, unknown until checks decide. */
  static HealthState health(BackendState s) {
    if (s.checked() == HealthState.DOWN || s.reported() == HealthState.DOWN) {
      return HealthState.DOWN;
    }
    return s.checked() == HealthState.UNKNOWN ? HealthState.UNKNOWN : HealthState.UP;
  }

  private void bindPool(MeterRegistry r, BackendPool p) {
    refused(r, p, "no_backend", PoolStats::noBackend);
    refused(r, p, "all_excluded", PoolStats::allExcluded);
    refused(r, p, "limit", PoolStats::limited);
    refused(r, p, "budget", PoolStats::budgetExhausted);
    refused(r, p, "circuit_open", PoolStats::circuitOpen);
    FunctionCounter.builder("lb.pool.retries", p, pp -> pp.stats().retries()).tags(tags)
        .description("Retry picks granted (picks that excluded backends already tried)").register(r);
    FunctionCounter.builder("lb.pool.completions.repeated", p, pp -> pp.stats().doubleCompletions()).tags(tags)
        .description("Second completions of a lease, ignored").register(r);
    Gauge.builder("lb.pool.requests.inflight", p, pp -> pp.stats().activeRequests()).tags(tags)
        .description("Request leases granted and not completed").register(r);
    Gauge.builder("lb.pool.connections.inflight", p, pp -> pp.stats().activeConnections()).tags(tags)
        .description("Connection leases granted and not completed").register(r);
    Gauge.builder("lb.pool.retries.inflight", p, pp -> pp.stats().activeRetries()).tags(tags)
        .description("Retry leases granted and not completed").register(r);
    Gauge.builder("lb.pool.backends", p, pp -> count(pp, true)).tags(tags).tag("serving", "true")
        .description("Members of the pool by whether they take new requests").register(r);
    Gauge.builder("lb.pool.backends", p, pp -> count(pp, false)).tags(tags).tag("serving", "false")
        .description("Members of the pool by whether they take new requests").register(r);
    Gauge.builder("lb.scheduler.backends", p, pp -> pp.scheduler().backends().size()).tags(tags)
        .tag("scheduler", p.scheduler().name())
        .description("Backends in the scheduler's current snapshot (eligible, drained ones included)").register(r);
    Gauge.builder("lb.scheduler.weight", p, pp -> weightSum(pp)).tags(tags).tag("scheduler", p.scheduler().name())
        .description("Sum of the weights in the scheduler's current snapshot").register(r);
    for (Map.Entry<Transition.Cause, LongAdder> e : transitions.entrySet()) {
      FunctionCounter.builder("lb.pool.transitions", e.getValue(), LongAdder::sum).tags(tags)
          .tag("cause", e.getKey().name().toLowerCase(Locale.ROOT))
          .description("Backend changes by cause").register(r);
    }
    for (Map.Entry<HealthState, LongAdder> e : healthTransitions.entrySet()) {
      FunctionCounter.builder("lb.pool.health.transitions", e.getValue(), LongAdder::sum).tags(tags)
          .tag("state", e.getKey().name().toLowerCase(Locale.ROOT))
          .description("Changes of a backend's health by the state reached").register(r);
    }
    FunctionCounter.builder("lb.pool.ejections", transitions.get(Transition.Cause.EJECTED), LongAdder::sum).tags(tags)
        .description("Backends ejected by outlier detection").register(r);
    if (p.weightUpdates() != null) {
      // gRFC A78's WRR counters, where the scheduler adapts its weights to load reports (gRFC A58).
      wrr(r, p, "grpc.lb.wrr.rr_fallback", LoadReportReceiver.WeightUpdates::roundRobinFallbacks,
          "Scheduler updates in which there were not enough endpoints with valid weight, which caused the WRR policy to"
              + " fall back to RR behavior");
      wrr(r, p, "grpc.lb.wrr.endpoint_weight_not_yet_usable", LoadReportReceiver.WeightUpdates::notYetUsable,
          "Endpoints from each scheduler update that don't yet have usable weight information (no load report yet,"
              + " or within the blackout period)");
      wrr(r, p, "grpc.lb.wrr.endpoint_weight_stale", LoadReportReceiver.WeightUpdates::stale,
          "Endpoints from each scheduler update whose latest weight is older than the expiration period");
    }
  }

  private void wrr(MeterRegistry r, BackendPool p, String name, ToDoubleFunction<LoadReportReceiver.WeightUpdates> f,
      String description) {
    FunctionCounter.builder(name, p, pp -> {
      LoadReportReceiver.WeightUpdates u = pp.weightUpdates();
      return u == null ? 0 : f.applyAsDouble(u);
    }).tags(tags).description(description).register(r);
  }

  private void refused(MeterRegistry r, BackendPool p, String reason, ToDoubleFunction<PoolStats> value) {
    FunctionCounter.builder("lb.pool.picks.refused", p, pp -> value.applyAsDouble(pp.stats())).tags(tags)
        .tag("reason", reason).description("Picks refused, by reason").register(r);
  }

  private static long weightSum(BackendPool p) {
    long sum = 0;
    for (Backend b : p.scheduler().backends()) {
      sum += b.weight();
    }
    return sum;
  }

  private static long count(BackendPool p, boolean serving) {
    long n = 0;
    for (BackendState s : p.backends()) {
      n += s.serving() == serving ? 1 : 0;
    }
    return n;
  }

  private void bindBackend(MeterRegistry r, BackendPool p, String id) {
    Map<String, List<Meter>> byId = backendMeters.get(r);
    if (byId == null || byId.containsKey(id)) {
      return;
    }
    BackendLoad load = p.sessions().of(id);
    Tags t = tags.and("backend", id);
    List<Meter> meters = new ArrayList<>();
    meters.add(FunctionCounter.builder("lb.backend.requests", load, BackendLoad::successes).tags(t).tag("outcome", "success")
        .description("Requests completed, by outcome").register(r));
    meters.add(FunctionCounter.builder("lb.backend.requests", load, BackendLoad::failures).tags(t).tag("outcome", "failure")
        .description("Requests completed, by outcome").register(r));
    meters.add(Gauge.builder("lb.backend.requests.active", load, BackendLoad::pending).tags(t)
        .description("Requests in flight").register(r));
    meters.add(FunctionCounter.builder("lb.backend.sessions", load, BackendLoad::totalSessions).tags(t)
        .description("Sessions (connections) opened").register(r));
    meters.add(Gauge.builder("lb.backend.sessions.active", load, BackendLoad::active).tags(t).tag("state", "active")
        .description("Sessions open, by IPVS state").register(r));
    meters.add(Gauge.builder("lb.backend.sessions.active", load, BackendLoad::inactive).tags(t).tag("state", "inactive")
        .description("Sessions open, by IPVS state").register(r));
    meters.add(Gauge.builder("lb.backend.weight", p, pp -> state(pp, id, s -> s.weight())).tags(t)
        .description("The weight the scheduler uses (0 while drained)").register(r));
    meters.add(Gauge.builder("lb.backend.serving", p, pp -> state(pp, id, s -> s.serving() ? 1 : 0)).tags(t)
        .description("1 when the backend takes new requests").register(r));
    meters.add(Gauge.builder("lb.backend.ejected", p, pp -> state(pp, id, s -> s.ejected() ? 1 : 0)).tags(t)
        .description("1 while outlier detection ejects the backend").register(r));
    for (HealthState h : HealthState.values()) {
      meters.add(Gauge.builder("lb.backend.health", p, pp -> state(pp, id, s -> health(s) == h ? 1 : 0)).tags(t)
          .tag("state", h.name().toLowerCase(Locale.ROOT))
          .description("1 for the backend's health now, 0 for the other states").register(r));
    }
    byId.put(id, meters);
  }

  private static double state(BackendPool p, String id, ToDoubleFunction<BackendState> f) {
    BackendState s = p.backend(id);
    return s == null ? Double.NaN : f.applyAsDouble(s);
  }

  private void unbindBackend(MeterRegistry r, String id) {
    Map<String, List<Meter>> byId = backendMeters.get(r);
    List<Meter> meters = byId == null ? null : byId.remove(id);
    if (meters != null) {
      meters.forEach(r::remove);
    }
  }

  @Override
  public String toString() {
    return "PoolMetrics" + tags;
  }
}
