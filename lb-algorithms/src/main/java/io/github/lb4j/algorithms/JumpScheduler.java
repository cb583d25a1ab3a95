package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Jump consistent hash (J. Lamping and E. Veach, "A Fast, Minimal Memory, Consistent Hash
 * Algorithm", 2014, Figure 1), bit-exact to the published code and therefore equal to Guava's
 * Hashing.consistentHash: no table at all, O(ln n) per select, and growing from n to n + 1 buckets
 * moves exactly the keys that land in the new bucket, about 1/(n + 1) of them.
 *
 * Buckets are the selectable backends in update order, so jump suits sets that grow and shrink at
 * the end (storage shards); removing a backend from the middle renumbers the ones after it. Weights
 * other than 0 are not honoured (one bucket per backend). Option hash-key (default five-tuple).
 */
final class JumpScheduler extends AbstractScheduler<Object> {

  private final HashKey key;

  JumpScheduler(SchedulerConfig config, Options options) {
    super("jump", config, SlowStart.NONE);
    this.key = options.hashKey("hash-key", HashKey.FIVE_TUPLE);
  }

  @Override
  Object build(Backend[] backends, int[] weights) {
    return NO_TABLE;
  }

  /** Lamping and Veach's Figure 1, with C's unsigned shift written as {@code >>>}. */
  static int jump(long key, int buckets) {
    long b = -1;
    long j = 0;
    while (j < buckets) {
      b = j;
      key = key * 2862933555777941757L + 1;
      j = (long) ((b + 1) * ((double) (1L << 31) / (double) ((key >>> 33) + 1)));
    }
    return (int) b;
  }

  @Override
  int choose(Pool<Object> pool, FlowKey flow, long now, boolean ramping) {
    return jump(key.hash(flow, seed), pool.size());
  }
}
