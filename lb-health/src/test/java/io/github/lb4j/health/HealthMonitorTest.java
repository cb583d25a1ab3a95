package io.github.lb4j.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthState;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** HealthMonitor on a clock and scheduler driven by hand: thresholds, intervals, jitter, overlap. */
class HealthMonitorTest {

  final ManualScheduler sched = new ManualScheduler();
  final ScriptedChecker checker = new ScriptedChecker(sched);
  final List<String> transitions = new ArrayList<>();

  static Backend backend(int i) {
    return Backend.of("b" + i, InetAddress.getLoopbackAddress(), 10_000 + i);
  }

  HealthMonitor.Builder builder() {
    return HealthMonitor.builder(checker).scheduler(sched).clock(sched).random(new SplittableRandom(42))
        .listener((b, from, to, cause) -> transitions.add(b.id() + ":" + from + "->" + to + ":" + cause.reason()));
  }

  /** Lets {@code n} more checks of a target start, completing each at once with the given verdict. */
  void checks(InetSocketAddress target, int n, boolean healthy) {
    long goal = checker.startedFor(target) + n;
    for (int guard = 0; checker.startedFor(target) < goal && guard < 100_000; guard++) {
      sched.advance(Duration.ofMillis(10));
      checker.completeAll(healthy);
    }
    assertThat(checker.startedFor(target)).isEqualTo(goal);
  }

  @Test
  void riseAndFall_followHaproxyDefaults() {
    Backend b = backend(1);
    try (HealthMonitor m = builder().interval(Duration.ofSeconds(1)).build()) {
      m.add(b);
      assertThat(m.state("b1")).isEqualTo(HealthState.UNKNOWN);
      checks(b.socketAddress(), 1, true);
      assertThat(m.state("b1")).isEqualTo(HealthState.UNKNOWN);
      checks(b.socketAddress(), 1, true);
      assertThat(m.state("b1")).isEqualTo(HealthState.UP);
      checks(b.socketAddress(), 2, false);
      assertThat(m.state("b1")).as("two failures are below fall=3").isEqualTo(HealthState.UP);
      checks(b.socketAddress(), 1, true);
      checks(b.socketAddress(), 2, false);
      assertThat(m.state("b1")).as("a pass resets the failure count").isEqualTo(HealthState.UP);
      checks(b.socketAddress(), 1, false);
      assertThat(m.state("b1")).isEqualTo(HealthState.DOWN);
      checks(b.socketAddress(), 1, true);
      assertThat(m.state("b1")).isEqualTo(HealthState.DOWN);
      checks(b.socketAddress(), 1, true);
      assertThat(m.state("b1")).isEqualTo(HealthState.UP);
      assertThat(transitions).containsExactly(
          "b1:UNKNOWN->UP:OK", "b1:UP->DOWN:REFUSED", "b1:DOWN->UP:OK");
    }
  }

  @Test
  void customThresholds_andUnknownFallsToDown() {
    Backend b = backend(1);
    try (HealthMonitor m = builder().rise(1).fall(1).build()) {
      m.add(b);
      checks(b.socketAddress(), 1, false);
      checks(b.socketAddress(), 1, true);
      assertThat(transitions).containsExactly("b1:UNKNOWN->DOWN:REFUSED", "b1:DOWN->UP:OK");
    }
  }

