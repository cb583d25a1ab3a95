package io.github.lb4j.micrometer;

import static io.github.lb4j.micrometer.PoolMetricsTest.backends;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.NanoClock;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.Lease;
import io.github.lb4j.pool.Outcome;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * gRFC A78's weighted round robin counters on a pool whose weights come from load reports (gRFC
 * A58): driven by an injected clock through the blackout period, a usable state and expiry.
 */
class WrrMetricsTest {

  private static final String[] NAMES = {"grpc.lb.wrr.rr_fallback", "grpc.lb.wrr.endpoint_weight_not_yet_usable",
      "grpc.lb.wrr.endpoint_weight_stale"};

  private static long[] read(MeterRegistry r) {
    long[] out = new long[NAMES.length];
    for (int i = 0; i < NAMES.length; i++) {
      out[i] = (long) RequiredSearch.in(r).name(NAMES[i]).tags("pool", "api").functionCounter().count();
    }
    return out;
  }

  /** The counts added since {@code before}: fallbacks, not yet usable, stale. */
  private static long[] since(long[] before, MeterRegistry r) {
    long[] now = read(r);
    return new long[] {now[0] - before[0], now[1] - before[1], now[2] - before[2]};
  }

  private static void pickOnce(BackendPool pool) {
    Lease l = pool.pick(1);
    assertThat(l.isGranted()).isTrue();
    l.complete(Outcome.SUCCESS, 1_000);
  }

  @Test
  void eachWeightRecomputation_countsFallbacks_unusableAndStaleWeights() {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    NanoClock clock = now::get;
    MeterRegistry registry = new SimpleMeterRegistry();
    PoolMetrics metrics = PoolMetrics.create("api");
    try (BackendPool pool = BackendPool.builder().scheduler("weighted-round-robin-adaptive").clock(clock)
        .listener(metrics).backends(backends(3)).build()) {
      metrics.observe(pool).bindTo(registry);
      long[] start = read(registry);

      // b0 and b1 report; one update period on, both are still within the 10 s blackout, b2 has no report.
      pool.reportLoad("b0", 100, 0, 0.5, 0);
      pool.reportLoad("b1", 100, 0, 0.25, 0);
      now.addAndGet(Duration.ofSeconds(1).toNanos());
      pickOnce(pool);
      assertThat(since(start, registry)).containsExactly(1, 3, 0);

      // Past the blackout with fresh reports: two usable weights, weighted picks; b2 still has none.
      now.addAndGet(Duration.ofSeconds(10).toNanos());
      pool.reportLoad("b0", 100, 0, 0.5, 0);
      pool.reportLoad("b1", 100, 0, 0.25, 0);
      long[] usable = read(registry);
      pickOnce(pool);
      assertThat(since(usable, registry)).containsExactly(0, 1, 0);

      // No report for longer than the 3 min expiration: b0 and b1 are stale, back to round robin.
      now.addAndGet(Duration.ofMinutes(3).toNanos());
      long[] expired = read(registry);
      pickOnce(pool);
      assertThat(since(expired, registry)).containsExactly(1, 1, 2);
    }
  }

  @Test
  void aSchedulerWithoutLoadReports_hasNoWrrCounters() {
    MeterRegistry registry = new SimpleMeterRegistry();
    PoolMetrics metrics = PoolMetrics.create("api");
    try (BackendPool pool = BackendPool.builder().scheduler("weighted-round-robin").listener(metrics).backends(backends(3)).build()) {
      metrics.observe(pool).bindTo(registry);
      assertThat(registry.find("grpc.lb.wrr.rr_fallback").meters()).isEmpty();
      assertThat(pool.weightUpdates()).isNull();
    }
  }
}
