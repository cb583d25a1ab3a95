package io.github.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link BackendLoad}'s admission test ({@code tryRequestStarted}, HAProxy's {@code maxconn}) and its
 * clock-free request ends ({@code requestFinished(boolean)}, {@code requestCancelled}): exact under
 * any sequence and under threads racing for the last unit, never below zero.
 */
class BackendLoadAdmissionTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final SessionCounters counters = SessionCounters.create(now::get, Duration.ofSeconds(10));

  @Property(tries = 300)
  void anySequence_keepsTheExactCount_andNeverAdmitsBeyondTheLimit(
      @ForAll @IntRange(min = 1, max = 8) int limit, @ForAll("operations") List<Integer> ops) {
    BackendLoad load = SessionCounters.create(now::get, Duration.ofSeconds(10)).of("a");
    long inFlight = 0;
    long successes = 0;
    long failures = 0;
    long unmatched = 0;
    for (int op : ops) {
      switch (op) {
        case 0, 1 -> {
          boolean admitted = load.tryRequestStarted(limit);
          assertThat(admitted).as("admitted with %d of %d in flight", inFlight, limit).isEqualTo(inFlight < limit);
          if (admitted) {
            inFlight++;
          }
        }
        case 2 -> {
          assertThat(load.requestFinished(true)).as("a request was in flight").isEqualTo(inFlight > 0);
          if (inFlight > 0) {
            inFlight--;
            successes++;
          } else {
            unmatched++;
            successes++;
          }
        }
        case 3 -> {
          assertThat(load.requestFinished(false)).as("a request was in flight").isEqualTo(inFlight > 0);
          if (inFlight > 0) {
            inFlight--;
          } else {
            unmatched++;
          }
          failures++;
        }
        default -> {
          assertThat(load.requestCancelled()).as("a request was in flight").isEqualTo(inFlight > 0);
          if (inFlight > 0) {
            inFlight--;
          } else {
            unmatched++;
          }
        }
      }
      assertThat(load.pending()).isEqualTo(inFlight).isBetween(0L, (long) limit);
    }
    assertThat(load.successes()).isEqualTo(successes);
    assertThat(load.failures()).isEqualTo(failures);
    assertThat(load.unmatchedCloses()).isEqualTo(unmatched);
    assertThat(load.latencyCostNanos()).as("no clock-free end feeds the latency estimate").isZero();
  }

  @Provide
  Arbitrary<List<Integer>> operations() {
    return Arbitraries.integers().between(0, 4).list().ofMaxSize(200);
  }

  @Test
  void fourThreadsRacingForTheLastUnits_getExactlyTheLimit() throws Exception {
    BackendLoad load = counters.of("a");
    int limit = 3;
    int threads = 4;
    int rounds = 2_000;
    AtomicInteger holders = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicLong admitted = new AtomicLong();
    CyclicBarrier barrier = new CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    List<Throwable> errors = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        try {
          for (int r = 0; r < rounds; r++) {
            barrier.await();
            if (load.tryRequestStarted(limit)) {
              admitted.incrementAndGet();
              most.accumulateAndGet(holders.incrementAndGet(), Math::max);
              holders.decrementAndGet();
              load.requestFinished(true);
            }
          }
        } catch (Exception e) {
          synchronized (errors) {
            errors.add(e);
          }
        }
      }, "admission-" + t);
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    assertThat(errors).isEmpty();
    assertThat(most.get()).as("requests in flight at once").isBetween(1, limit);
    assertThat(load.pending()).isZero();
    assertThat(load.successes()).isEqualTo(admitted.get());
    assertThat(load.unmatchedCloses()).isZero();
  }

  @Test
  void fullBackend_admitsNothingUntilOneEnds() {
    BackendLoad load = counters.of("a");
    for (int i = 0; i < 4; i++) {
      assertThat(load.tryRequestStarted(4)).isTrue();
    }
    for (int i = 0; i < 10; i++) {
      assertThat(load.tryRequestStarted(4)).isFalse();
    }
    assertThat(load.pending()).isEqualTo(4);
    load.requestCancelled();
    assertThat(load.tryRequestStarted(4)).isTrue();
    assertThat(load.tryRequestStarted(4)).isFalse();
  }

  @Test
  void noLimit_admitsAlways_andALimitBelowOne_admitsNothing() {
    BackendLoad load = counters.of("a");
    for (int i = 0; i < 1_000; i++) {
      assertThat(load.tryRequestStarted(Long.MAX_VALUE)).isTrue();
    }
    assertThat(load.pending()).isEqualTo(1_000);
    BackendLoad other = counters.of("b");
    assertThat(other.tryRequestStarted(0)).isFalse();
    assertThat(other.tryRequestStarted(-1)).isFalse();
    assertThat(other.pending()).isZero();
  }

  @Test
  void admittedRequests_areSeenByLoadAwareSelection_asPlainStartsAre() {
    BackendLoad viaLimit = counters.of("a");
    BackendLoad plain = counters.of("b");
    viaLimit.tryRequestStarted(10);
    viaLimit.tryRequestStarted(10);
    plain.requestStarted();
    plain.requestStarted();
    assertThat(viaLimit.pending()).isEqualTo(plain.pending());
    viaLimit.requestFinished(false);
    plain.requestFinished(5_000_000L, false);
    assertThat(viaLimit.pending()).isEqualTo(plain.pending()).isEqualTo(1);
    assertThat(viaLimit.failures()).isEqualTo(plain.failures()).isEqualTo(1);
    assertThat(viaLimit.latencyCostNanos()).isZero();
    assertThat(plain.latencyCostNanos()).isPositive();
  }
}