  @Test
  void firstChecks_spreadOverTheFirstInterval() {
    try (HealthMonitor m = builder().interval(Duration.ofSeconds(1)).build()) {
      long t0 = sched.nanoTime();
      for (int i = 0; i < 1000; i++) {
        m.add(backend(i));
      }
      sched.advance(Duration.ofMillis(999));
      assertThat(checker.calls).hasSize(1000);
      long min = checker.calls.stream().mapToLong(c -> c.startedAt() - t0).min().orElseThrow();
      long max = checker.calls.stream().mapToLong(c -> c.startedAt() - t0).max().orElseThrow();
      assertThat(min).isLessThan(TimeUnit.MILLISECONDS.toNanos(50));
      assertThat(max).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(950));
      long firstHalf = checker.calls.stream().filter(c -> c.startedAt() - t0 < 500_000_000L).count();
      assertThat(firstHalf).isBetween(400L, 600L);
    }
  }

  @Test
  void jitter_staysWithinBounds_andUsesThem() {
    Backend b = backend(1);
    try (HealthMonitor m = builder().interval(Duration.ofSeconds(1)).jitter(0.2).spreadFirstCheck(false).build()) {
      m.add(b);
      sched.runDue();
      List<Long> gaps = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        ScriptedChecker.Call last = checker.calls.get(checker.calls.size() - 1);
        long completedAt = sched.nanoTime();
        last.future().complete(io.github.lb4j.api.HealthResult.healthy(1, "ok"));
        sched.runDue();
        int before = checker.calls.size();
        while (checker.calls.size() == before) {
          sched.advance(Duration.ofMillis(1));
        }
        gaps.add(checker.calls.get(checker.calls.size() - 1).startedAt() - completedAt);
      }
      // The fast interval equals the interval here, so every gap is 1 s +- 20 %.
      assertThat(gaps).allSatisfy(g -> assertThat(g).isBetween(800_000_000L, 1_201_000_000L));
      assertThat(gaps.stream().mapToLong(Long::longValue).min().orElseThrow()).isLessThan(850_000_000L);
      assertThat(gaps.stream().mapToLong(Long::longValue).max().orElseThrow()).isGreaterThan(1_150_000_000L);
    }
  }

  @Test
  void timeoutLongerThanInterval_checksNeverOverlap() {
    Backend b = backend(1);
    try (HealthMonitor m = builder().interval(Duration.ofSeconds(1)).timeout(Duration.ofSeconds(5)).build()) {
      m.add(b);
      sched.advance(Duration.ofSeconds(10));
      assertThat(checker.calls).as("a check still in flight blocks the next one").hasSize(1);
      checker.completeAll(false);
      sched.advance(Duration.ofMillis(999));
      assertThat(checker.calls).hasSize(1);
      sched.advance(Duration.ofMillis(2));
      assertThat(checker.calls).hasSize(2);
      for (int i = 0; i < 50; i++) {
        sched.advance(Duration.ofMillis(700));
        if (i % 3 == 0) {
          checker.completeAll(true);
        }
      }
      assertThat(checker.overlaps).isZero();
    }
  }

  @Test
  void fastInterval_whileChanging_andDownInterval_whileDown() {
    Backend b = backend(1);
    InetSocketAddress a = b.socketAddress();
    try (HealthMonitor m = builder().interval(Duration.ofSeconds(10)).fastInterval(Duration.ofSeconds(1))
        .downInterval(Duration.ofSeconds(30)).spreadFirstCheck(false).build()) {
      m.add(b);
      checks(a, 1, true);
      long t = sched.nanoTime();
      checks(a, 1, true);
      assertThat(sched.nanoTime() - t).as("UNKNOWN: fastinter").isBetween(1_000_000_000L, 1_010_000_000L);
      assertThat(m.state("b1")).isEqualTo(HealthState.UP);
      t = sched.nanoTime();
      checks(a, 1, false);
      assertThat(sched.nanoTime() - t).as("steady UP: inter").isBetween(10_000_000_000L, 10_010_000_000L);
      t = sched.nanoTime();
      checks(a, 1, false);
      assertThat(sched.nanoTime() - t).as("UP with a failure: fastinter").isBetween(1_000_000_000L, 1_010_000_000L);
      checks(a, 1, false);
      assertThat(m.state("b1")).isEqualTo(HealthState.DOWN);
      t = sched.nanoTime();
      checks(a, 1, false);
      assertThat(sched.nanoTime() - t).as("steady DOWN: downinter").isBetween(30_000_000_000L, 30_010_000_000L);
    }
  }

  @Test
  void remove_stopsChecks_andIgnoresTheCheckInFlight() {
    Backend b = backend(1);
    try (HealthMonitor m = builder().rise(1).interval(Duration.ofSeconds(1)).build()) {
      m.add(b);
      sched.advance(Duration.ofSeconds(1));
      assertThat(checker.calls).hasSize(1);
      assertThat(m.remove("b1")).isTrue();
      checker.completeAll(true);
      sched.advance(Duration.ofSeconds(10));
      assertThat(checker.calls).hasSize(1);
      assertThat(transitions).isEmpty();
      assertThat(m.state("b1")).isNull();
      assertThat(m.remove("b1")).isFalse();
    }
  }

  @Test
  void addAtRuntime_andReplace_startFromUnknown() {
    try (HealthMonitor m = builder().rise(1).interval(Duration.ofSeconds(1)).build()) {
      m.add(backend(1));
      checks(backend(1).socketAddress(), 1, true);
      assertThat(m.state("b1")).isEqualTo(HealthState.UP);
      m.add(backend(1).withWeight(5));
      assertThat(m.state("b1")).isEqualTo(HealthState.UNKNOWN);
      m.add(backend(2), new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080));
      checks(new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080), 1, true);
      assertThat(m.states()).containsEntry("b2", HealthState.UP);
      assertThat(m.size()).isEqualTo(2);
    }
  }

  @Test
  void checkerFailingExceptionally_countsAsIoError() {
    Backend b = backend(1);
    try (HealthMonitor m = builder().fall(1).build()) {
      m.add(b);
      sched.advance(Duration.ofSeconds(2));
      checker.calls.get(0).future().completeExceptionally(new IllegalStateException("bug"));
      sched.runDue();
      assertThat(transitions).containsExactly("b1:UNKNOWN->DOWN:" + HealthReason.IO_ERROR);
    }
  }

  @Test
  void builder_rejectsBadValues() {
    assertThatThrownBy(() -> builder().rise(0)).hasMessageContaining("rise");
    assertThatThrownBy(() -> builder().fall(0)).hasMessageContaining("fall");
    assertThatThrownBy(() -> builder().jitter(0.9)).hasMessageContaining("jitter");
    assertThatThrownBy(() -> builder().interval(Duration.ZERO)).hasMessageContaining("interval");
  }
}
