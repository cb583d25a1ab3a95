package io.github.lb4j.benchmarks.scheduler;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
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
 * How long does the control plane take to publish a new membership for the table-building
 * hashes: a full {@code update} of Maglev (M = 65537) and of ring hash (Envoy's default ring
 * sizes) at 100 and 1000 backends? Each call alternates between two sets that differ in one
 * backend, so every call rebuilds the table.
 *
 * <pre>lb-benchmarks/bench SchedulerBuildBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SchedulerBuildBenchmark {

  /** The table-building algorithm. */
  @Param({"maglev", "ring-hash"})
  public String algorithm;

  /** The number of backends. */
  @Param({"100", "1000"})
  public int backends;

  private Scheduler scheduler;
  private List<Backend> one;
  private List<Backend> other;
  private boolean flip;

  /** Builds the two sets and checks both publish. */
  @Setup
  public void setUp() {
    scheduler = Schedulers.create(algorithm, SchedulerConfig.builder().seed(SchedulerFixtures.SEED).build());
    one = SchedulerFixtures.backends(backends, "b", 1);
    other = new java.util.ArrayList<>(one);
    other.set(backends / 2, SchedulerFixtures.backends(1, "x", 2).get(0));
    scheduler.update(other);
    scheduler.update(one);
    if (scheduler.backends().size() != backends) {
      throw new IllegalStateException("built " + scheduler.backends().size() + " backends, wanted " + backends);
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
