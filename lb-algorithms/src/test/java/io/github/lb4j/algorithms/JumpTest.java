package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.hash.Hashing;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** Jump consistent hash against Lamping and Veach 2014 and Guava's implementation of it. */
class JumpTest {

  @Property(tries = 2000)
  void jump_equalsGuavaConsistentHash(@ForAll long key, @ForAll @IntRange(min = 1, max = 100_000) int buckets) {
    assertThat(JumpScheduler.jump(key, buckets)).isEqualTo(Hashing.consistentHash(key, buckets));
  }

  @Property(tries = 500)
  void jump_staysInRange(@ForAll long key, @ForAll @IntRange(min = 1, max = Integer.MAX_VALUE) int buckets) {
    assertThat(JumpScheduler.jump(key, buckets)).isBetween(0, buckets - 1);
  }

  @Test
  void growingToNPlusOneBuckets_movesAboutOneInNPlusOneKeys_allToTheNewBucket() {
    SplittableRandom random = new SplittableRandom(2014);
    int keys = 200_000;
    for (int n : new int[] {1, 9, 99, 999}) {
      int moved = 0;
      for (int k = 0; k < keys; k++) {
        long key = random.nextLong();
        int before = JumpScheduler.jump(key, n);
        int after = JumpScheduler.jump(key, n + 1);
        if (before != after) {
          moved++;
          assertThat(after).isEqualTo(n);
        }
      }
      double expected = 1.0 / (n + 1);
      assertThat((double) moved / keys).as("n=%d", n).isCloseTo(expected, org.assertj.core.data.Offset.offset(Math.max(0.002, expected * 0.1)));
    }
  }
}
