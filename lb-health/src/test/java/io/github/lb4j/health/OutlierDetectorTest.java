package io.github.lb4j.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.SessionCounters;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Passive outlier detection with Envoy/gRPC semantics, on a clock and scheduler driven by hand. */
class OutlierDetectorTest {

  final ManualScheduler sched = new ManualScheduler();
  final List<String> transitions = new ArrayList<>();
  final List<Long> transitionTimes = new ArrayList<>();

  static Backend backend(int i) {
    return Backend.of("b" + i, InetAddress.getLoopbackAddress(), 10_000 + i);
  }

  OutlierDetector.Builder builder() {
    return OutlierDetector.builder().scheduler(sched).clock(sched).random(new SplittableRandom(7))
        .listener((b, from, to, cause) -> {
          transitions.add(b.id() + ":" + from + "->" + to + (cause.healthy() ? "" : ":" + cause.reason()));
          transitionTimes.add(sched.nanoTime());
        });
  }

  OutlierDetector detector(int hosts, OutlierDetector.Builder b) {
    OutlierDetector d = b.build();
    for (int i = 0; i < hosts; i++) {
      d.add(backend(i));
    }
    return d;
  }

  void fail(OutlierDetector d, String id, int n) {
    for (int i = 0; i < n; i++) {
      d.recordOutcome(id, false);
    }
    sched.runDue();
  }

  static long seconds(long n) {
    return n * 1_000_000_000L;
  }

  @Test
  void fiveConsecutiveFailures_ejectAtOnce_aSuccessInBetweenDoesNot() {
    try (OutlierDetector d = detector(20, builder())) {
      fail(d, "b1", 4);
      d.recordOutcome("b1", true);
      fail(d, "b1", 4);
      assertThat(d.isEjected("b1")).isFalse();
      fail(d, "b1", 1);
      assertThat(d.isEjected("b1")).isTrue();
      assertThat(transitions).containsExactly("b1:UP->DOWN:" + HealthReason.OUTLIER_EJECTED);
      assertThat(d.recordOutcome("nobody", false)).isFalse();
    }
  }

  @Test
  void ejection_endsAtFirstIntervalTickAfterBaseTime() {
    try (OutlierDetector d = detector(20, builder())) {
      long t0 = sched.nanoTime();
      sched.advance(Duration.ofSeconds(1));
      fail(d, "b1", 5);
      sched.advance(Duration.ofSeconds(38));
      assertThat(d.isEjected("b1")).as("29 s after the ejection, at the 30 s tick").isTrue();
      sched.advance(Duration.ofSeconds(1));
      assertThat(d.isEjected("b1")).isFalse();
      assertThat(transitions).containsExactly("b1:UP->DOWN:OUTLIER_EJECTED", "b1:DOWN->UP");
      assertThat(transitionTimes.get(1) - t0).isEqualTo(seconds(40));
    }
  }

  @Test
  void repeatedEjections_growByBase_andAreCappedAtMax() {
    try (OutlierDetector d = detector(20, builder().maxEjectionTime(Duration.ofSeconds(70)))) {
      List<Long> durations = new ArrayList<>();
      for (int round = 0; round < 4; round++) {
        fail(d, "b1", 5);
        long at = sched.nanoTime();
        while (d.isEjected("b1")) {
          sched.advance(Duration.ofSeconds(1));
        }
        durations.add((sched.nanoTime() - at) / 1_000_000_000L);
      }
      // Ejected right at a tick each time (the return happens at a tick): 30, 60, then capped at 70
      // (returned at the first 10 s tick at or after the time).
      assertThat(durations.get(0)).isBetween(30L, 40L);
      assertThat(durations.get(1)).isBetween(60L, 70L);
      assertThat(durations.get(2)).isBetween(70L, 80L);
      assertThat(durations.get(3)).isBetween(70L, 80L);
      assertThat(d.ejectionMultiplier("b1")).isEqualTo(4);
    }
  }

