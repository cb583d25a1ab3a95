package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The circuit breaker's striped count never exceeds its limit and never loses capacity. */
class StripedGaugeTest {

  @Property(tries = 200)
  void anyStripeAlone_canTakeTheWholeLimit_andNotOneMore(@ForAll @IntRange(min = 1, max = 3000) int limit,
      @ForAll @IntRange(min = 0, max = 3) int stripeBits, @ForAll @IntRange(min = 0, max = 7) int stripeSeed) {
    int stripes = 1 << stripeBits;
    int stripe = stripeSeed & (stripes - 1);
    StripedGauge g = new StripedGauge(stripes, limit);
    for (int i = 0; i < limit; i++) {
      assertThat(g.tryAcquire(stripe)).isTrue();
    }
    assertThat(g.tryAcquire(stripe)).isFalse();
    assertThat(g.tryAcquire((stripe + 1) & (stripes - 1))).isFalse();
    assertThat(g.sum()).isEqualTo(limit);
    for (int i = 0; i < limit; i++) {
      assertThat(g.release(stripe)).isTrue();
    }
    assertThat(g.release(stripe)).isFalse();
    assertThat(g.sum()).isZero();
    // Capacity came back: another stripe can take all of it now.
    int other = (stripe + 1) & (stripes - 1);
    for (int i = 0; i < limit; i++) {
      assertThat(g.tryAcquire(other)).isTrue();
    }
    assertThat(g.tryAcquire(stripe)).isFalse();
  }

  @Property(tries = 200)
  void randomAcquiresAndReleases_keepTheExactCount(@ForAll @IntRange(min = 1, max = 200) int limit,
      @ForAll @IntRange(min = 0, max = 3) int stripeBits, @ForAll long seed) {
    int stripes = 1 << stripeBits;
    StripedGauge g = new StripedGauge(stripes, limit);
    int[] held = new int[stripes];
    SplittableRandom random = new SplittableRandom(seed);
    for (int step = 0; step < 2000; step++) {
      int s = random.nextInt(stripes);
      int total = 0;
      for (int h : held) {
        total += h;
      }
      if (random.nextBoolean()) {
        boolean ok = g.tryAcquire(s);
        // Alone (no race), a refusal means the limit is reached: spare capacity is always found.
        assertThat(ok).isEqualTo(total < limit);
        held[s] += ok ? 1 : 0;
        total += ok ? 1 : 0;
      } else if (held[s] > 0) {
        assertThat(g.release(s)).isTrue();
        held[s]--;
        total--;
      }
      assertThat(g.sum()).isEqualTo(total);
    }
  }

  @Test
  void unlimited_neverRefuses() {
    StripedGauge g = new StripedGauge(4, StripedGauge.UNLIMITED);
    for (int i = 0; i < 100_000; i++) {
      assertThat(g.tryAcquire(i & 3)).isTrue();
    }
    assertThat(g.sum()).isEqualTo(100_000);
  }

  @Test
  void threadsRacingForTheLastUnits_getExactlyTheLimit() throws Exception {
    int limit = 1000;
    for (int round = 0; round < 20; round++) {
      StripedGauge g = new StripedGauge(4, limit);
      AtomicInteger granted = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int stripe = t;
        Thread th = new Thread(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            return;
          }
          // Churn a little, then grab until refused many times in a row.
          for (int i = 0; i < 5000; i++) {
            if (g.tryAcquire(stripe)) {
              g.release(stripe);
            }
          }
          int misses = 0;
          while (misses < 1000) {
            if (g.tryAcquire(stripe)) {
              granted.incrementAndGet();
              misses = 0;
            } else {
              misses++;
            }
          }
        });
        threads.add(th);
        th.start();
      }
      start.countDown();
      for (Thread th : threads) {
        th.join();
      }
      assertThat(granted.get()).isEqualTo(limit);
      assertThat(g.sum()).isEqualTo(limit);
    }
  }
}
