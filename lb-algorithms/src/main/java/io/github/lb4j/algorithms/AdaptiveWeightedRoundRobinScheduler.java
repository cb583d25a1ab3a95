package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.LoadReportReceiver;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.api.SchedulerConfig;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/*
 * gRPC's weighted_round_robin (gRFC A58, "weighted_round_robin LB policy"; grpc-java
 * xds/WeightedRoundRobinLoadBalancer.java): weights come from the load the backends report
 * (LoadReportReceiver.reportLoad), not from configuration.
 *
 *  - A report sets weight = qps / (utilization + eps / qps * error-utilization-penalty), where
 *    utilization is the application utilization when positive, else the CPU utilization; reports
 *    without a positive qps and utilization are ignored.
 *  - A weight counts only after blackout-period (10 s) of reports since the backend started
 *    reporting (so one lucky early report cannot draw a flood), and stops counting after
 *    weight-expiration-period (3 min) without a report, which also restarts the blackout.
 *  - Every weight-update-period (1 s, at least 0.1 s) the weights are recomputed; a backend
 *    without a usable weight gets the mean of the others; with fewer than two usable weights the
 *    policy is plain round robin.
 *  - Picks follow gRPC's static stride scheduler: weights scaled so the largest is 65535, clamped
 *    to [0.1, 10] x the mean (so a pick scans at most about 10 candidates on average), and a shared
 *    counter walks (backend, generation) pairs, backend i being picked in generation g when
 *    (w_i * g + 32767 * i) mod 65535 >= 65535 - w_i: every backend's turns spread evenly over the
 *    generations, in proportion to its weight.
 *
 * Configured weights only drain (weight 0); the reports weigh. Time comes from the configured
 * NanoClock. The recomputation runs on whichever select finds the period elapsed (one at a time,
 * by a CAS): O(n) once per period, into the snapshot's spare buffer, so select never allocates.
 * Options: blackout-period, weight-expiration-period, weight-update-period (seconds, decimals
 * allowed), error-utilization-penalty.
 *
 * Each recomputation counts what gRFC A78 ("gRPC OTel Metrics for WRR, Pick First, and
 * XdsClient") counts per scheduler update, as grpc-go's balancer/weightedroundrobin does: a round
 * robin fallback when fewer than two weights are usable, each endpoint without a usable weight yet
 * (no report, or within the blackout period), each endpoint whose weight expired (stale).
 */
