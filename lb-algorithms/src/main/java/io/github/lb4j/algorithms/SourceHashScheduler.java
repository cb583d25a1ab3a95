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
    return apportion(weights, size);
  }

  /** A table of {@code size} buckets, each backend holding a share in proportion to its weight. */
  static int[] apportion(int[] weights, int size) {
    int n = weights.length;
    long sum = 0;
    for (int w : weights) {
      sum += w;
    }
    int[] counts = new int[n];
    double[] remainder = new double[n];
    int given = 0;
    for (int i = 0; i < n; i++) {
      double exact = (double) weights[i] * size / sum;
      counts[i] = (int) exact;
      remainder[i] = exact - counts[i];
      given += counts[i];
    }
    while (given < size) {
      int best = 0;
      for (int i = 1; i < n; i++) {
        if (remainder[i] > remainder[best]) {
          best = i;
        }
      }
      counts[best]++;
      remainder[best] = -1.0;
      given++;
    }
    int[] table = new int[size];
    int k = 0;
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < counts[i]; c++) {
        table[k++] = i;
      }
    }
    return table;
  }

  @Override
  int choose(Pool<int[]> pool, FlowKey flow, long now, boolean ramping) {
    int[] table = pool.table;
    return table[(int) (key.hash(flow, seed) >>> (64 - Integer.numberOfTrailingZeros(table.length)))];
  }
}