  @Test
  void multiplier_shrinksByOnePerIntervalNotEjected() {
    try (OutlierDetector d = detector(20, builder())) {
      fail(d, "b1", 5);
      sched.advance(Duration.ofSeconds(30));
      assertThat(d.isEjected("b1")).as("returned at the 30 s tick, multiplier kept").isFalse();
      assertThat(d.ejectionMultiplier("b1")).isEqualTo(1);
      sched.advance(Duration.ofSeconds(10));
      assertThat(d.ejectionMultiplier("b1")).isZero();
    }
  }

  @Test
  void maxEjectionPercent_capsEjections_butOneHostCanAlwaysGo() {
    try (OutlierDetector d = detector(20, builder())) {
      for (int i = 0; i < 5; i++) {
        fail(d, "b" + i, 5);
      }
      long ejected = java.util.stream.IntStream.range(0, 20).filter(i -> d.isEjected("b" + i)).count();
      assertThat(ejected).as("10 %% of 20").isEqualTo(2);
    }
    try (OutlierDetector d = detector(3, builder())) {
      fail(d, "b0", 5);
      fail(d, "b1", 5);
      assertThat(d.isEjected("b0")).isTrue();
      assertThat(d.isEjected("b1")).isFalse();
    }
  }

  @Test
  void successRate_ejectsTheOutlier_onlyWithEnoughHostsAndVolume() {
    try (OutlierDetector d = detector(6, builder())) {
      for (int i = 0; i < 6; i++) {
        for (int n = 0; n < 200; n++) {
          d.recordOutcome("b" + i, i != 3 || n % 2 == 0);
          if (n % 2 == 0) {
            d.recordOutcome("b" + i, true);
          }
        }
      }
      sched.advance(Duration.ofSeconds(10));
      assertThat(d.isEjected("b3")).isTrue();
      assertThat(transitions).hasSize(1);
    }
    transitions.clear();
    try (OutlierDetector d = detector(6, builder())) {
      // Only four hosts reach the request volume: below the minimum of five, no analysis.
      for (int i = 0; i < 6; i++) {
        for (int n = 0; n < (i < 4 ? 150 : 50); n++) {
          d.recordOutcome("b" + i, i != 3 || n % 2 == 0);
          if (n % 2 == 0) {
            d.recordOutcome("b" + i, true);
          }
        }
      }
      sched.advance(Duration.ofSeconds(10));
      assertThat(transitions).isEmpty();
    }
  }

  @Test
  void backendLoadCounts_feedTheSuccessRate() {
    SessionCounters counters = SessionCounters.create(sched, SessionCounters.DEFAULT_EWMA_DECAY);
    try (OutlierDetector d = builder().build()) {
      for (int i = 0; i < 5; i++) {
        BackendLoad load = counters.of(backend(i));
        d.add(backend(i), load);
        for (int n = 0; n < 300; n++) {
          load.requestStarted();
          load.requestFinished(1000, i != 2 || n % 3 == 0);
        }
      }
      sched.advance(Duration.ofSeconds(10));
      assertThat(d.isEjected("b2")).isTrue();
      assertThat(transitions).containsExactly("b2:UP->DOWN:OUTLIER_EJECTED");
    }
  }

