package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Maglev consistent hashing (D. E. Eisenbud et al., "Maglev: A Fast and Reliable Software Network
 * Load Balancer", NSDI 2016, §3.4, Pseudocode 1). Each backend has a permutation of the M table
 * slots given by offset = h1(id) mod M and skip = h2(id) mod (M - 1) + 1; backends take turns
 * claiming their next free preferred slot until the table is full. M must be prime so that every
 * skip visits every slot. With equal weights every backend owns floor(M/N) or ceil(M/N) slots, and
 * removing one of N backends moves close to 1/N of the keys.
 *
 * Weights follow Envoy's weighted Maglev
 * (source/extensions/load_balancing_policies/maglev/maglev_lb.cc): in round r a
 * backend of weight w takes a turn when r * w reaches its target, which then grows by the largest
 * weight, so it claims slots in proportion to its weight.
 *
 * select hashes the flow (option hash-key, default five-tuple, as Katran) and reads one slot: O(1).
 * Options: table-size (prime, default 65537), hash-key, hash-balance-factor (bounded loads: an
 * over-loaded backend's slot passes the flow to the next slot's backend, see BoundedLoads). This
 * is the L4 default of lb4j because instances with the same seed and set agree (DESIGN.md).
 */
final class MaglevScheduler extends AbstractScheduler<int[]> {

  static final int DEFAULT_TABLE_SIZE = 65_537;

  private final int tableSize;
  private final HashKey key;
  private final BoundedLoads bounded;

  MaglevScheduler(SchedulerConfig config, Options options) {
    super("maglev", config, SlowStart.NONE);
    this.tableSize = options.integer("table-size", DEFAULT_TABLE_SIZE, 2, 1 << 28);
    if (!isPrime(tableSize)) {
      throw options.bad("table-size", Integer.toString(tableSize), "must be a prime number (for example 65537 or 655373)");
    }
    this.key = options.hashKey("hash-key", HashKey.FIVE_TUPLE);
    this.bounded = BoundedLoads.fromOptions(options);
  }

  static boolean isPrime(int m) {
    if (m < 2) {
      return false;
    }
    for (int d = 2; (long) d * d <= m; d++) {
      if (m % d == 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  boolean usesClock() {
    return bounded.enabled();
  }

  @Override
  int[] build(Backend[] backends, int[] weights) {
    if (backends.length > tableSize) {
      throw new IllegalArgumentException("maglev: " + backends.length + " backends do not fit a table of " + tableSize
          + " slots; set option table-size to a prime of at least 100 x the backends (for example 655373 or 5000011)");
    }
    return populate(backends, weights, tableSize, seed, work);
  }

  /** NSDI'16 Pseudocode 1 with Envoy's weighted turns: entry[slot] = backend index. */
  static int[] populate(Backend[] backends, int[] weights, int m, long seed) {
    return populate(backends, weights, m, seed, new Work());
  }

  /**
   * NSDI'16 Pseudocode 1 with Envoy's weighted turns. Envoy scans every backend in every round
   * and lets backend i take a turn when round * w_i reaches its target, which then grows by the
   * largest weight: about M * maxWeight / meanWeight steps, fine for even weights but O(M n) when
   * a few heavy backends make most rounds scans in which light ones wait. For such weights each
   * backend's next turn is computed instead (turn k comes at round max(previous + 1, ceil(k *
   * maxWeight / w_i))) and a heap keyed by (round, index) yields the turns in exactly Envoy's
   * order: O(M log n). Whichever is cheaper for the weights at hand runs; both give the same
   * table, plus the walks to free slots.
   */
  static int[] populate(Backend[] backends, int[] weights, int m, long seed, Work work) {
    int n = backends.length;
    int[] next = new int[n];
    int[] skip = new int[n];
    int maxWeight = 0;
    long sum = 0;
    for (int i = 0; i < n; i++) {
      long h = Hashing.ofId(backends[i].id(), seed);
      long h1 = io.github.lb4j.api.FlowHash.mix64(h ^ 0x4D41_474C_4556_0001L);
      long h2 = io.github.lb4j.api.FlowHash.mix64(h ^ 0x4D41_474C_4556_0002L);
      next[i] = (int) Long.remainderUnsigned(h1, m);
      skip[i] = (int) Long.remainderUnsigned(h2, m - 1) + 1;
      maxWeight = Math.max(maxWeight, weights[i]);
      sum += weights[i];
    }
    work.add(2L * n);
    int[] entry = new int[m];
    java.util.Arrays.fill(entry, -1);
    int logN = 64 - Long.numberOfLeadingZeros(n);
    // A round scan costs n steps and fills sum / maxWeight slots; a heap turn costs about 3 log n.
    double scanSteps = (double) m * maxWeight * n / sum;
    double heapSteps = 3.0 * m * (1 + logN);
    long walked = scanSteps <= heapSteps
        ? scanTurns(weights, m, maxWeight, next, skip, entry, work)
        : heapTurns(weights, m, maxWeight, next, skip, entry, work);
    work.add(walked);
    return entry;
  }

  /** Envoy's rounds, every backend scanned in each. Returns the steps of the walks to free slots. */
  private static long scanTurns(int[] weights, int m, int maxWeight, int[] next, int[] skip, int[] entry, Work work) {
    int n = weights.length;
    long[] target = new long[n];
    long walked = 0;
    long scanned = 0;
    int filled = 0;
    for (long round = 1; filled < m; round++) {
      scanned += n;
      for (int i = 0; i < n && filled < m; i++) {
        if (round * weights[i] < target[i]) {
          continue;
        }
        target[i] += maxWeight;
        int c = next[i];
        while (entry[c] >= 0) {
          c += skip[i];
          if (c >= m) {
            c -= m;
          }
          walked++;
        }
        entry[c] = i;
        c += skip[i];
        next[i] = c >= m ? c - m : c;
        filled++;
      }
    }
    work.add(scanned);
    return walked;
  }

  /** The same turns from a heap of (round, index). Returns the steps of the walks to free slots. */
  private static long heapTurns(int[] weights, int m, int maxWeight, int[] next, int[] skip, int[] entry, Work work) {
    int n = weights.length;
    long[] turns = new long[n];
    // Every backend's first turn is in round 1; a sorted array is a heap.
    long[] heap = new long[n];
    for (int i = 0; i < n; i++) {
      heap[i] = (1L << INDEX_BITS) | i;
    }
    long walked = 0;
    for (int filled = 0; filled < m; filled++) {
      long top = heap[0];
      int i = (int) (top & INDEX_MASK);
      long round = top >>> INDEX_BITS;
      int c = next[i];
      while (entry[c] >= 0) {
        c += skip[i];
        if (c >= m) {
          c -= m;
        }
        walked++;
      }
      entry[c] = i;
      c += skip[i];
      next[i] = c >= m ? c - m : c;
      long k = ++turns[i];
      long due = Math.max(round + 1, (k * maxWeight + weights[i] - 1) / weights[i]);
      siftDown(heap, n, (due << INDEX_BITS) | i);
    }
    work.add((long) m * (1 + (64 - Long.numberOfLeadingZeros(n))));
    return walked;
  }

  private static final int INDEX_BITS = 28;
  private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;

  /** Replaces the top of a binary min-heap and restores the heap order. */
  private static void siftDown(long[] heap, int size, long value) {
    int i = 0;
    for (;;) {
      int child = 2 * i + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && heap[child + 1] < heap[child]) {
        child++;
      }
      if (heap[child] >= value) {
        break;
      }
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = value;
  }

  @Override
  int choose(Pool<int[]> pool, FlowKey flow, long now, boolean ramping) {
    int[] entry = pool.table;
    int slot = Hashing.reduce(key.hash(flow, seed), entry.length);
    int first = entry[slot];
    if (!bounded.enabled() || bounded.admits(pool, first, now)) {
      return first;
    }
    for (int step = 1; step < entry.length; step++) {
      slot = slot + 1 == entry.length ? 0 : slot + 1;
      int candidate = entry[slot];
      if (candidate != first && bounded.admits(pool, candidate, now)) {
        return candidate;
      }
    }
    return first;
  }
}
