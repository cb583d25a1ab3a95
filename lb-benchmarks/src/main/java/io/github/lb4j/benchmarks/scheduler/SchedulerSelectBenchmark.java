package io.github.lb4j.benchmarks.scheduler;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.LoadReportReceiver;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.api.SessionCounters;
import java.util.List;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long does {@code Scheduler.select} take, per flow, for every algorithm at 10, 100 and 1000
 * backends, on one thread and on two threads sharing one scheduler (the shared counters of round
 * robin and the random stream are contended there)? Must allocate nothing: run with {@code -prof
 * gc}. Backends carry weights 1..4 and a few open sessions each, so the load-aware algorithms
 * compare real numbers; {@code weighted-round-robin-adaptive} gets a load report per backend
 * (100 qps at a utilization of 0.2 to 1.0, no blackout) so it runs its weighted stride; {@code
 * aperture} is instance 3 of 10 clients. At more than 65,537 backends Maglev uses a table of
 * 1,000,003 slots.
 *
 * <pre>lb-benchmarks/bench SchedulerSelectBenchmark -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SchedulerSelectBenchmark {

  /** The registry name of the algorithm. */
  @Param({"round-robin", "weighted-round-robin", "smooth-weighted-round-robin", "least-connections",
      "weighted-least-connections", "shortest-expected-delay", "never-queue", "source-hash",
      "four-tuple-hash", "random", "weighted-random", "power-of-two-choices", "peak-ewma", "least-request",
      "weighted-round-robin-adaptive", "aperture", "maglev", "ring-hash", "jump", "rendezvous", "failover",
      "locality-least-connections"})
  public String algorithm;

  /** The number of backends. */
  @Param({"10", "100", "1000"})
  public int backends;

  private Scheduler scheduler;

  /** The keys one benchmark thread reads, precomputed. */
  @State(Scope.Thread)
  public static class Keys {
    final FlowKey[] flows = SchedulerFixtures.flows(Thread.currentThread().threadId());
    int i;
  }

  /** Builds the scheduler and checks it holds what the parameters say. */
  @Setup
  public void setUp() {
    SessionCounters counters = SessionCounters.create();
    SchedulerConfig.Builder config = SchedulerFixtures.config(algorithm, backends).sessions(counters);
    if (algorithm.equals("aperture")) {
      config.option("instance-index", "3").option("instance-count", "10");
    }
    scheduler = Schedulers.create(algorithm, config.build());
    List<Backend> set = SchedulerFixtures.backends(backends, "b", 1);
    SplittableRandom random = new SplittableRandom(2);
    for (Backend b : set) {
      for (int k = random.nextInt(8); k > 0; k--) {
        counters.of(b).sessionOpened();
      }
      counters.of(b).recordLatency(1_000_000L + random.nextInt(1_000_000));
    }
    scheduler.update(set);
    if (scheduler instanceof LoadReportReceiver) {
      for (Backend b : set) {
        ((LoadReportReceiver) scheduler).reportLoad(b.id(), 100, 0, 0.2 + 0.8 * random.nextDouble(), 0);
      }
      // The next update computes the weights from the reports at once.
      scheduler.update(set);
    }
    if (!scheduler.name().equals(algorithm) || scheduler.backends().size() != backends) {
      throw new IllegalStateException("built " + scheduler + " for " + algorithm + "/" + backends);
    }
    for (FlowKey f : SchedulerFixtures.flows(3)) {
      if (scheduler.select(f) == null) {
        throw new IllegalStateException(algorithm + " selected none");
      }
    }
  }

  /**
   * One select on one thread.
   *
   * @param keys this thread's keys
   * @return the chosen backend
   */
  @Benchmark
  @Threads(1)
  public Backend select(Keys keys) {
    return scheduler.select(keys.flows[keys.i++ & SchedulerFixtures.MASK]);
  }

  /**
   * One select on each of two threads sharing the scheduler.
   *
   * @param keys this thread's keys
   * @return the chosen backend
   */
  @Benchmark
  @Threads(2)
  public Backend selectTwoThreads(Keys keys) {
    return scheduler.select(keys.flows[keys.i++ & SchedulerFixtures.MASK]);
  }
}