  @Test
  void jitter_addsUpToMaxEjectionJitter() {
    try (OutlierDetector d = detector(20, builder().interval(Duration.ofSeconds(1)).maxEjectionJitter(Duration.ofSeconds(10)))) {
      List<Long> durations = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        String id = "b" + (i % 2);
        fail(d, id, 5);
        long at = sched.nanoTime();
        while (d.isEjected(id)) {
          sched.advance(Duration.ofMillis(100));
        }
        durations.add(sched.nanoTime() - at);
        sched.advance(Duration.ofSeconds(20));
      }
      assertThat(durations).allSatisfy(n -> assertThat(n).isBetween(seconds(30), seconds(41)));
      assertThat(durations.stream().distinct().count()).isGreaterThan(1);
    }
  }

  @Test
  void builder_rejectsBadValues() {
    assertThatThrownBy(() -> builder().consecutiveFailures(0)).hasMessageContaining("consecutiveFailures");
    assertThatThrownBy(() -> builder().maxEjectionPercent(101)).hasMessageContaining("maxEjectionPercent");
    assertThatThrownBy(() -> builder().successRateStdevFactor(-1)).hasMessageContaining("successRateStdevFactor");
    assertThatThrownBy(() -> builder().maxEjectionJitter(Duration.ofSeconds(-1))).hasMessageContaining("maxEjectionJitter");
  }

  @Test
  void failurePercentage_isDetectedByDefault_butEjectsOnlyWhenEnforced() {
    try (OutlierDetector d = detector(6, builder().consecutiveFailures(1000))) {
      for (int n = 0; n < 60; n++) {
        for (int i = 0; i < 5; i++) {
          d.recordOutcome("b" + i, true);
        }
        d.recordOutcome("b5", n % 10 >= 9);
      }
      sched.advance(Duration.ofSeconds(10));
      // b5 failed 54 of 60, 90 % >= 85 %: detected, but Envoy's enforcing_failure_percentage is 0.
      assertThat(d.stats().detected(OutlierDetector.EjectionType.FAILURE_PERCENTAGE)).isEqualTo(1);
      assertThat(d.isEjected("b5")).isFalse();
    }
    try (OutlierDetector d = detector(6, builder().consecutiveFailures(1000).enforcingFailurePercentage(100))) {
      for (int n = 0; n < 60; n++) {
        for (int i = 0; i < 5; i++) {
          d.recordOutcome("b" + i, true);
        }
        d.recordOutcome("b5", n % 10 >= 9);
      }
      sched.advance(Duration.ofSeconds(10));
      assertThat(d.isEjected("b5")).isTrue();
      assertThat(d.stats().enforced(OutlierDetector.EjectionType.FAILURE_PERCENTAGE)).isEqualTo(1);
      assertThat(transitions).containsExactly("b5:UP->DOWN:OUTLIER_EJECTED");
    }
  }

  private OutlierDetector failing(int hosts, int volume, int failures, OutlierDetector.Builder b) {
    // Success-rate ejection off, so that only the failure percentage decides.
    OutlierDetector d = detector(hosts, b.consecutiveFailures(1000).enforcingFailurePercentage(100).enforcingSuccessRate(0));
    for (int i = 0; i < hosts; i++) {
      for (int n = 0; n < volume; n++) {
        d.recordOutcome("b" + i, i != 0 || n >= failures);
      }
    }
    sched.advance(Duration.ofSeconds(10));
    return d;
  }

  @Test
  void failurePercentage_thresholdIsInclusive_andNeedsVolumeAndHosts() {
    try (OutlierDetector d = failing(5, 100, 85, builder())) {
      assertThat(d.isEjected("b0")).as("85 %% at threshold 85").isTrue();
    }
    try (OutlierDetector d = failing(5, 100, 84, builder())) {
      assertThat(d.isEjected("b0")).as("84 %%").isFalse();
    }
    try (OutlierDetector d = failing(5, 49, 49, builder())) {
      assertThat(d.isEjected("b0")).as("49 requests, below the volume of 50").isFalse();
    }
    try (OutlierDetector d = failing(4, 100, 100, builder())) {
      assertThat(d.isEjected("b0")).as("4 hosts, below the minimum of 5").isFalse();
    }
    try (OutlierDetector d = failing(3, 10, 6, builder().failurePercentageThreshold(50)
        .failurePercentageMinimumHosts(3).failurePercentageRequestVolume(10))) {
      assertThat(d.isEjected("b0")).as("configured 50 %%, 3 hosts, 10 requests").isTrue();
    }
  }

  @Test
  void enforcingSuccessRate_decidesWhetherADetectedOutlierIsEjected() {
    int ejected = 0;
    for (int trial = 0; trial < 200; trial++) {
      try (OutlierDetector d = detector(6, builder().random(new SplittableRandom(trial)).enforcingSuccessRate(30))) {
        for (int i = 0; i < 6; i++) {
          for (int n = 0; n < 200; n++) {
            d.recordOutcome("b" + i, i != 3 || n % 2 == 0);
          }
        }
        sched.advance(Duration.ofSeconds(10));
        assertThat(d.stats().detected(OutlierDetector.EjectionType.SUCCESS_RATE)).isEqualTo(1);
        ejected += d.isEjected("b3") ? 1 : 0;
      }
    }
    assertThat(ejected).isBetween(40, 80);
    try (OutlierDetector d = detector(6, builder().enforcingSuccessRate(0))) {
      for (int i = 0; i < 6; i++) {
        for (int n = 0; n < 200; n++) {
          d.recordOutcome("b" + i, i != 3 || n % 2 == 0);
        }
      }
      sched.advance(Duration.ofSeconds(10));
      assertThat(d.isEjected("b3")).isFalse();
      assertThat(d.stats().enforcedTotal()).isZero();
    }
  }

  @Test
  void localOriginErrors_countAsGatewayFailuresWithoutTheSplit() {
    try (OutlierDetector d = detector(20, builder())) {
      for (int i = 0; i < 4; i++) {
        d.recordOutcome("b1", OutlierDetector.Outcome.LOCAL_ORIGIN_FAILURE);
      }
      d.recordOutcome("b1", OutlierDetector.Outcome.LOCAL_ORIGIN_SUCCESS);
      d.recordOutcome("b1", OutlierDetector.Outcome.LOCAL_ORIGIN_TIMEOUT);
      sched.runDue();
      // A bare connection success is not counted without the split: five in a row.
      assertThat(d.isEjected("b1")).isTrue();
      OutlierDetector.Stats stats = d.stats();
      assertThat(stats.enforced(OutlierDetector.EjectionType.CONSECUTIVE_5XX)).isEqualTo(1);
      assertThat(stats.detected(OutlierDetector.EjectionType.CONSECUTIVE_GATEWAY_FAILURE)).isEqualTo(1);
      assertThat(stats.enforced(OutlierDetector.EjectionType.CONSECUTIVE_GATEWAY_FAILURE)).isZero();
    }
  }

  @Test
  void localOriginErrors_haveTheirOwnCountersWithTheSplit() {
    try (OutlierDetector d = detector(20, builder().splitExternalLocalOriginErrors(true))) {
      for (int i = 0; i < 4; i++) {
        d.recordOutcome("b1", OutlierDetector.Outcome.LOCAL_ORIGIN_FAILURE);
      }
      d.recordOutcome("b1", OutlierDetector.Outcome.LOCAL_ORIGIN_SUCCESS);
      for (int i = 0; i < 4; i++) {
        d.recordOutcome("b1", OutlierDetector.Outcome.LOCAL_ORIGIN_TIMEOUT);
      }
      // Answers with errors do not add to the local-origin run.
      for (int i = 0; i < 3; i++) {
        d.recordOutcome("b1", OutlierDetector.Outcome.FAILURE);
      }
      sched.runDue();
      assertThat(d.isEjected("b1")).isFalse();
      d.recordOutcome("b1", OutlierDetector.Outcome.LOCAL_ORIGIN_FAILURE);
      sched.runDue();
      assertThat(d.isEjected("b1")).isTrue();
      assertThat(d.stats().enforced(OutlierDetector.EjectionType.CONSECUTIVE_LOCAL_ORIGIN_FAILURE)).isEqualTo(1);
      assertThat(d.stats().detected(OutlierDetector.EjectionType.CONSECUTIVE_5XX)).isZero();
    }
  }

  @Test
  void localOriginSuccessRate_ejectsWithTheSplit() {
    try (OutlierDetector d = detector(6, builder().splitExternalLocalOriginErrors(true).consecutiveLocalOriginFailures(1000))) {
      for (int i = 0; i < 6; i++) {
        for (int n = 0; n < 200; n++) {
          d.recordOutcome("b" + i, i == 2 && n % 2 == 0 ? OutlierDetector.Outcome.LOCAL_ORIGIN_FAILURE : OutlierDetector.Outcome.SUCCESS);
        }
      }
      sched.advance(Duration.ofSeconds(10));
      assertThat(d.isEjected("b2")).isTrue();
      assertThat(d.stats().enforced(OutlierDetector.EjectionType.SUCCESS_RATE_LOCAL_ORIGIN)).isEqualTo(1);
    }
  }

  @Test
  void httpStatuses_502To504AreGatewayFailures_otherServerErrorsFailures() {
    try (OutlierDetector d = detector(20, builder().enforcing(OutlierDetector.EjectionType.CONSECUTIVE_GATEWAY_FAILURE, 100)
        .consecutiveGatewayFailures(3))) {
      d.recordHttpStatus("b1", 503);
      d.recordHttpStatus("b1", 500);
      d.recordHttpStatus("b1", 502);
      d.recordHttpStatus("b1", 504);
      sched.runDue();
      assertThat(d.isEjected("b1")).as("a 500 breaks the run of gateway failures").isFalse();
      d.recordHttpStatus("b1", 503);
      sched.runDue();
      assertThat(d.isEjected("b1")).isTrue();
      assertThat(d.stats().enforced(OutlierDetector.EjectionType.CONSECUTIVE_GATEWAY_FAILURE)).isEqualTo(1);
      assertThat(d.recordHttpStatus("b2", 404)).isTrue();
      assertThat(d.recordHttpStatus("nobody", 200)).isFalse();
    }
  }

  @Test
  void stats_countOverflowWhenTheCapPreventsAnEjection_andActiveEjections() {
    try (OutlierDetector d = detector(10, builder())) {
      fail(d, "b1", 5);
      fail(d, "b2", 5);
      OutlierDetector.Stats stats = d.stats();
      assertThat(stats.active()).isEqualTo(1);
      assertThat(stats.enforcedTotal()).isEqualTo(1);
      assertThat(stats.detected(OutlierDetector.EjectionType.CONSECUTIVE_5XX)).isEqualTo(2);
      assertThat(stats.overflow()).isEqualTo(1);
      assertThat(stats.toString()).contains("CONSECUTIVE_5XX=1/2");
    }
  }

  @Test
  void multiplier_stopsGrowingOnceBaseTimesItReachesMaxPlusBase() {
    try (OutlierDetector d = detector(20, builder().interval(Duration.ofSeconds(1)).baseEjectionTime(Duration.ofSeconds(10))
        .maxEjectionTime(Duration.ofSeconds(25)))) {
      for (int round = 0; round < 6; round++) {
        fail(d, "b1", 5);
        while (d.isEjected("b1")) {
          sched.advance(Duration.ofSeconds(1));
        }
      }
      // Growth stops once 10 x m >= 25 + 10: m = 4.
      assertThat(d.ejectionMultiplier("b1")).isEqualTo(4);
    }
  }

  @Test
  void builder_rejectsBadNewValues() {
    assertThatThrownBy(() -> builder().failurePercentageThreshold(101)).hasMessageContaining("failurePercentageThreshold");
    assertThatThrownBy(() -> builder().enforcingFailurePercentage(-1)).hasMessageContaining("FAILURE_PERCENTAGE");
    assertThatThrownBy(() -> builder().failurePercentageRequestVolume(0)).hasMessageContaining("failurePercentageRequestVolume");
    assertThatThrownBy(() -> builder().consecutiveLocalOriginFailures(0)).hasMessageContaining("consecutiveLocalOriginFailures");
  }
}
