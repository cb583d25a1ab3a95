package io.github.lb4j.algorithms;

import org.jspecify.annotations.Nullable;

/**
 * One period of a weighted round robin, read at a shared turn counter: the backend of turn t is
 * {@link #at(long) at(t)}. Over every period of W = sum(w_i / g) consecutive turns (g the gcd of
 * the weights) backend i gets exactly w_i / g turns, whatever n and the weights.
 *
 * <p>Two representations:
 * <ul>
 *   <li><b>classic</b>: the period precomputed turn by turn by the algorithm's published loop
 *       (IPVS wrr, nginx smooth), kept while {@code n * W <= 2^22}, so small pools follow their
 *       source exactly and the build stays bounded by a constant;
 *   <li><b>golden-ratio stride</b>, beyond that: backend i owns the positions [P_i, P_i + w_i / g)
 *       of a line of length W (prefix sums in update order), and turn t reads position (t * s) mod
 *       W with the step s coprime to W nearest W / phi. Since gcd(s, W) = 1 the walk visits each
 *       position exactly once per period (exact shares); since s / W is close to the golden ratio,
 *       the visits of any interval are spread evenly along the period, as Fibonacci hashing
 *       spreads keys (D. E. Knuth, TAOCP vol. 3, 6.4; the three-distance theorem, V. T. Sós 1958),
 *       so each backend's turns come at gaps near W / w_i, without bursts. The owner of a position
 *       is found through an index of the top bits of the position and a binary search within one
 *       bucket: O(1) expected, O(log n) at worst. The build is O(n): the weighted round robins of
 *       earlier releases either flattened weights (1,000 backends of weight 1..100 gave weights 1 to
 *       4 equal turns) or cost O(n^2) to build.
 * </ul>
 *
 * <p>Immutable after construction; any thread may call {@link #at}; it never allocates or blocks.
 */
final class WeightedSchedule {

  /** The largest n x period for which the classic period is precomputed. */
  static final long CLASSIC_LIMIT = 1L << 22;

  /** At most 2^20 backends, so that a period (below 65,535 x 2^20) fits 36 bits. */
  static final int MAX_BACKENDS = 1 << 20;

  private static final double INVERSE_PHI = 0.6180339887498949;
  private static final long QUOTIENT_BOUND = 5;
  private static final long STEP_CANDIDATES = 4096;

  private final int @Nullable [] classic;
  private final long period;
  private final long step;
  private final long step24;
  private final long[] prefix;
  private final int[] start;
  private final int shift;

  private WeightedSchedule(int @Nullable [] classic, long period, long step, long[] prefix, int[] start, int shift) {
    this.classic = classic;
    this.period = period;
    this.step = step;
    this.step24 = (step << 24) % Math.max(1, period);
    this.prefix = prefix;
    this.start = start;
    this.shift = shift;
  }

  /** Whether the classic period was precomputed. */
  boolean isClassic() {
    return classic != null;
  }

  /** The turns of one period, W. */
  long period() {
    return period;
  }

