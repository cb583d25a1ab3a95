package io.github.lb4j.benchmarks.scheduler;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.Schedulers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long does the control plane take to publish a new membership, for every algorithm, at
 * 1,000, 20,000 and 100,000 backends (weights 1..4)? Each call alternates between two sets that
 * differ in one backend, so every call validates the set, resolves the counters, dates the ramps
 * and rebuilds the algorithm's table (the counters of both sets are registered in setup, so
 * registration is measured apart, by {@code SessionCounterRegistrationBenchmark}). {@code
 * round-robin}, which builds no table, is the baseline every ratio is taken against. At 100,000
 * backends Maglev uses a table of 1,000,003 slots (it needs more slots than backends).
 *
 * <pre>lb-benchmarks/bench SchedulerUpdateBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class SchedulerUpdateBenchmark {

  /** The registry name of the algorithm. */
  @Param({"round-robin", "weighted-round-robin", "smooth-weighted-round-robin", "least-connections",
      "weighted-least-connections", "shortest-expected-delay", "never-queue", "source-hash",
      "four-tuple-hash", "random", "weighted-random", "power-of-two-choices", "peak-ewma", "least-request",
      "weighted-round-robin-adaptive", "aperture", "maglev", "ring-hash", "jump", "rendezvous", "failover",
      "locality-least-connections"})
  public String algorithm;

  /** The number of backends. */
  @Param({"1000", "20000", "100000"})
  public int backends;

  private Scheduler scheduler;
  private List<Backend> one;
  private List<Backend> other;
  private boolean flip;

  /** Builds the two sets and checks both publish every backend. */
  @Setup
  public void setUp() {
    scheduler = Schedulers.create(algorithm, SchedulerFixtures.config(algorithm, backends).build());
    one = SchedulerFixtures.backends(backends, "b", 1);
    other = new ArrayList<>(one);
    other.set(backends / 2, SchedulerFixtures.backends(1, "x", 2).get(0));
    scheduler.update(other);
    scheduler.update(one);
    if (!scheduler.name().equals(algorithm) || scheduler.backends().size() != backends) {
      throw new IllegalStateException("built " + scheduler + " with " + scheduler.backends().size() + " backends, wanted " + backends);
    }
  }

  /**
   * One update with a table rebuild.
   *
   * @return the scheduler, so the work is not dead code
   */
  @Benchmark
  public Scheduler update() {
    flip = !flip;
    scheduler.update(flip ? other : one);
    return scheduler;
  }
}
