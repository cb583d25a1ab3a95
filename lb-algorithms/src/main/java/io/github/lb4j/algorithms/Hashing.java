package io.github.lb4j.algorithms;

import io.github.lb4j.api.FlowHash;

/**
 * Hash helpers shared by the schedulers, all built on {@link FlowHash#mix64}, so every instance with
 * the same seed computes the same values in every JVM. Static; any thread; never allocates.
 */
final class Hashing {

  /** The SplitMix64 increment (the golden ratio in 64-bit fixed point). */
  static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

  private static final java.security.SecureRandom SEEDS = new java.security.SecureRandom();

  private Hashing() {}

  /**
   * A seed for a scheduler created without one: unpredictable, so that no two instances share a
   * round-robin start or a random stream and no one can precompute the flows a hash sends to one
   * backend. Control plane; may read the platform's entropy source (never blocks on Linux's
   * {@code /dev/urandom}).
   */
  static long randomSeed() {
    return SEEDS.nextLong();
  }

  /**
   * Hashes a backend id: its UTF-16 code units, four per 64-bit word, then its length. Not {@link
   * String#hashCode()}, whose 32 bits cluster for ids such as {@code web-1}, {@code web-2}.
   */
  static long ofId(String id, long seed) {
    long h = FlowHash.mix64(seed ^ 0x5EED_1D00_0000_0001L);
    int n = id.length();
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      long word = ((long) id.charAt(i) << 48) | ((long) id.charAt(i + 1) << 32)
          | ((long) id.charAt(i + 2) << 16) | id.charAt(i + 3);
      h = FlowHash.mix64(h ^ word);
    }
    long tail = 0;
    for (; i < n; i++) {
      tail = (tail << 16) | id.charAt(i);
    }
    h = FlowHash.mix64(h ^ tail);
    return FlowHash.mix64(h ^ n);
  }

  /** Maps a uniform 64-bit hash onto {@code [0, n)} without division (Lemire's multiply-shift). */
  static int reduce(long hash, int n) {
    return (int) (((hash >>> 32) * n) >>> 32);
  }

  /** A uniform double in the open interval (0, 1) from a 64-bit hash. */
  static double unitOpen(long hash) {
    return ((hash >>> 11) + 0.5) * 0x1.0p-53;
  }

  static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }
}
