package io.github.lb4j.benchmarks.pool;

import io.github.lb4j.pool.Outcome;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;

/**
 * {@link BackendPoolBenchmark}'s state and request paths driven in a plain loop on 1 or more
 * threads, timed with each thread's CPU clock, so that time spent descheduled on a shared machine
 * does not count. It answers the benchmark's question where the wall clock cannot: on a machine
 * with as many cores as busy threads, two threads at {@code c2} CPU ns per request each serve
 * {@code 2 * c1 / c2} times the rate of one thread at {@code c1}. What remains in {@code c2} is
 * the cost of sharing (cache lines moving between cores), which is what scaling measures, but only
 * while the threads really ran at the same time: the last figure printed is the share of the
 * wall-clock time each thread spent on a core (over both passes).
 *
 * <p>One path per JVM (each loop stays monomorphic, as in a JMH fork). Paths: {@code pool} (pick +
 * complete), {@code hand} (the benchmark's {@code handWritten} peer), {@code bare} (its {@code bare}
 * floor).
 *
 * <pre>java -cp lb-benchmarks/target/benchmarks.jar io.github.lb4j.benchmarks.pool.PoolCpuTime pool round-robin 1024 2 20000000</pre>
 */
public final class PoolCpuTime {

  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  private PoolCpuTime() {}

  /**
   * Runs one measurement and prints CPU ns per request for each thread and their mean.
   *
   * @param args path, algorithm, circuit breaker ({@code 1024} or {@code off}), threads, requests per thread
   * @throws Exception when a thread fails
   */
  public static void main(String[] args) throws Exception {
    String path = args[0];
    BackendPoolBenchmark bench = new BackendPoolBenchmark();
    bench.algorithm = args[1];
    bench.backends = 100;
    bench.circuitBreaker = args[2];
    int threads = Integer.parseInt(args[3]);
    long ops = Long.parseLong(args[4]);
    bench.setUp();
    CyclicBarrier start = new CyclicBarrier(threads);
    double[] cpu = new double[threads];
    Thread[] workers = new Thread[threads];
    Throwable[] failure = new Throwable[1];
    for (int t = 0; t < threads; t++) {
      int me = t;
      workers[t] = new Thread(() -> {
        try {
          BackendPoolBenchmark.Keys keys = new BackendPoolBenchmark.Keys();
          keys.setUp();
          run(path, bench, keys, ops);
          start.await();
          long t0 = CPU.getCurrentThreadCpuTime();
          run(path, bench, keys, ops);
          cpu[me] = (double) (CPU.getCurrentThreadCpuTime() - t0) / ops;
        } catch (Throwable e) {
          failure[0] = e;
        }
      }, "pool-cpu-" + t);
      workers[t].start();
    }
    long wall0 = System.nanoTime();
    for (Thread w : workers) {
      w.join();
    }
    // Both passes, the warm-up and the measured one, ran between wall0 and the joins.
    double wall = (double) (System.nanoTime() - wall0) / (2 * ops);
    if (failure[0] != null) {
      throw new IllegalStateException(failure[0]);
    }
    bench.tearDown();
    double sum = 0;
    StringBuilder each = new StringBuilder();
    for (double c : cpu) {
      sum += c;
      each.append(String.format(Locale.ROOT, " %.1f", c));
    }
    // Overlap: the share of the run in which the threads were on a core; near 1 only when the
    // machine gave each thread a core, the only case in which the threads contended for real.
    System.out.printf(Locale.ROOT, "%s %s breaker=%s threads=%d: %.1f CPU ns/request (each:%s), on a core %.0f%% of the time%n",
        path, bench.algorithm, bench.circuitBreaker, threads, sum / threads, each, 100 * sum / threads / wall);
  }

  private static void run(String path, BackendPoolBenchmark bench, BackendPoolBenchmark.Keys keys, long ops) {
    long sink = 0;
    switch (path) {
      case "pool":
        for (long i = 0; i < ops; i++) {
          sink += bench.pickComplete(keys) ? 1 : 0;
        }
        break;
      case "hand":
        for (long i = 0; i < ops; i++) {
          sink += bench.handWritten(keys).handle();
        }
        break;
      case "bare":
        for (long i = 0; i < ops; i++) {
          sink += bench.bare(keys).get();
        }
        break;
      default:
        throw new IllegalArgumentException("path is pool, hand or bare, not " + path);
    }
    if (sink == Long.MIN_VALUE) {
      System.out.print(Outcome.SUCCESS);
    }
  }
}
