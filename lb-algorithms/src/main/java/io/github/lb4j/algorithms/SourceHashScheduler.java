package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Static hashing (seed S3.3): the same client reaches the same backend while the set is unchanged,
 * regardless of load.
 *
 *  - source-hash: hashes the source address, as IPVS sh (ip_vs_sh.c) and nginx ip_hash;
 *  - four-tuple-hash: hashes source and destination address and port, the seed's S3.3 input.
 *
 * As in IPVS sh, the hash indexes a table in which each backend holds a number of buckets in
 * proportion to its weight (largest-remainder apportionment; the kernel instead repeats each
 * server weight times in a 256-bucket table). The table has a power of two of buckets, at least
 * 4096 and at least 128 per backend and per weight unit (weights divided by their gcd), at most
 * 2^22, so shares are exact to under 1% and select is one shift and one load.
 * A change of the set may move most clients: use maglev, ring-hash, jump or rendezvous for
 * consistency.
 */
final class SourceHashScheduler extends AbstractScheduler<int[]> {

  private final HashKey key;

  SourceHashScheduler(boolean fourTuple, SchedulerConfig config, Options options) {
    super(fourTuple ? "four-tuple-hash" : "source-hash", config, SlowStart.NONE);
    this.key = fourTuple ? HashKey.FOUR_TUPLE : HashKey.SOURCE_ADDRESS;
  }

  @Override
  int[] build(Backend[] backends, int[] weights) {
    long units = 0;
    long g = 0;
    for (int w : weights) {
      g = Hashing.gcd(w, g);
    }
    for (int w : weights) {
      units += w / g;
    }
    long wanted = Math.max(4096L, 128L * Math.max(backends.length, units));
    int size = (int) Math.min(1L << 22, Long.highestOneBit(wanted * 2 - 1));
    work.add(2L * weights.length);
    return apportion(weights, size, work);
  }

  /**
   * A table of {@code size} buckets, each backend holding a share in proportion to its weight:
   * largest-remainder apportionment (Hamilton's method) in exact integer arithmetic. The buckets
   * left after the floors go to the largest remainders, found by one sort, so the whole build is
   * O(n log n + size); handing them out by a scan per bucket cost O(n^2) (1.2 to 1.8 s at 40,000
   * backends).
   */
  static int[] apportion(int[] weights, int size, Work work) {
    int n = weights.length;
    if (n > size) {
      throw new IllegalArgumentException("a table of " + size + " buckets cannot hold " + n + " backends");
    }
    long sum = 0;
    for (int w : weights) {
      sum += w;
    }
    int[] counts = new int[n];
    // Remainder numerator (w * size mod sum, below 2^38) above the reversed index (22 bits), so an
    // ascending sort puts the largest remainder, then the lowest index, last.
    long[] order = new long[n];
    long given = 0;
    for (int i = 0; i < n; i++) {
      long exact = (long) weights[i] * size;
      counts[i] = (int) (exact / sum);
      given += counts[i];
      order[i] = ((exact % sum) << 22) | (n - 1 - i);
    }
    work.add(n);
    long left = size - given;
    if (left > 0) {
      java.util.Arrays.sort(order);
      work.sort(n);
      for (int k = 0; k < left; k++) {
        counts[n - 1 - (int) (order[n - 1 - k] & 0x3F_FFFF)]++;
      }
    }
    int[] table = new int[size];
    int k = 0;
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < counts[i]; c++) {
        table[k++] = i;
      }
    }
    work.add(size);
    return table;
  }

  @Override
  int choose(Pool<int[]> pool, FlowKey flow, long now, boolean ramping) {
    int[] table = pool.table;
    return table[(int) (key.hash(flow, seed) >>> (64 - Integer.numberOfTrailingZeros(table.length)))];
  }
}
