package io.github.lb4j.benchmarks.scheduler;

import io.github.lb4j.api.SessionCounters;
import java.util.concurrent.ConcurrentHashMap;
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
 * How long does registering the counters of n new backends take ({@code SessionCounters.of} for
 * each id, which allocates a {@code BackendLoad} and a handle), against the leanest honest peer:
 * putting n ids with a new object each into a {@link ConcurrentHashMap}, which is the map lb4j
 * uses for the ids? n = 1,000, 20,000 and 100,000 (20,000 took 116 ms when each registration
 * copied the handle array).
 *
 * <pre>lb-benchmarks/bench SessionCounterRegistrationBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class SessionCounterRegistrationBenchmark {

  /** The number of backends registered per call. */
  @Param({"1000", "20000", "100000"})
  public int backends;

  private String[] ids;

  /** Precomputes the ids. */
  @Setup
  public void setUp() {
    ids = new String[backends];
    for (int i = 0; i < backends; i++) {
      ids[i] = "backend-" + i;
    }
  }

  /**
   * Registers every id in new counters.
   *
   * @return the counters
   */
  @Benchmark
  public SessionCounters lb4jSessionCounters() {
    SessionCounters counters = SessionCounters.create();
    for (String id : ids) {
      counters.of(id);
    }
    if (counters.size() != backends) {
      throw new IllegalStateException("registered " + counters.size());
    }
    return counters;
  }

  /**
   * Puts every id with a new object in a new concurrent map.
   *
   * @return the map
   */
  @Benchmark
  public ConcurrentHashMap<String, Object> concurrentHashMapPeer() {
    ConcurrentHashMap<String, Object> map = new ConcurrentHashMap<>();
    for (String id : ids) {
      map.computeIfAbsent(id, k -> new Object());
    }
    return map;
  }
}
