package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.api.NoBackendPolicy;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.SessionCounters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What every lb4j scheduler shares; subclasses only precompute their table ({@link #build}) and
 * choose an index ({@link #choose}).
 *
 * <p><b>Control plane</b> ({@link #update}, one thread at a time): validates ids, drops drained
 * backends (weight 0 = IPVS quiescent: no new flows), resolves each backend's {@link BackendLoad}
 * once, decides which backends select may use (the healthy ones; all of them in Envoy's panic mode
 * when fewer than {@code panicThresholdPercent} are healthy; the unhealthy ones when none is healthy
 * and the policy is {@link NoBackendPolicy#FAIL_OPEN}), dates slow-start ramps, builds the table and
 * publishes everything as one immutable {@link Snapshot} with one volatile write (RCU).
 *
 * <p><b>Data plane</b> ({@link #select}, any thread): one volatile read of the snapshot, an
 * optional persistence lookup, the algorithm's choice, and the slow-start admission test. No
 * allocation, no lock, no throw.
 *
 * <p><b>Slow start</b> (HAProxy {@code slowstart}, Envoy slow start): a backend that joins the
 * selectable set after the first update, or returns to it from drain or ill health, ramps its weight
 * over {@link SchedulerConfig#slowStart()} by Envoy's factor {@code max(minWeightPercent,
 * (max(elapsed, 1 s) / window)^(1 / aggression))} (defaults 10% and 1.0: linear from 10%), dated
 * with the injected clock. Load-aware algorithms divide by the
 * ramped weight ({@link SlowStart#WEIGHT}); sequence and draw algorithms admit a ramping backend's
 * turn with probability equal to its share and otherwise choose again ({@link SlowStart#THINNING});
 * hashing algorithms ignore the ramp ({@link SlowStart#NONE}) because moving keys as a weight grows
 * would break the affinity they exist for.
 *
 * <p><b>Persistence</b> (IPVS persistent service): with a positive {@link
 * SchedulerConfig#persistence()} a client source address keeps its backend while it returns within
 * the timeout and the backend stays selectable, in a bounded {@link AffinityTable}.
 *
 * <p><b>Seed</b>: every hash and every random draw derives from one seed: {@link
 * SchedulerConfig#seed()} when set, so instances with equal configuration and seed, fed the same
 * updates and flows in the same order, choose identically (balancers behind ECMP); otherwise a
 * random seed drawn for this instance, so that restarted clients do not all start their round
 * robin on the same backend (grpc-java #4462) and nobody can precompute the flows a hash sends to
 * one backend.
 *
 * @param <T> the algorithm's precomputed per-snapshot table
 */
abstract class AbstractScheduler<T> implements Scheduler {

  /** How an algorithm honours slow start. */
  enum SlowStart {
    /** The algorithm reads {@link Pool#effectiveWeight} itself. */
    WEIGHT,
    /** The base class thins a ramping backend's turns. */
    THINNING,
    /** Slow start does not apply (hashing: keys must not move as weights ramp). */
    NONE
  }

  private static final int THINNING_ATTEMPTS = 8;

  /** The published state: the caller's eligible list, and the pool select uses (null: none). */
  static final class Snapshot<T> {
    final List<Backend> eligible;
    final @Nullable Pool<T> pool;

    Snapshot(List<Backend> eligible, @Nullable Pool<T> pool) {
      this.eligible = eligible;
      this.pool = pool;
    }
  }

  private final String name;
  private final SessionCounters sessions;
  private final NanoClock clock;
  private final SlowStart slowStart;
  private final long window;
  private final double minRamp;
  private final double aggression;
  private final NoBackendPolicy noBackendPolicy;
  private final int panicThresholdPercent;
  private final @Nullable AffinityTable persistence;
  /** Written by update before the snapshot's volatile write, read by select after reading it. */
  private boolean needsClock;
  /** The seed every hash and draw derives from. */
  final long seed;
  /** One counter for turns and draws, kept across snapshot swaps, started at a seeded position. */
  final PaddedCounter sequence;

  /** The steps of the last update, counted for the test of update cost. Control plane only. */
  final Work work = new Work();

  /** The table of algorithms that precompute nothing. */
  static final Object NO_TABLE = new Object();

  private volatile Snapshot<T> snapshot;

  // Control plane only.
  private final Map<String, Long> joined = new HashMap<>();
  private boolean updatedOnce;

  AbstractScheduler(String name, SchedulerConfig config, SlowStart slowStart) {
    this.name = name;
    this.sessions = config.sessions();
    this.clock = config.clock();
    this.seed = config.seed().isPresent() ? config.seed().getAsLong() : Hashing.randomSeed();
    this.slowStart = slowStart;
    long w = config.slowStart().toNanos();
    this.window = slowStart == SlowStart.NONE ? 0L : w;
    this.minRamp = config.slowStartMinWeightPercent() / 100.0;
    this.aggression = config.slowStartAggression();
    this.noBackendPolicy = config.noBackendPolicy();
    this.panicThresholdPercent = config.panicThresholdPercent();
    long timeout = config.persistence().isZero() ? 0L : config.persistence().toNanos();
    this.persistence = timeout > 0 ? new AffinityTable(config.persistenceCapacity(), timeout, clock) : null;
    this.sequence = new PaddedCounter(FlowHash.mix64(seed ^ 0x5EED_5E00_0000_0001L) >>> 1);
    this.snapshot = new Snapshot<>(List.of(), null);
  }

  /** Precomputes the algorithm's table for a non-empty pool. Control plane; may allocate. */
  abstract T build(Backend[] backends, int[] weights);

  /**
   * Chooses an index in the non-empty {@code pool}. Any thread; must not allocate, block or throw.
   *
   * @param now the clock reading when persistence, slow start or {@link #usesClock()} need it, else 0
   * @param ramping whether some backend is ramping at {@code now}
   */
  abstract int choose(Pool<T> pool, FlowKey flow, long now, boolean ramping);

  /** Whether {@link #choose} needs the clock even without slow start or persistence. */
  boolean usesClock() {
    return false;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final @Nullable Backend select(FlowKey flow) {
    Pool<T> pool = snapshot.pool;
    if (pool == null) {
      return null;
    }
    // needsClock is read after the volatile read of snapshot, so it is the value update wrote.
    long now = needsClock ? clock.nanoTime() : 0L;
    AffinityTable table = persistence;
    if (table == null) {
      return pool.backends[pick(pool, flow, now)];
    }
    long client = FlowHash.sourceAddress(flow, seed);
    int remembered = pool.indexOfHandle(table.lookup(client, now));
    if (remembered >= 0) {
      return pool.backends[remembered];
    }
    int i = pick(pool, flow, now);
    table.record(client, pool.loads[i].handle(), now);
    return pool.backends[i];
  }

  private int pick(Pool<T> pool, FlowKey flow, long now) {
    boolean ramping = pool.rampingAt(now);
    int i = choose(pool, flow, now, ramping);
    if (!ramping || slowStart != SlowStart.THINNING) {
      return i;
    }
    for (int attempt = 1; attempt < THINNING_ATTEMPTS; attempt++) {
      long share = pool.rampShare(i, now);
      if (share >= Pool.FULL || (nextRandom() >>> (64 - Pool.WEIGHT_SHIFT)) < share) {
        return i;
      }
      i = choose(pool, flow, now, true);
    }
    return i;
  }

  /** The next value of the shared SplitMix64 stream. Any thread; lock-free. */
  final long nextRandom() {
    return FlowHash.mix64(sequence.getAndAdd(Hashing.GOLDEN) ^ seed);
  }

  @Override
  public final void update(List<Backend> eligible, List<Backend> ineligible) {
    work.reset();
    List<Backend> healthy = List.copyOf(eligible);
    List<Backend> sick = List.copyOf(ineligible);
    // Validation, serving lists, pool arrays, ramps and the handle map: a few passes over n.
    work.add(8L * (healthy.size() + sick.size()));
    Set<String> ids = new HashSet<>();
    for (Backend b : healthy) {
      if (!ids.add(b.id())) {
        throw new IllegalArgumentException("scheduler " + name + ": backend id " + b.id() + " appears twice among the eligible backends");
      }
    }
    Set<String> sickIds = new HashSet<>();
    for (Backend b : sick) {
      if (ids.contains(b.id())) {
        throw new IllegalArgumentException("scheduler " + name + ": backend id " + b.id() + " is both eligible and ineligible");
      }
      if (!sickIds.add(b.id())) {
        throw new IllegalArgumentException("scheduler " + name + ": backend id " + b.id() + " appears twice among the ineligible backends");
      }
    }
    List<Backend> live = serving(healthy);
    List<Backend> liveSick = serving(sick);
    List<Backend> chosen;
    boolean degraded;
    int total = live.size() + liveSick.size();
    if (!live.isEmpty() && (long) live.size() * 100 >= (long) panicThresholdPercent * total) {
      chosen = live;
      degraded = false;
    } else if (!live.isEmpty() || noBackendPolicy == NoBackendPolicy.FAIL_OPEN || panicThresholdPercent > 0) {
      // Envoy's panic mode (too few healthy, zero included: use all) or fail-open (none healthy).
      chosen = new ArrayList<>(live);
      chosen.addAll(liveSick);
      degraded = !liveSick.isEmpty();
    } else {
      chosen = List.of();
      degraded = false;
    }
    long now = clock.nanoTime();
    Pool<T> pool = chosen.isEmpty() ? null : pool(chosen, live, now, degraded);
    if (pool == null) {
      joined.clear();
    }
    updatedOnce = true;
    needsClock = persistence != null || window > 0 || usesClock();
    snapshot = new Snapshot<>(healthy, pool);
  }

  private static List<Backend> serving(List<Backend> backends) {
    List<Backend> out = new ArrayList<>(backends.size());
    for (Backend b : backends) {
      if (!b.isDraining()) {
        out.add(b);
      }
    }
    return out;
  }

  private Pool<T> pool(List<Backend> chosen, List<Backend> live, long now, boolean degraded) {
    int n = chosen.size();
    Backend[] backends = chosen.toArray(new Backend[0]);
    BackendLoad[] loads = new BackendLoad[n];
    int[] weights = new int[n];
    long[] rampStart = new long[n];
    Set<String> liveIds = new HashSet<>();
    for (Backend b : live) {
      liveIds.add(b.id());
    }
    Map<String, Long> stillJoined = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Backend b = backends[i];
      loads[i] = sessions.of(b);
      weights[i] = b.weight();
      rampStart[i] = Pool.NO_RAMP;
      if (window > 0 && liveIds.contains(b.id())) {
        Long since = joined.get(b.id());
        long start = since != null ? since : (updatedOnce ? now : now - window);
        stillJoined.put(b.id(), start);
        if (now - start < window) {
          rampStart[i] = start;
        }
      }
    }
    joined.clear();
    joined.putAll(stillJoined);
    T table = build(backends, weights);
    return new Pool<>(backends, loads, weights, new Pool.Ramp(rampStart, window, minRamp, aggression), degraded, table);
  }

  @Override
  public final List<Backend> backends() {
    return snapshot.eligible;
  }

  @Override
  public final SessionCounters sessions() {
    return sessions;
  }

  /** The current pool, for tests and benchmarks that check what was built. */
  final @Nullable Pool<T> pool() {
    return snapshot.pool;
  }

  @Override
  public String toString() {
    Pool<T> p = snapshot.pool;
    return name + "{backends=" + (p == null ? 0 : p.size()) + (p != null && p.degraded ? ", degraded" : "") + "}";
  }
}
