package io.github.lb4j.benchmarks.pool;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.Lease;
import io.github.lb4j.pool.Outcome;
import io.github.lb4j.pool.PickStatus;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * What does one request cost in a {@link BackendPool}: {@code pick(requestKey)} then {@code
 * complete(SUCCESS, latency)}, with 100 backends of weights 1..4, on one thread and on two threads
 * sharing the pool? The pool runs its defaults (retry budget, no per-backend limit, no health
 * inputs, latency tracking as the algorithm needs it: off for these three) with Envoy's circuit
 * breaker of 1024 requests, the default, or without it ({@code circuitBreaker=off}: two atomic
 * operations fewer per request). Must allocate nothing: run with {@code -prof gc}.
 *
 * <p>The peer, {@code handWritten}, is the leanest glue a caller writes without the pool, as the
 * README's "Two planes" snippet does: {@code Scheduler.select} on a reusable flow key for the
 * request key, {@code SessionCounters.of(backend)} for the counters, {@code requestStarted()} and
 * the clock-free {@code requestFinished(true)}: the same choice and the same counting, without the
 * circuit breaker, limits, lease and striping.
 *
 * <p>The floor, {@code bare}, is what an SDK writes with nothing but a scheduler: {@code select}
 * and one {@link AtomicInteger} of requests in flight per backend (found by the backend object's
 * identity), incremented and decremented, with no outcome counts and no failure detection. Its
 * in-flight counts never reach the scheduler, so for {@code power-of-two-choices} its choices are
 * blind (the two draws compare equal loads): it is the cost floor, not the same choice.
 *
 * <p>Working set: 100 backends (their counters, a few kilobytes), the scheduler's table (Maglev:
 * 65,537 ints, 256 KiB) and 4,096 request keys per thread (32 KiB), all in L2.
 *
 * <pre>lb-benchmarks/bench BackendPoolBenchmark -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BackendPoolBenchmark {

  static final int KEYS = 4096;
  static final int MASK = KEYS - 1;
  static final long SEED = 0x5EED_B001L;
  static final long LATENCY_NANOS = 1_000_000L;

  /** The registry name of the algorithm. */
  @Param({"round-robin", "power-of-two-choices", "maglev"})
  public String algorithm;

  /** The number of backends. */
  @Param({"100"})
  public int backends;

  /** The pool's request limit: {@code 1024} (Envoy's default, the pool's) or {@code off}. */
  @Param({"1024", "off"})
  public String circuitBreaker;

  private BackendPool pool;
  private Scheduler scheduler;
  private SessionCounters counters;
  private Map<Backend, AtomicInteger> inFlight;

  /** One thread's precomputed request keys and its reusable flow key (for the peer). */
  @State(Scope.Thread)
  public static class Keys {
    final long[] keys = new long[KEYS];
    final MutableFlowKey flow = new MutableFlowKey();
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

  /** Builds the pool and the peer's scheduler and checks they hold what the parameters say. */
  @Setup
  public void setUp() {
    List<Backend> set = backends(backends);
    int limit = circuitBreaker.equals("off") ? Integer.MAX_VALUE : Integer.parseInt(circuitBreaker);
    pool = BackendPool.builder().scheduler(algorithm).seed(SEED).circuitBreaker(limit, limit).backends(set).build();
    counters = SessionCounters.create();
    scheduler = Schedulers.create(algorithm, SchedulerConfig.builder().sessions(counters).seed(SEED).build());
    scheduler.update(set);
    if (pool.backends().size() != backends || !pool.scheduler().name().equals(algorithm)
        || scheduler.backends().size() != backends) {
      throw new IllegalStateException("built " + pool + " and " + scheduler + " for " + algorithm + "/" + backends);
    }
    inFlight = new IdentityHashMap<>();
    for (Backend b : set) {
      inFlight.put(b, new AtomicInteger());
    }
    MutableFlowKey probe = new MutableFlowKey();
    for (long key = 0; key < KEYS; key++) {
      Backend b = scheduler.select(probe.setV6(0, 0x2001_0DB8_0000_0000L, key, 0, 0x2001_0DB8_0000_0000L, key, 0));
      if (b == null || !inFlight.containsKey(b)) {
        throw new IllegalStateException(algorithm + ": select " + key + " answered " + b + ", not one of the set");
      }
    }
    for (long key = 0; key < KEYS; key++) {
      Lease lease = pool.pick(key);
      if (lease.status() != PickStatus.OK || !lease.complete(Outcome.SUCCESS, LATENCY_NANOS)) {
        throw new IllegalStateException(algorithm + ": pick " + key + " answered " + lease.status());
      }
    }
  }

  /** Checks that every request was completed: nothing in flight, nothing unmatched. */
  @TearDown(Level.Trial)
  public void tearDown() {
    long pending = 0;
    long unmatched = 0;
    for (BackendLoad l : pool.sessions().all()) {
      pending += l.pending();
      unmatched += l.unmatchedCloses();
    }
    pool.close();
    for (AtomicInteger n : inFlight.values()) {
      pending += n.get();
    }
    if (pending != 0 || unmatched != 0) {
      throw new IllegalStateException("after the run: " + pending + " pending, " + unmatched + " unmatched");
    }
  }

  /**
   * One request through the pool on one thread.
   *
   * @param keys this thread's keys
   * @return whether the completion counted
   */
  @Benchmark
  @Threads(1)
  public boolean pickComplete(Keys keys) {
    return pool.pick(keys.keys[keys.i++ & MASK]).complete(Outcome.SUCCESS, LATENCY_NANOS);
  }

  /**
   * One request through the pool on each of two threads.
   *
   * @param keys this thread's keys
   * @return whether the completion counted
   */
  @Benchmark
  @Threads(2)
  public boolean pickCompleteTwoThreads(Keys keys) {
    return pool.pick(keys.keys[keys.i++ & MASK]).complete(Outcome.SUCCESS, LATENCY_NANOS);
  }

  /**
   * The peer: the same choice and counting written by hand, on one thread.
   *
   * @param keys this thread's keys
   * @return the counters used
   */
  @Benchmark
  @Threads(1)
  public BackendLoad handWritten(Keys keys) {
    return byHand(keys);
  }

  /**
   * The peer on each of two threads sharing the scheduler.
   *
   * @param keys this thread's keys
   * @return the counters used
   */
  @Benchmark
  @Threads(2)
  public BackendLoad handWrittenTwoThreads(Keys keys) {
    return byHand(keys);
  }

  /**
   * The floor: select and a bare in-flight counter per backend, on one thread.
   *
   * @param keys this thread's keys
   * @return the counter used
   */
  @Benchmark
  @Threads(1)
  public AtomicInteger bare(Keys keys) {
    return bareSelect(keys);
  }

  /**
   * The floor on each of two threads sharing the scheduler.
   *
   * @param keys this thread's keys
   * @return the counter used
   */
  @Benchmark
  @Threads(2)
  public AtomicInteger bareTwoThreads(Keys keys) {
    return bareSelect(keys);
  }

  private AtomicInteger bareSelect(Keys keys) {
    long key = keys.keys[keys.i++ & MASK];
    Backend b = scheduler.select(keys.flow.setV6(0, 0x2001_0DB8_0000_0000L, key, 0, 0x2001_0DB8_0000_0000L, key, 0));
    AtomicInteger n = inFlight.get(b);
    n.incrementAndGet();
    n.decrementAndGet();
    return n;
  }

  private BackendLoad byHand(Keys keys) {
    long key = keys.keys[keys.i++ & MASK];
    Backend b = scheduler.select(keys.flow.setV6(0, 0x2001_0DB8_0000_0000L, key, 0, 0x2001_0DB8_0000_0000L, key, 0));
    BackendLoad load = counters.of(b);
    load.requestStarted();
    load.requestFinished(true);
    return load;
  }

  /** {@code n} backends at 2001:db8::/32 with weights 1..4. */
  static List<Backend> backends(int n) {
    SplittableRandom random = new SplittableRandom(1);
    List<Backend> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] a = new byte[16];
      a[0] = 0x20;
      a[1] = 0x01;
      a[2] = 0x0d;
      a[3] = (byte) 0xb8;
      a[14] = (byte) (i >>> 8);
      a[15] = (byte) i;
      try {
        out.add(Backend.of("b" + i, InetAddress.getByAddress(a), 8080).withWeight(1 + random.nextInt(4)));
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }
}
