package io.github.lb4j.pool;

import io.github.lb4j.api.MutableFlowKey;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which stripe of the data-plane state a thread uses (its cell of the pool-wide gauges, its
 * scheduler instance for round robin and random draws), and the thread's reusable flow key.
 *
 * <p>Each thread gets a number the first time it picks, from one counter shared by every pool: the
 * first threads of a process take stripes 0, 1, 2, ... in turn, so up to {@code stripes} threads
 * never share one, whatever their ids (thread ids are not dense: JMH's two workers, or an
 * executor's, can both be even). The number and the flow key live in one thread-local, read once
 * per pick.
 *
 * <p>Any thread; never blocks; allocates only on a thread's first call.
 */
final class Stripes {

  /** More stripes than this only spread cache lines that a few cores already keep apart. */
  static final int MAX = 64;

  private static final AtomicInteger NEXT = new AtomicInteger();
  private static final ThreadLocal<Local> LOCAL = ThreadLocal.withInitial(Local::new);

  /** One thread's stripe number and reusable flow key. Confined to its thread. */
  static final class Local {
    final int probe = NEXT.getAndIncrement();
    final MutableFlowKey flow = new MutableFlowKey();
    /** The thread's SplitMix64 state for route draws (a pool's priority and zone choice). */
    private long random = System.nanoTime() ^ ((long) probe << 32);

    /** The next value of the thread's random stream (SplitMix64, Steele et al. 2014). */
    long nextRandom() {
      long z = (random += 0x9E37_79B9_7F4A_7C15L);
      z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
      return z ^ (z >>> 31);
    }
  }

  private Stripes() {}

  /** The default: the number of processors rounded up to a power of two, at most 8. */
  static int defaultCount() {
    return Math.min(8, ceilPowerOfTwo(Runtime.getRuntime().availableProcessors()));
  }

  static int ceilPowerOfTwo(int n) {
    return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
  }

  static Local local() {
    return LOCAL.get();
  }

  /** The calling thread's stripe for {@code mask = count - 1}. */
  static int current(int mask) {
    return LOCAL.get().probe & mask;
  }
}
