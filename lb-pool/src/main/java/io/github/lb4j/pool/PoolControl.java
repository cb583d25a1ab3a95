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
  private final Map<String, Member> members = new LinkedHashMap<>();
  private final List<Transition> pending = new ArrayList<>();
  private @Nullable HealthMonitor monitor;
  private @Nullable OutlierDetector detector;
  private List<Backend> lastEligible = List.of();
  private List<Backend> lastIneligible = List.of();
  /** Set by {@link #close()} from any thread; every input checks it first. */
  private volatile boolean closed;

  /** The states as of the last commit, for views and synchronous checks from any thread. */
  private volatile List<BackendState> states = List.of();
  private volatile Map<String, BackendState> statesById = Map.of();

  PoolControl(StripedScheduler scheduler, Picker picker, SessionCounters sessions, boolean healthyUntilChecked, NoBackendPolicy noBackendPolicy, int panicThresholdPercent, List<PoolListener> listeners) {
    this.scheduler = scheduler;
    this.picker = picker;
    this.sessions = sessions;
    this.healthyUntilChecked = healthyUntilChecked;
    this.noBackendPolicy = noBackendPolicy;
    this.panicThresholdPercent = panicThresholdPercent;
    this.listeners = List.copyOf(listeners);
  }

  /** Sets the health inputs; build time, before any membership arrives. */
  void attach(@Nullable HealthMonitor monitor, @Nullable OutlierDetector detector) {
    this.monitor = monitor;
    this.detector = detector;
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
        ? "removed; nothing in flight any more" : "not serving (" + m.admin + "); nothing in flight any more"));
  }

  // ------------------------------------------------------------------ publication

  private BackendState snapshotOf(Member m) {
    int weight = m.admin == AdminState.ACTIVE ? (m.adminWeight >= 0 ? m.adminWeight : m.backend.weight()) : 0;
    boolean healthy = healthy(m);
    return new BackendState(m.backend, m.admin, m.checked, m.reported, m.ejected, weight,
        m.admin == AdminState.ACTIVE && weight > 0 && healthy, m.detail);
  }

  private boolean healthy(Member m) {
    return ok(m.checked) && ok(m.reported) && !m.ejected;
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
    }
    states = Collections.unmodifiableList(list);
    statesById = Collections.unmodifiableMap(byId);
    if (sameObjects(eligible, lastEligible) && sameObjects(ineligible, lastIneligible)) {
      return;
    }
    Snapshot previous = picker.snapshot;
    picker.snapshot = new Snapshot(selectable(live, liveSick), Snapshot.table(byObject, previous), false);
    if (closed) {
      // close() ran on another thread meanwhile; its CLOSED snapshot must be the last one.
      picker.snapshot = Snapshot.CLOSED;
      return;
    }
    scheduler.apply(eligible, ineligible);
    lastEligible = eligible;
    lastIneligible = ineligible;
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
