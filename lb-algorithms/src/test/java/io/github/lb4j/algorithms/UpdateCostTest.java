package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every update is O(n log n) or better: the steps an update counts ({@link Work}: loop iterations,
 * sort comparisons, slots filled) grow by at most 8 log(8n) / log(n) (times 1.5 for slack) when n
 * grows eightfold, from 1,000 to 64,000 backends with weights up to 65,535. An O(n^2) step (the
 * session counters' array copy, source-hash's remainder scan, the smooth round robin's simulation)
 * grows 64-fold and fails. Counting, not timing, so a loaded machine cannot make it flaky.
 */
class UpdateCostTest {

  static List<String> names() {
    return new ArrayList<>(Schedulers.descriptions().keySet());
  }

  private static List<Backend> backends(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Backend> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] a = new byte[16];
      a[0] = 0x20;
      a[1] = 0x01;
      a[2] = 0x0d;
      a[3] = (byte) 0xb8;
      a[13] = (byte) (i >>> 16);
      a[14] = (byte) (i >>> 8);
      a[15] = (byte) i;
      try {
        out.add(Backend.of("backend-" + i, InetAddress.getByAddress(a), 80).withWeight(1 + random.nextInt(65_535)));
      } catch (UnknownHostException e) {
        throw new AssertionError(e);
      }
    }
    return out;
  }

  private static long steps(String name, int n) {
    SchedulerConfig.Builder config = SchedulerConfig.builder().seed(1);
    if (name.equals("ring-hash")) {
      // Weights up to 65,535 fill Envoy's maximum of 2^23 points at every n: the cost is then that
      // constant, and a smaller maximum checks the same scaling in a fraction of the time.
      config.option("max-ring-size", Integer.toString(1 << 20));
    }
    Scheduler s = Schedulers.create(name, config.build());
    List<Backend> first = backends(n, 1);
    s.update(first);
    // A second update that replaces a quarter of the backends, as membership churn does.
    List<Backend> second = new ArrayList<>(first);
    List<Backend> fresh = backends(n / 4, 2);
    for (int i = 0; i < fresh.size(); i++) {
      Backend b = fresh.get(i);
      second.set(4 * i, Backend.of("new-" + i, b.address(), 80).withWeight(b.weight()));
    }
    s.update(second);
    assertThat(s.select(Fixtures.flow(1, 1))).isNotNull();
    return ((AbstractScheduler<?>) s).work.steps();
  }

  @ParameterizedTest
  @MethodSource("names")
  void updateSteps_growAsNLogN(String name) {
    int[] sizes = {1_000, 8_000, 64_000};
    long[] steps = new long[sizes.length];
    for (int k = 0; k < sizes.length; k++) {
      steps[k] = steps(name, sizes[k]);
    }
    for (int k = 1; k < sizes.length; k++) {
      double allowed = 8.0 * Math.log(sizes[k]) / Math.log(sizes[k - 1]) * 1.5;
      assertThat((double) steps[k] / steps[k - 1])
          .as("%s: %d steps at n=%d, %d at n=%d", name, steps[k - 1], sizes[k - 1], steps[k], sizes[k])
          .isLessThanOrEqualTo(allowed);
    }
  }
}
