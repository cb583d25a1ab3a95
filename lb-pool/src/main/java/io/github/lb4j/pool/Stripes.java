package io.github.lb4j.pool;

/**
 * Which stripe of the data-plane state a thread uses: the round-robin turn and random stream of its
 * scheduler instance, its cell of the pool-wide gauges. Threads map to stripes by their id, so
 * threads created one after another (an executor's workers, event loops) use different stripes.
 *
 * <p>Stateless; any thread; never allocates or blocks.
 */
final class Stripes {

  /** More stripes than this only spread cache lines that a few cores already keep apart. */
  static final int MAX = 64;

  private Stripes() {}

  /** The default: the number of processors rounded up to a power of two, at most 8. */
  static int defaultCount() {
    return Math.min(8, ceilPowerOfTwo(Runtime.getRuntime().availableProcessors()));
  }

  static int ceilPowerOfTwo(int n) {
    return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
  }

  /** The calling thread's stripe for {@code mask = count - 1}. */
  @SuppressWarnings("deprecation") // Thread.threadId() is Java 19+; getId() is the same value on 17.
  static int current(int mask) {
    return (int) Thread.currentThread().getId() & mask;
  }
}