final class AdaptiveWeightedRoundRobinScheduler extends AbstractScheduler<AdaptiveWeightedRoundRobinScheduler.Table>
    implements LoadReportReceiver {

  static final int MAX_WEIGHT = 0xFFFF;
  static final double MAX_RATIO = 10;
  static final double MIN_RATIO = 0.1;
  private static final long NEVER = Long.MAX_VALUE;

  /** What one backend reported; survives snapshot swaps. Fields are racy by design, as in gRPC. */
  static final class Endpoint {
    volatile double weight;
    volatile long lastUpdated;
    volatile long nonEmptySince = NEVER;
    volatile boolean reported;
  }

  /** The endpoints of one snapshot, the current scaled weights and the spare buffer. */
  static final class Table {
    private static final VarHandle UPDATING;

    static {
      try {
        UPDATING = MethodHandles.lookup().findVarHandle(Table.class, "updating", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final Endpoint[] endpoints;
    final int[][] scaled;
    final double[] scratch;
    volatile int current;
    volatile long nextUpdate;
    @SuppressWarnings("unused")
    private volatile int updating;

    Table(Endpoint[] endpoints) {
      int n = endpoints.length;
      this.endpoints = endpoints;
      this.scaled = new int[][] {new int[n], new int[n]};
      this.scratch = new double[n];
    }

    boolean tryUpdate() {
      return UPDATING.compareAndSet(this, 0, 1);
    }

    void updated() {
      UPDATING.setRelease(this, 0);
    }
  }

  private final NanoClock clock;
  private final long blackout;
  private final long expiration;
  private final long updatePeriod;
  private final double errorPenalty;
  private final PaddedCounter turn;
  private final ConcurrentHashMap<String, Endpoint> byId = new ConcurrentHashMap<>();
  // A78's counters; recomputations are rare (once per update period), so plain atomics.
  private final AtomicLong updates = new AtomicLong();
  private final AtomicLong fallbacks = new AtomicLong();
  private final AtomicLong notYetUsable = new AtomicLong();
  private final AtomicLong stale = new AtomicLong();

  AdaptiveWeightedRoundRobinScheduler(SchedulerConfig config, Options options) {
    super("weighted-round-robin-adaptive", config, SlowStart.THINNING);
    this.clock = config.clock();
    this.blackout = options.seconds("blackout-period", 10, 0, 86_400);
    this.expiration = options.seconds("weight-expiration-period", 180, 0.001, 86_400);
    this.updatePeriod = Math.max(100_000_000L, options.seconds("weight-update-period", 1, 0, 86_400));
    this.errorPenalty = options.decimal("error-utilization-penalty", 1.0, 0.0, 1e9);
    this.turn = new PaddedCounter(FlowHash.mix64(seed ^ 0x5EED_0058_7E00_0001L) >>> 33);
  }

  @Override
  boolean usesClock() {
    return true;
  }

  @Override
  public boolean reportLoad(String backendId, double qps, double eps, double cpuUtilization, double applicationUtilization) {
    Endpoint e = byId.get(backendId);
    if (e == null) {
      return false;
    }
    double utilization = applicationUtilization > 0 ? applicationUtilization : cpuUtilization;
    if (!(utilization > 0) || !(qps > 0) || Double.isInfinite(qps) || Double.isInfinite(utilization)) {
      return true;
    }
    double penalty = eps > 0 && errorPenalty > 0 ? eps / qps * errorPenalty : 0;
    double weight = qps / (utilization + penalty);
    if (!(weight > 0) || Double.isInfinite(weight)) {
      return true;
    }
    long now = clock.nanoTime();
    if (e.nonEmptySince == NEVER) {
      e.nonEmptySince = now;
    }
    e.lastUpdated = now;
    e.weight = weight;
    e.reported = true;
    return true;
  }

  @Override
  public WeightUpdates weightUpdates() {
    return new WeightUpdates(updates.get(), fallbacks.get(), notYetUsable.get(), stale.get());
  }

  @Override
  Table build(Backend[] backends, int[] weights) {
    int n = backends.length;
    Endpoint[] endpoints = new Endpoint[n];
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < n; i++) {
      endpoints[i] = byId.computeIfAbsent(backends[i].id(), id -> new Endpoint());
      ids.add(backends[i].id());
    }
    byId.keySet().retainAll(ids);
    Table table = new Table(endpoints);
    long now = clock.nanoTime();
    recompute(table, now, 0);
    table.current = 0;
    table.nextUpdate = now + updatePeriod;
    work.add(6L * n);
    return table;
  }

  /** A58's weight of one endpoint at {@code now}: 0 while blacked out or expired (counted as A78 does). */
  private double weightAt(Endpoint e, long now) {
    if (!e.reported) {
      e.nonEmptySince = NEVER;
      notYetUsable.incrementAndGet();
      return 0;
    }
    if (now - e.lastUpdated >= expiration) {
      e.nonEmptySince = NEVER;
      stale.incrementAndGet();
      return 0;
    }
    long since = e.nonEmptySince;
    if (blackout > 0 && (since == NEVER || now - since < blackout)) {
      notYetUsable.incrementAndGet();
      return 0;
    }
    return e.weight;
  }

  /**
   * gRPC's StaticStrideScheduler construction into {@code table.scaled[into]}: weights scaled so
   * the largest is 65535 after clamping to [MIN_RATIO, MAX_RATIO] x the mean; unknown weights get
   * the mean.
   */
  private void recompute(Table table, long now, int into) {
    Endpoint[] endpoints = table.endpoints;
    double[] w = table.scratch;
    int[] out = table.scaled[into];
    int weighted = 0;
    double sum = 0;
    double max = 0;
    for (int i = 0; i < endpoints.length; i++) {
      w[i] = weightAt(endpoints[i], now);
      if (w[i] > 0) {
        weighted++;
        sum += w[i];
        max = Math.max(max, w[i]);
      }
    }
    updates.incrementAndGet();
    if (weighted < 2) {
      fallbacks.incrementAndGet();
    }
    double mean;
    if (weighted > 0) {
      mean = sum / weighted;
      max = Math.min(max, MAX_RATIO * mean);
    } else {
      mean = 1;
      max = 1;
    }
    double scale = MAX_WEIGHT / max;
    int lowerBound = (int) Math.ceil(scale * mean * MIN_RATIO);
    int meanScaled = (int) Math.round(scale * mean);
    for (int i = 0; i < endpoints.length; i++) {
      if (w[i] <= 0) {
        out[i] = meanScaled;
      } else {
        int s = (int) Math.round(scale * Math.min(w[i], max));
        out[i] = Math.max(s, lowerBound);
      }
    }
  }

  @Override
  int choose(Pool<Table> pool, FlowKey flow, long now, boolean ramping) {
    Table table = pool.table;
    if (now - table.nextUpdate >= 0 && table.tryUpdate()) {
      try {
        if (now - table.nextUpdate >= 0) {
          int spare = 1 - table.current;
          recompute(table, now, spare);
          table.current = spare;
          table.nextUpdate = now + updatePeriod;
        }
      } finally {
        table.updated();
      }
    }
    int[] weights = table.scaled[table.current];
    int n = weights.length;
    // The backend of largest scaled weight (65535) is taken in every generation, so this ends
    // within one pass over the backends; the bound only guards a buffer read across a whole
    // update period by a preempted thread.
    for (int tries = 0; tries <= n; tries++) {
      long sequence = turn.getAndIncrement() & Long.MAX_VALUE;
      int index = (int) (sequence % n);
      long generation = sequence / n;
      int weight = weights[index];
      long offset = (long) (MAX_WEIGHT / 2) * index;
      if ((weight * generation + offset) % MAX_WEIGHT >= MAX_WEIGHT - weight) {
        return index;
      }
    }
    return (int) ((turn.getAndIncrement() & Long.MAX_VALUE) % n);
  }
}
