package io.github.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SessionCountersTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final SessionCounters counters = SessionCounters.create(now::get, Duration.ofSeconds(10));

  @Test
  void countersAreKeyedById_andHandlesAreStable() {
    BackendLoad a = counters.of("a");
    BackendLoad b = counters.of(Backend.of("b", BackendTest.address("192.0.2.2"), 80));
    assertThat(counters.of("a")).isSameAs(a);
    assertThat(a.handle()).isNotEqualTo(b.handle());
    assertThat(counters.byHandle(a.handle())).isSameAs(a);
    assertThat(counters.byHandle(b.handle())).isSameAs(b);
    assertThat(counters.byHandle(99)).isNull();
    assertThat(counters.byHandle(-1)).isNull();
    assertThat(counters.all()).containsExactly(a, b);
  }

  @Test
  void registeringNBackends_allocatesLinearlyInN() {
    // Regression: every registration copied the whole handle array, O(n^2) in all (116 ms at
    // 20,000 backends). The bytes a thread allocates are a count of work that no timer skews.
    long[] perBackend = new long[2];
    int[] sizes = {5_000, 50_000};
    for (int k = 0; k < sizes.length; k++) {
      SessionCounters fresh = SessionCounters.create(now::get, Duration.ofSeconds(10));
      String[] ids = new String[sizes[k]];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = "backend-" + i;
      }
      long before = allocatedBytes();
      for (String id : ids) {
        fresh.of(id);
      }
      perBackend[k] = (allocatedBytes() - before) / sizes[k];
      assertThat(fresh.size()).isEqualTo(sizes[k]);
      assertThat(fresh.byHandle(sizes[k] - 1).backendId()).isEqualTo("backend-" + (sizes[k] - 1));
      assertThat(fresh.all()).hasSize(sizes[k]);
    }
    // Copying at every registration would allocate about 4 bytes x n per backend: 200 KB at 50,000.
    assertThat(perBackend[1]).as("bytes per registration at 50,000 backends").isLessThan(1_000);
    assertThat(perBackend[1]).isLessThan(2 * perBackend[0] + 100);
  }

  /**
   * This thread's allocated bytes (HotSpot's {@code com.sun.management.ThreadMXBean}), read by
   * reflection because the module under test does not read {@code jdk.management}.
   */
  private static long allocatedBytes() {
    try {
      Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
      return (long) Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes").invoke(bean);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("this test needs HotSpot's per-thread allocation counter", e);
    }
  }

  @Test
  void sessions_moveBetweenActiveAndInactive() {
    BackendLoad load = counters.of("a");
    load.sessionOpenedInactive();
    assertThat(load.inactive()).isEqualTo(1);
    load.sessionActivated();
    assertThat(load.active()).isEqualTo(1);
    assertThat(load.inactive()).isZero();
    load.sessionDeactivated();
    load.sessionClosed(false);
    assertThat(load.active()).isZero();
    assertThat(load.inactive()).isZero();
    assertThat(load.totalSessions()).isEqualTo(1);
  }

  @Test
  void unmatchedClose_neverGoesNegative() {
    BackendLoad load = counters.of("a");
    load.sessionClosed(true);
    load.requestFinished(5, true);
    assertThat(load.active()).isZero();
    assertThat(load.pending()).isZero();
    assertThat(load.unmatchedCloses()).isEqualTo(2);
  }

  @Test
  void peakEwma_jumpsToPeaks_andDecaysWithTime() {
    BackendLoad load = counters.of("a");
    assertThat(load.latencyCostNanos()).isZero();
    load.recordLatency(1_000_000);
    assertThat(load.latencyCostNanos()).isEqualTo(1_000_000.0);
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(load.latencyCostNanos()).isCloseTo(1_000_000.0 / Math.E, within(1.0));
    // A smaller sample blends in with weight 1 - exp(-elapsed/tau).
    load.recordLatency(0);
    assertThat(load.latencyCostNanos()).isCloseTo(1_000_000.0 / Math.E, within(1.0));
    load.recordLatency(5_000_000);
    assertThat(load.latencyCostNanos()).isEqualTo(5_000_000.0);
  }

  @Test
  void requests_countOutcomes() {
    BackendLoad load = counters.of("a");
    load.requestStarted();
    load.requestStarted();
    assertThat(load.pending()).isEqualTo(2);
    load.requestFinished(10, true);
    load.requestFinished(10, false);
    assertThat(load.pending()).isZero();
    assertThat(load.successes()).isEqualTo(1);
    assertThat(load.failures()).isEqualTo(1);
  }

  @Test
  void concurrentOpenAndClose_balanceOut() throws InterruptedException {
    BackendLoad load = counters.of("a");
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      threads.add(new Thread(() -> {
        for (int i = 0; i < 100_000; i++) {
          load.sessionOpened();
          load.sessionClosed(true);
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    assertThat(load.active()).isZero();
    assertThat(load.totalSessions()).isEqualTo(400_000);
    assertThat(load.unmatchedCloses()).isZero();
  }

  @Test
  void concurrentFirstUse_createsOneCounterPerId() throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      threads.add(new Thread(() -> {
        for (int i = 0; i < 1000; i++) {
          counters.of("backend-" + i).sessionOpened();
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    assertThat(counters.all()).hasSize(1000);
    for (int i = 0; i < 1000; i++) {
      BackendLoad load = counters.of("backend-" + i);
      assertThat(load.active()).isEqualTo(4);
      assertThat(counters.byHandle(load.handle())).isSameAs(load);
    }
  }

  @Test
  void nonPositiveDecay_isRejected() {
    assertThatThrownBy(() -> SessionCounters.create(now::get, Duration.ZERO)).hasMessageContaining("ewmaDecay");
  }

  @Test
  void tryRequestStarted_admitsUpToTheLimitExactly() {
    BackendLoad load = counters.of("a");
    assertThat(load.tryRequestStarted(2)).isTrue();
    assertThat(load.tryRequestStarted(2)).isTrue();
    assertThat(load.tryRequestStarted(2)).isFalse();
    assertThat(load.pending()).isEqualTo(2);
    load.requestFinished(true);
    assertThat(load.tryRequestStarted(2)).isTrue();
  }

  @Test
  void requestFinishedWithoutLatency_countsTheOutcomeAndReadsNoClock() {
    BackendLoad load = counters.of("a");
    load.requestStarted();
    load.requestStarted();
    load.requestStarted();
    now.addAndGet(5_000_000_000L);
    load.requestFinished(true);
    load.requestFinished(false);
    load.requestCancelled();
    assertThat(load.pending()).isZero();
    assertThat(load.successes()).isEqualTo(1);
    assertThat(load.failures()).isEqualTo(1);
    assertThat(load.latencyCostNanos()).isZero();
    load.requestCancelled();
    assertThat(load.unmatchedCloses()).isEqualTo(1);
    assertThat(load.pending()).isZero();
  }
}
