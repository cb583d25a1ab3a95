package io.github.lb4j.benchmarks.pool;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.Lease;
import io.github.lb4j.pool.Outcome;
import io.github.lb4j.pool.PickStatus;
import io.github.lb4j.pool.Subset;
import io.github.lb4j.pool.SubsetFallback;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What do priority levels, zones and subsets add to one request in a {@link BackendPool}? The same
 * 100 backends (weights 1..4, three zones, labels {@code version=v1|v2}) and the same pick-and-complete
 * as {@link BackendPoolBenchmark}, with the pool routing:
 * <ul>
 *   <li>{@code flat}: the peer, no routing (every backend at priority 0, no zone feature): the pool's
 *       one scheduler, as before routing existed;
 *   <li>{@code priorities}: 60 backends at priority 0 with 25 of them down (health 58 % x 1.4 = 81 %),
 *       40 at priority 1: each pick draws its level;
 *   <li>{@code locality-weighted}: zones weighted 1 : 2 : 3, then the zone's scheduler;
 *   <li>{@code zone-aware}: the local zone holds 20 % of the backends for 40 % of the callers, so 50 %
 *       of picks stay local and the rest spill by residual capacity;
 *   <li>{@code subset}: picks ask for {@code version=v2} (half the backends), fallback any endpoint.
 * </ul>
 * Every variant balances over a group of its backends with the named scheduler; the difference to
 * {@code flat} is the route's draw (a random or key-derived 64-bit value, one modulo, a short scan).
 * Must allocate nothing: run with {@code -prof gc}.
 *
 * <pre>lb-benchmarks/bench PoolRoutingBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PoolRoutingBenchmark {

  static final int KEYS = 4096;
  static final int MASK = KEYS - 1;
  static final long LATENCY_NANOS = 1_000_000L;

  /** The registry name of the algorithm. */
  @Param({"round-robin", "maglev"})
  public String algorithm;

  /** How the pool routes; {@code flat} is the peer. */
  @Param({"flat", "priorities", "locality-weighted", "zone-aware", "subset"})
  public String routing;

  private BackendPool pool;
  private Subset subset;
  private boolean withSubset;

  /** One thread's precomputed request keys. */
  @State(Scope.Thread)
  public static class Keys {
    final long[] keys = new long[KEYS];
    int i;

    /** Fills the keys from the thread's id. */
    @Setup
    public void setUp() {
      SplittableRandom random = new SplittableRandom(Thread.currentThread().threadId());
      for (int k = 0; k < KEYS; k++) {
        keys[k] = random.nextLong();
      }
    }
  }

  /** Builds the pool and checks that its picks spread as the variant says. */
  @Setup
  public void setUp() {
    List<Backend> set = new ArrayList<>();
    List<Backend> base = BackendPoolBenchmark.backends(100);
    for (int i = 0; i < base.size(); i++) {
      Backend b = base.get(i).withLabel("version", i % 2 == 0 ? "v1" : "v2");
      if (routing.equals("priorities")) {
        b = b.withPriority(i < 60 ? 0 : 1);
      } else if (routing.equals("zone-aware")) {
        b = b.withZone(i < 20 ? "z0" : i < 60 ? "z1" : "z2");
      } else {
        b = b.withZone("z" + (i % 3));
      }
      set.add(b);
    }
    BackendPool.Builder builder = BackendPool.builder().scheduler(algorithm).seed(BackendPoolBenchmark.SEED)
        .circuitBreaker(Integer.MAX_VALUE, Integer.MAX_VALUE).backends(set);
    switch (routing) {
      case "locality-weighted":
        builder.localityWeightedBalancing(Map.of("z0", 1, "z1", 2, "z2", 3));
        break;
      case "zone-aware":
        builder.zoneAwareRouting("z0", Map.of("z0", 40, "z1", 40, "z2", 20));
        break;
      case "subset":
        builder.subsets(List.of(Set.of("version")), SubsetFallback.ANY_ENDPOINT, Map.of());
        break;
      default:
        break;
    }
    pool = builder.build();
    subset = Subset.of("version", "v2");
    withSubset = routing.equals("subset");
    if (routing.equals("priorities")) {
      for (int i = 0; i < 25; i++) {
        pool.reportHealth("b" + i, HealthState.DOWN, "benchmark").join();
      }
    }
    Set<String> seen = new HashSet<>();
    int local = 0;
    for (long key = 0; key < KEYS; key++) {
      Lease lease = pick(key);
      if (lease.status() != PickStatus.OK) {
        throw new IllegalStateException(routing + ": pick " + key + " answered " + lease.status());
      }
      seen.add(lease.backendId());
      Backend b = lease.backend();
      local += routing.equals("zone-aware") && "z0".equals(b.zone()) ? 1 : 0;
      if (routing.equals("subset") && !"v2".equals(b.label("version"))) {
        throw new IllegalStateException("subset pick outside the subset: " + b);
      }
      lease.complete(Outcome.SUCCESS, LATENCY_NANOS);
    }
    boolean p1 = seen.stream().anyMatch(id -> Integer.parseInt(id.substring(1)) >= 60);
    if (routing.equals("priorities") && !p1 || routing.equals("zone-aware") && Math.abs(local - KEYS / 2) > KEYS / 10) {
      throw new IllegalStateException(routing + " does not route as described: " + seen.size() + " backends, " + local + " local");
    }
  }

  private Lease pick(long key) {
    return withSubset ? pool.pick(key, subset) : pool.pick(key);
  }

  /** Checks that every request was completed. */
  @TearDown(Level.Trial)
  public void tearDown() {
    long pending = 0;
    for (BackendLoad l : pool.sessions().all()) {
      pending += l.pending();
    }
    pool.close();
    if (pending != 0) {
      throw new IllegalStateException("after the run: " + pending + " pending");
    }
  }

  /**
   * One request through the routed pool on one thread.
   *
   * @param keys this thread's keys
   * @return whether the completion counted
   */
  @Benchmark
  @Threads(1)
  public boolean pickComplete(Keys keys) {
    long key = keys.keys[keys.i++ & MASK];
    Lease lease = withSubset ? pool.pick(key, subset) : pool.pick(key);
    return lease.complete(Outcome.SUCCESS, LATENCY_NANOS);
  }
}