  /**
   * Builds the schedule of positive {@code weights}: the classic period from {@code classic} when
   * n x W is within {@link #CLASSIC_LIMIT}, else the golden-ratio stride. O(n) plus the bounded
   * classic build.
   */
  static WeightedSchedule of(int[] weights, Classic classic, Work work) {
    int n = weights.length;
    if (n > MAX_BACKENDS) {
      throw new IllegalArgumentException("weighted round robin supports at most " + MAX_BACKENDS + " backends, was " + n);
    }
    long g = 0;
    for (int w : weights) {
      g = Hashing.gcd(w, g);
    }
    long[] units = new long[n];
    long period = 0;
    for (int i = 0; i < n; i++) {
      units[i] = weights[i] / g;
      period += units[i];
    }
    work.add(2L * n);
    if ((double) n * period <= CLASSIC_LIMIT) {
      int[] seq = classic.period(units);
      work.add((long) n * period);
      return new WeightedSchedule(seq, period, 0, new long[0], new int[0], 0);
    }
    long[] prefix = new long[n + 1];
    for (int i = 0; i < n; i++) {
      prefix[i + 1] = prefix[i] + units[i];
    }
    // About 2n buckets of 2^shift positions each.
    int bits = 64 - Long.numberOfLeadingZeros(period - 1);
    int bucketBits = 64 - Long.numberOfLeadingZeros(2L * n);
    int shift = Math.max(0, bits - bucketBits);
    int buckets = (int) ((period - 1) >>> shift) + 1;
    int[] start = new int[buckets + 1];
    int owner = 0;
    for (int b = 0; b < buckets; b++) {
      long first = (long) b << shift;
      while (prefix[owner + 1] <= first) {
        owner++;
      }
      start[b] = owner;
    }
    start[buckets] = n - 1;
    work.add(2L * n + buckets);
    long step = coprimeStep(period);
    return new WeightedSchedule(null, period, step, prefix, start, shift);
  }

  /**
   * The step s near period / phi with gcd(s, period) = 1 whose continued fraction s / period has
   * the smallest partial quotients: the largest partial quotient bounds how unevenly the walk
   * visits an interval at every scale up to the period (H. Niederreiter, "Random Number
   * Generation and Quasi-Monte Carlo Methods", SIAM 1992, Theorem 5.17), and period / phi itself
   * only matches the golden ratio's quotients of 1 up to about sqrt(period). Candidates are tried
   * outward from period / phi and the first with quotients of at most {@link #QUOTIENT_BOUND}
   * wins (S. K. Zaremba conjectured one exists for every period with bound 5; J. Bourgain and A.
   * Kontorovich, Annals of Math. 2014, proved it for almost all); after {@link #STEP_CANDIDATES}
   * tries the best seen is kept. O(STEP_CANDIDATES log period) at most.
   */
  static long coprimeStep(long period) {
    if (period <= 2) {
      return period - 1;
    }
    long s = Math.max(1, Math.round(period * INVERSE_PHI));
    long best = 1;
    long bestQuotient = Long.MAX_VALUE;
    for (long d = 0; d < STEP_CANDIDATES; d++) {
      for (long c = s + d, k = 0; k < 2; k++, c = s - d) {
        if (c < 1 || c >= period || (k == 1 && d == 0)) {
          continue;
        }
        long q = largestQuotient(c, period);
        if (q < bestQuotient) {
          best = c;
          bestQuotient = q;
        }
        if (q <= QUOTIENT_BOUND) {
          return c;
        }
      }
    }
    return best;
  }

  /** The largest partial quotient of the continued fraction of s / period; MAX_VALUE when not coprime. */
  static long largestQuotient(long s, long period) {
    long a = period;
    long b = s;
    long max = 0;
    while (b != 0) {
      long q = a / b;
      max = Math.max(max, q);
      long r = a - q * b;
      a = b;
      b = r;
    }
    return a == 1 ? max : Long.MAX_VALUE;
  }

  /** The backend index of turn {@code turn} (any non-negative value). */
  int at(long turn) {
    int[] seq = classic;
    if (seq != null) {
      return seq[(int) (turn % seq.length)];
    }
    long k = turn % period;
    // (k * step) mod period without overflow: k < 2^36 splits into 12 high and 24 low bits.
    long position = ((k >>> 24) * step24 + (k & 0xFF_FFFFL) * step) % period;
    return owner(position);
  }

  /** The backend whose positions contain {@code position}. */
  int owner(long position) {
    int b = (int) (position >>> shift);
    int lo = start[b];
    int hi = start[b + 1];
    long[] p = prefix;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (p[mid] <= position) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** Precomputes one classic period of the given weights (positive, gcd 1). */
  interface Classic {
    int[] period(long[] units);
  }
}
