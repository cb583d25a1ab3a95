package io.github.lb4j.benchmarks.scheduler;

import com.google.common.hash.Hashing;
import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
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
 * Is lb4j's {@code jump} scheduler as fast as Guava's {@code Hashing.consistentHash}, the same
 * Lamping-Veach algorithm? Both sides do the same work per flow: the five-tuple hash, the jump,
 * and the array load of the backend; setup checks they choose the same backend for every key.
 *
 * <pre>lb-benchmarks/bench JumpVersusGuavaBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class JumpVersusGuavaBenchmark {

  /** The number of backends (buckets). */
  @Param({"10", "100", "1000"})
  public int backends;

  private final FlowKey[] flows = SchedulerFixtures.flows(5);
  private Scheduler jump;
  private Backend[] array;
  private int i;

  /** Builds both sides and checks they agree on every key. */
  @Setup
  public void setUp() {
    List<Backend> set = SchedulerFixtures.backends(backends, "b", 1);
    jump = Schedulers.create("jump", SchedulerConfig.builder().seed(SchedulerFixtures.SEED).build());
    jump.update(set);
    array = set.toArray(new Backend[0]);
    for (FlowKey f : flows) {
      if (jump.select(f) != guava(f)) {
        throw new IllegalStateException("jump and Guava disagree on " + f);
      }
    }
  }

  private Backend guava(FlowKey f) {
    return array[Hashing.consistentHash(FlowHash.fiveTuple(f, SchedulerFixtures.SEED), array.length)];
  }

  /** @return the backend lb4j's jump scheduler selects */
  @Benchmark
  public Backend lb4jJump() {
    return jump.select(flows[i++ & SchedulerFixtures.MASK]);
  }

  /** @return the backend Guava's consistentHash selects for the same hash */
  @Benchmark
  public Backend guavaConsistentHash() {
    return guava(flows[i++ & SchedulerFixtures.MASK]);
  }
}
