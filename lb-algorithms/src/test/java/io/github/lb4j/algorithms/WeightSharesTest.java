package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.SessionCounters;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every weighted algorithm gives each backend its weight share, within 1%, over 10^6 selects. */
class WeightSharesTest {

  private static final int SELECTS = 1_000_000;
  private static final int[] WEIGHTS = {1, 2, 3, 4, 10};

  @ParameterizedTest
  @ValueSource(strings = {"weighted-round-robin", "smooth-weighted-round-robin", "weighted-random",
      "power-of-two-choices", "peak-ewma", "maglev", "ring-hash", "rendezvous", "source-hash", "four-tuple-hash",
      "weighted-least-connections", "shortest-expected-delay", "least-request"})
  void selects_followWeightSharesWithinOnePercent(String name) {
    SessionCounters counters = SessionCounters.create();
    SchedulerConfig.Builder config = SchedulerConfig.builder().sessions(counters).seed(99);
    if (name.equals("ring-hash")) {
      // Envoy's default minimum of 1024 points saves memory; shares within 1% need millions of points
      // (a backend with k points owns its share to within 1/sqrt(k)).
      config.option("min-ring-size", Integer.toString(1 << 22));
    }
    Scheduler s = Fixtures.create(name, config.build());
    List<Backend> backends = Fixtures.weighted(WEIGHTS);
    s.update(backends);
    boolean loadAware = name.endsWith("least-connections") || name.equals("shortest-expected-delay");
    long[] counts = new long[WEIGHTS.length];
    MutableFlowKey flow = new MutableFlowKey();
    SplittableRandom random = new SplittableRandom(17);
    for (int i = 0; i < SELECTS; i++) {
      flow.setV6(6, 0x2001_0db8_0000_0000L, random.nextLong(), random.nextInt(65536), 0x2001_0db8_ffff_0000L, 1L, 443);
      Backend b = s.select(flow);
      int index = Integer.parseInt(b.id().substring(1));
      counts[index]++;
      if (loadAware) {
        // Sessions that stay open: the connection schedulers must then spread them by weight.
        counters.of(b).sessionOpened();
      }
    }
    int sum = 0;
    for (int w : WEIGHTS) {
      sum += w;
    }
    for (int i = 0; i < WEIGHTS.length; i++) {
      double expected = (double) WEIGHTS[i] / sum;
      double observed = (double) counts[i] / SELECTS;
      assertThat(observed / expected).as("%s backend b%d share %.5f vs %.5f", name, i, observed, expected)
          .isBetween(0.99, 1.01);
    }
  }
}
