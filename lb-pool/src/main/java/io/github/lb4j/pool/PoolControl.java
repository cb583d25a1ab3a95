package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.NoBackendPolicy;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.health.HealthMonitor;
import io.github.lb4j.health.OutlierDetector;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's control plane: every input (membership, health checks, outlier detection, reports,
 * administrative states and weights) becomes a change of the members, applied on the control
 * context only. Each input ends with {@link #commit}: if what the scheduler must see changed, one
 * snapshot is published (first the pool's, then the scheduler's {@code update}), then the listeners
 * hear every transition of the input, in order.
 *
 * <p>Confined to the control context (no field is read by another thread except through the
 * published snapshots and the volatile views). Allocates freely; never blocks.
 */
final class PoolControl {

  private static final Logger LOG = LoggerFactory.getLogger(PoolControl.class);

  private final StripedScheduler scheduler;
  private final Picker picker;
  private final SessionCounters sessions;
  private final boolean healthyUntilChecked;
  private final NoBackendPolicy noBackendPolicy;
  private final int panicThresholdPercent;
  private final List<PoolListener> listeners;
  private final Routing routing;
  /** Set when something only the routes see changed (a degraded mark, locality weights). */
  private boolean routesDirty = true;
  private final Map<String, Member> members = new LinkedHashMap<>();
  private final List<Transition> pending = new ArrayList<>();
  private @Nullable HealthMonitor monitor;
  private @Nullable OutlierDetector detector;
  private @Nullable AgentChecks agent;
  private List<Backend> lastEligible = List.of();
  private List<Backend> lastIneligible = List.of();
  /** Set by {@link #close()} from any thread; every input checks it first. */
  private volatile boolean closed;

  /** The states as of the last commit, for views and synchronous checks from any thread. */
  private volatile List<BackendState> states = List.of();
  private volatile Map<String, BackendState> statesById = Map.of();

  PoolControl(StripedScheduler scheduler, Picker picker, SessionCounters sessions, boolean healthyUntilChecked, NoBackendPolicy noBackendPolicy, int panicThresholdPercent, List<PoolListener> listeners, Routing routing) {
    this.scheduler = scheduler;
    this.routing = routing;
    this.picker = picker;
    this.sessions = sessions;
    this.healthyUntilChecked = healthyUntilChecked;
    this.noBackendPolicy = noBackendPolicy;
    this.panicThresholdPercent = panicThresholdPercent;
    this.listeners = List.copyOf(listeners);
  }

  /** Sets the health inputs; build time, before any membership arrives. */
  void attach(@Nullable HealthMonitor monitor, @Nullable OutlierDetector detector, @Nullable AgentChecks agent) {
    this.monitor = monitor;
    this.detector = detector;
    this.agent = agent;
  }

  List<BackendState> states() {
    return states;
  }

  @Nullable BackendState state(String id) {
    return statesById.get(id);
  }

  // ------------------------------------------------------------------ membership

  void set(Collection<Backend> backends) {
    if (closed) {
      return;
    }
    Set<String> wanted = new HashSet<>();
    for (Backend b : backends) {
      wanted.add(b.id());
    }
    for (Member m : new ArrayList<>(members.values())) {
      if (!wanted.contains(m.id)) {
        removeMember(m);
      }
    }
    for (Backend b : backends) {
      putMember(b);
    }
    commit();
  }

  void put(Backend backend) {
    if (closed) {
      return;
    }
    putMember(backend);
    commit();
  }

  void remove(String id) {
    if (closed) {
      return;
    }
    Member m = members.get(id);
    if (m != null) {
      removeMember(m);
      commit();
    }
  }

  private void putMember(Backend b) {
    Member m = members.get(b.id());
    if (m == null) {
      HealthMonitor hm = monitor;
      m = new Member(b, sessions.of(b), picker, hm == null ? HealthState.UP : HealthState.UNKNOWN);
      members.put(m.id, m);
      if (hm != null) {
        hm.add(b);
      }
      OutlierDetector od = detector;
      if (od != null) {
        od.add(b);
      }
      AgentChecks ac = agent;
      if (ac != null) {
        ac.add(b);
      }
      record(Transition.Cause.ADDED, m, null, "added by the membership");
      return;
    }
    Backend old = m.backend;
    if (old.equals(b)) {
      return;
    }
    BackendState before = snapshotOf(m);
    m.backend = b;
    boolean moved = !old.address().equals(b.address()) || old.port() != b.port();
    if (moved) {
      HealthMonitor hm = monitor;
      if (hm != null && m.admin != AdminState.MAINTENANCE) {
        hm.add(b);
        m.monitored = b;
        m.checked = HealthState.UNKNOWN;
      }
      OutlierDetector od = detector;
      if (od != null) {
        od.add(b);
        m.ejected = false;
      }
      AgentChecks ac = agent;
      if (ac != null) {
        ac.add(b);
      }
    }
    record(Transition.Cause.UPDATED, m, before, "updated by the membership: " + old + " -> " + b);
  }

  private void removeMember(Member m) {
    BackendState before = snapshotOf(m);
    members.remove(m.id);
    m.removed = true;
    HealthMonitor hm = monitor;
    if (hm != null) {
      hm.remove(m.id);
    }
    OutlierDetector od = detector;
    if (od != null) {
      od.remove(m.id);
    }
    AgentChecks ac = agent;
    if (ac != null) {
      ac.remove(m.id);
    }
    io.github.lb4j.health.TrafficObserver observer = picker.observer;
    if (observer != null) {
      observer.remove(m.id);
    }
    pending.add(new Transition(Transition.Cause.REMOVED, m.id, before, null, "removed by the membership"));
    watchDrain(m);
  }

  // ------------------------------------------------------------------ operator

  void setAdmin(String id, AdminState admin) {
    Member m = known(id);
    if (m.admin == admin) {
      return;
    }
    BackendState before = snapshotOf(m);
    AdminState was = m.admin;
    m.admin = admin;
    HealthMonitor hm = monitor;
    if (hm != null) {
      if (admin == AdminState.MAINTENANCE) {
        hm.remove(id);
        m.checked = HealthState.UNKNOWN;
        m.detail = "";
      } else if (was == AdminState.MAINTENANCE) {
        hm.add(m.backend);
        m.monitored = m.backend;
        m.checked = HealthState.UNKNOWN;
      }
    }
    record(Transition.Cause.ADMIN_STATE, m, before, "administrative state " + was + " -> " + admin);
    if (admin == AdminState.ACTIVE) {
      m.watchDrain = false;
    } else {
      watchDrain(m);
    }
    commit();
  }

  void setWeight(String id, int weight) {
    Member m = known(id);
    if (m.adminWeight == weight) {
      return;
    }
    BackendState before = snapshotOf(m);
    m.adminWeight = weight;
    record(Transition.Cause.ADMIN_WEIGHT, m, before,
        weight < 0 ? "administrative weight cleared: " + m.backend.weight() + " from the membership" : "administrative weight " + weight);
    commit();
  }

  void report(String id, HealthState state, String detail) {
    Member m = known(id);
    if (m.reported == state && m.detail.equals(detail)) {
      return;
    }
    BackendState before = snapshotOf(m);
    HealthState was = m.reported;
    m.reported = state;
    m.detail = detail;
    record(Transition.Cause.HEALTH_REPORT, m, before, "reported " + was + " -> " + state + (detail.isEmpty() ? "" : ": " + detail));
    commit();
  }

  void setDegraded(String id, boolean degraded, String detail) {
    Member m = known(id);
    if (m.degraded == degraded) {
      return;
    }
    BackendState before = snapshotOf(m);
    m.degraded = degraded;
    routesDirty = true;
    record(Transition.Cause.HEALTH_REPORT, m, before, (degraded ? "degraded" : "no longer degraded")
        + (detail.isEmpty() ? "" : ": " + detail));
    commit();
  }

  /**
   * Applies what a backend's agent said, as HAProxy applies an agent check's answer ({@code
   * tcpcheck_agent_expect_reply} in {@code src/tcpcheck.c}): a relative weight scales the
   * membership's weight (capped at {@link Backend#MAX_WEIGHT}), an absolute one replaces it;
   * {@code maxconn:N} bounds the backend's requests and connections in flight (0: no bound, as
   * HAProxy's {@code maxconn 0}); {@code drain} and {@code maint} set the agent's administrative
   * state and {@code ready} clears it (an operator's drain or maintenance stands above it);
   * {@code down}, {@code fail} and {@code stopped} take the backend out until the agent says
   * {@code up}. A check without an answer changes nothing: HAProxy does not count an unreachable
   * agent against the backend.
   */
  void onAgent(String id, io.github.lb4j.health.AgentReport report) {
    Member m = members.get(id);
    if (closed || m == null || !report.answered()) {
      return;
    }
    BackendState before = snapshotOf(m);
    boolean wasServing = before.serving();
    int weight = m.agentWeight;
    if (report.weightPercent().isPresent()) {
      // Rounded; a positive percentage of a positive weight never drains (HAProxy keeps such a server at 1).
      int pct = report.weightPercent().getAsInt();
      long w = ((long) m.backend.weight() * pct + 50) / 100;
      weight = (int) Math.min(Backend.MAX_WEIGHT, pct > 0 && m.backend.weight() > 0 ? Math.max(1, w) : w);
    } else if (report.weight().isPresent()) {
      weight = report.weight().getAsInt();
    }
    AdminState admin = m.agentAdmin;
    if (report.adminState().isPresent()) {
      switch (report.adminState().get()) {
        case DRAIN:
          admin = AdminState.DRAINING;
          break;
        case MAINT:
          admin = AdminState.MAINTENANCE;
          break;
        default:
          admin = AdminState.ACTIVE;
          break;
      }
    }
    boolean down = m.agentDown;
    if (report.operationalState().isPresent()) {
      down = report.operationalState().get() != io.github.lb4j.health.AgentReport.OperationalState.UP;
    }
    if (report.maxconn().isPresent()) {
      int n = report.maxconn().getAsInt();
      m.agentMaxconn = n == 0 ? Long.MAX_VALUE : n;
    }
    if (weight == m.agentWeight && admin == m.agentAdmin && down == m.agentDown) {
      return;
    }
    String line = report.line().orElse("");
    if (weight != m.agentWeight) {
      m.agentWeight = weight;
      record(Transition.Cause.ADMIN_WEIGHT, m, before, "agent weight " + weight + " ('" + line + "')");
    }
    if (admin != m.agentAdmin) {
      m.agentAdmin = admin;
      record(Transition.Cause.ADMIN_STATE, m, before, "agent state " + admin + " ('" + line + "')");
    }
    if (down != m.agentDown) {
      m.agentDown = down;
      m.detail = report.result().detail();
      record(Transition.Cause.HEALTH_REPORT, m, before, "agent says " + (down ? "down" : "up") + " ('" + line + "')");
    }
    if (wasServing && !snapshotOf(m).serving()) {
      watchDrain(m);
    } else if (snapshotOf(m).serving()) {
      m.watchDrain = false;
    }
    commit();
  }

  /** An observer's action: the health monitor counts it, as HAProxy's check does. */
  void onObserved(String id, io.github.lb4j.health.TrafficObserver.Action action, String detail) {
    HealthMonitor hm = monitor;
    Member m = members.get(id);
    if (closed || hm == null || m == null) {
      return;
    }
    hm.adjust(id, action, detail);
  }

  boolean isDegraded(String id) {
    Member m = members.get(id);
    return m != null && m.degraded;
  }

  private Member known(String id) {
    if (closed) {
      throw new IllegalStateException("pool is closed");
    }
    Member m = members.get(id);
    if (m == null) {
      throw unknown(id, members.keySet());
    }
    return m;
  }

  static IllegalArgumentException unknown(String id, Collection<String> known) {
    return new IllegalArgumentException("unknown backend '" + id + "'; known: " + (known.isEmpty() ? "none" : String.join(", ", known)));
  }

  // ------------------------------------------------------------------ health

  /** A transition of the active health checks; stale ones (a replaced or removed target) are ignored. */
  void onCheck(Backend backend, HealthState to, HealthResult result) {
    Member m = members.get(backend.id());
    if (closed || m == null || m.monitored != backend || m.admin == AdminState.MAINTENANCE || m.checked == to) {
      return;
    }
    BackendState before = snapshotOf(m);
    HealthState was = m.checked;
    m.checked = to;
    m.detail = result.detail();
    io.github.lb4j.health.TrafficObserver observer = picker.observer;
    if (observer != null && to == HealthState.UP) {
      // HAProxy clears the observed errors when a check passes; the pool hears it as the rise to UP.
      observer.checkPassed(m.id);
    }
    record(Transition.Cause.HEALTH_CHECK, m, before, was + " -> " + to + ": " + result);
    commit();
  }

  /** An ejection or return from outlier detection. */
  void onOutlier(Backend backend, HealthState to, HealthResult result) {
    Member m = members.get(backend.id());
    if (closed || m == null || !m.backend.address().equals(backend.address()) || m.backend.port() != backend.port()) {
      return;
    }
    boolean eject = to == HealthState.DOWN;
    if (m.ejected == eject) {
      return;
    }
    BackendState before = snapshotOf(m);
    m.ejected = eject;
    record(eject ? Transition.Cause.EJECTED : Transition.Cause.UNEJECTED, m, before, result.detail());
    commit();
  }

  // ------------------------------------------------------------------ drain

  /** Starts watching a member that stopped taking new work for the end of what it has in flight. */
  private void watchDrain(Member m) {
    m.watchDrain = true;
    if (m.inFlight() == 0) {
      drained(m);
    }
  }

  /** Posted by a completion on a watched member; emits DRAINED once when nothing is in flight any more. */
  void checkDrained(Member m) {
    if (!closed && m.watchDrain && m.inFlight() == 0) {
      drained(m);
      flush();
    }
  }

  private void drained(Member m) {
    m.watchDrain = false;
    BackendState s = m.removed ? null : snapshotOf(m);
    pending.add(new Transition(Transition.Cause.DRAINED, m.id, s, s, m.removed
        ? "removed; nothing in flight any more" : "not serving (" + admin(m) + "); nothing in flight any more"));
  }

  // ------------------------------------------------------------------ publication

  private BackendState snapshotOf(Member m) {
    AdminState admin = admin(m);
    int weight = admin == AdminState.ACTIVE
        ? (m.adminWeight >= 0 ? m.adminWeight : m.agentWeight >= 0 ? m.agentWeight : m.backend.weight()) : 0;
    boolean healthy = healthy(m);
    return new BackendState(m.backend, admin, m.checked, m.agentDown ? HealthState.DOWN : m.reported, m.ejected, weight,
        admin == AdminState.ACTIVE && weight > 0 && healthy, m.detail);
  }

  /** The operator's state, or the agent's when it is more restrictive (ACTIVE < DRAINING < MAINTENANCE). */
  private static AdminState admin(Member m) {
    return m.agentAdmin.compareTo(m.admin) > 0 ? m.agentAdmin : m.admin;
  }

  private boolean healthy(Member m) {
    return ok(m.checked) && ok(m.reported) && !m.ejected && !m.agentDown;
  }

  private boolean ok(HealthState h) {
    return h == HealthState.UP || (h == HealthState.UNKNOWN && healthyUntilChecked);
  }

  private void record(Transition.Cause cause, Member m, @Nullable BackendState before, String detail) {
    pending.add(new Transition(cause, m.id, before, null, detail));
  }

  /** Publishes what changed, then tells the listeners. */
  void commit() {
    publish();
    flush();
  }

  private void publish() {
    if (closed) {
      return;
    }
    List<Backend> eligible = new ArrayList<>(members.size());
    List<Backend> ineligible = new ArrayList<>();
    List<Member> live = new ArrayList<>(members.size());
    List<Member> liveSick = new ArrayList<>();
    List<Routing.Host> hosts = new ArrayList<>(members.size());
    Map<Backend, Member> byObject = new IdentityHashMap<>();
    List<BackendState> list = new ArrayList<>(members.size());
    Map<String, BackendState> byId = new LinkedHashMap<>();
    for (Member m : members.values()) {
      BackendState s = snapshotOf(m);
      list.add(s);
      byId.put(m.id, s);
      Backend published = m.published;
      if (published.weight() != s.weight() || m.publishedFrom != m.backend) {
        // Always a copy of the pool's own: the copies of one publication are allocated together,
        // so the lookup of the scheduler's answer reads few cache lines.
        published = m.backend.withWeight(s.weight());
        m.published = published;
        m.publishedFrom = m.backend;
      }
      byObject.put(published, m);
      boolean healthy = healthy(m);
      (healthy ? eligible : ineligible).add(published);
      if (s.weight() > 0) {
        (healthy ? live : liveSick).add(m);
      }
      hosts.add(new Routing.Host(m, published, s.serving(), m.degraded));
    }
    if (!routesDirty && sameObjects(eligible, lastEligible) && sameObjects(ineligible, lastIneligible)) {
      states = Collections.unmodifiableList(list);
      statesById = Collections.unmodifiableMap(byId);
      return;
    }
    routesDirty = false;
    Snapshot previous = picker.snapshot;
    // First the table that resolves both generations, under the current routes; then the routes,
    // whose group schedulers return the new objects as soon as they are updated below.
    Snapshot tabled = previous.withTable(Snapshot.table(byObject, previous));
    picker.snapshot = tabled;
    routing.begin();
    Snapshot next;
    if (routing.needed(hosts)) {
      Route all = routing.route("a", hosts);
      next = routing.config().subsets()
          ? tabled.withRoutes(all, routing.subsets(hosts), routing.fallback(hosts, all))
          : tabled.withRoutes(all, Map.of(), null);
    } else {
      next = tabled.withRoutes(Route.single(scheduler, selectable(live, liveSick)), Map.of(), null);
    }
    routing.sweep();
    picker.snapshot = next;
    if (closed) {
      // close() ran on another thread meanwhile; its CLOSED snapshot must be the last one.
      picker.snapshot = Snapshot.CLOSED;
      return;
    }
    scheduler.apply(eligible, ineligible);
    picker.receivers = receivers();
    lastEligible = eligible;
    lastIneligible = ineligible;
    // Last: whoever reads a backend's new state (backend(id), states()) finds the picks already
    // following it, so "c is DOWN" is never seen while a pick may still return c.
    states = Collections.unmodifiableList(list);
    statesById = Collections.unmodifiableMap(byId);
  }

  /** The scheduler instances that adapt to load reports: the pool's own and its routes' groups. */
  private io.github.lb4j.api.LoadReportReceiver[] receivers() {
    List<io.github.lb4j.api.LoadReportReceiver> out = new ArrayList<>();
    for (io.github.lb4j.api.Scheduler s : scheduler.all()) {
      if (s instanceof io.github.lb4j.api.LoadReportReceiver) {
        out.add((io.github.lb4j.api.LoadReportReceiver) s);
      }
    }
    for (StripedScheduler g : routing.schedulers()) {
      if (g == scheduler) {
        continue;
      }
      for (io.github.lb4j.api.Scheduler s : g.all()) {
        if (s instanceof io.github.lb4j.api.LoadReportReceiver) {
          out.add((io.github.lb4j.api.LoadReportReceiver) s);
        }
      }
    }
    return out.toArray(new io.github.lb4j.api.LoadReportReceiver[0]);
  }

  /** The scheduler's choice of usable backends (lb-algorithms' AbstractScheduler rules), for the pick's fallback scan. */
  private Member[] selectable(List<Member> live, List<Member> liveSick) {
    int total = live.size() + liveSick.size();
    if (!live.isEmpty() && (long) live.size() * 100 >= (long) panicThresholdPercent * total) {
      return live.toArray(new Member[0]);
    }
    if (!live.isEmpty() || noBackendPolicy == NoBackendPolicy.FAIL_OPEN || panicThresholdPercent > 0) {
      List<Member> all = new ArrayList<>(live);
      all.addAll(liveSick);
      return all.toArray(new Member[0]);
    }
    return new Member[0];
  }

  private static boolean sameObjects(List<Backend> a, List<Backend> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  /** Tells the listeners of every pending transition, filling in the state after it. */
  private void flush() {
    if (pending.isEmpty()) {
      return;
    }
    if (closed) {
      pending.clear();
      return;
    }
    List<Transition> out = new ArrayList<>(pending);
    pending.clear();
    for (Transition t : out) {
      Transition full = t;
      if (t.after() == null && t.cause() != Transition.Cause.REMOVED) {
        Member m = members.get(t.backendId());
        full = new Transition(t.cause(), t.backendId(), t.before(), m == null ? null : snapshotOf(m), t.detail());
      }
      log(full);
      for (PoolListener l : listeners) {
        try {
          l.onTransition(full);
        } catch (RuntimeException e) {
          LOG.error("pool listener failed on {} {}", full.backendId(), full.cause(), e);
        }
      }
    }
  }

  private static void log(Transition t) {
    BackendState b = t.before();
    BackendState a = t.after();
    boolean servingChanged = (b != null && b.serving()) != (a != null && a.serving());
    if (servingChanged) {
      LOG.info("backend {} {}: {}", t.backendId(), a != null && a.serving() ? "serving" : "not serving", t.detail());
    } else {
      LOG.debug("backend {} {}: {}", t.backendId(), t.cause(), t.detail());
    }
  }

  /**
   * Stops every input: picks answer CLOSED from now on, later tasks change nothing and tell nobody.
   * Any thread.
   */
  void close() {
    closed = true;
    picker.snapshot = Snapshot.CLOSED;
  }

  @Override
  public String toString() {
    return "PoolControl{" + members.size() + " members, " + Objects.toString(scheduler) + "}";
  }
}
