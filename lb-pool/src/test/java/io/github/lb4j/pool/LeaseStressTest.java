package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Threads racing on the data plane's shared structures: the striped circuit breaker, the
 * per-backend limits and the shared lease tokens. The workers keep their own count of what they
 * hold, incremented after a grant and decremented before the completion, so it never exceeds the
 * pool's own count: if it passes a limit, the pool admitted beyond it.
 */
class LeaseStressTest {

  private static final int WORKERS = 4;
  private static final int ROUNDS = 30_000;

  @ParameterizedTest
  @ValueSource(strings = {"round-robin", "power-of-two-choices", "maglev"})
  void circuitBreakerAndPerBackendLimit_underFourThreads_areNeverExceeded_andCountsReturnToZero(String algorithm)
      throws Exception {
    int limit = 12;
    int perBackend = 3;
    List<Backend> backends = Fixtures.backends(6);
    try (BackendPool pool = BackendPool.builder().scheduler(algorithm).stripes(4).circuitBreaker(limit, limit)
        .maxRequestsPerBackend(perBackend).backends(backends).build()) {
      AtomicInteger held = new AtomicInteger();
      AtomicInteger mostHeld = new AtomicInteger();
      Map<String, AtomicInteger> heldOn = new ConcurrentHashMap<>();
      AtomicInteger mostOnOne = new AtomicInteger();
      LongAdder granted = new LongAdder();
      run(w -> {
        SplittableRandom random = new SplittableRandom(w);
        List<Lease> mine = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
          Lease lease = pool.pick(random.nextLong());
          if (lease.isGranted()) {
            granted.increment();
            mostHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
            int on = heldOn.computeIfAbsent(lease.backendId(), k -> new AtomicInteger()).incrementAndGet();
            mostOnOne.accumulateAndGet(on, Math::max);
            mine.add(lease);
          } else {
            assertThat(lease.status()).isIn(PickStatus.CIRCUIT_OPEN, PickStatus.LIMIT);
          }
          while (mine.size() > random.nextInt(5)) {
            Lease l = mine.remove(random.nextInt(mine.size()));
            heldOn.get(l.backendId()).decrementAndGet();
            held.decrementAndGet();
            assertThat(l.complete(Outcome.SUCCESS, 1000)).isTrue();
          }
        }
        for (Lease l : mine) {
          heldOn.get(l.backendId()).decrementAndGet();
          held.decrementAndGet();
          assertThat(l.complete(Outcome.SUCCESS, 1000)).isTrue();
        }
      });
      assertThat(mostHeld.get()).as("most requests held at once").isBetween(1, limit);
      assertThat(mostOnOne.get()).as("most requests held on one backend").isBetween(1, perBackend);
      assertThat(granted.sum()).isGreaterThan(ROUNDS);
      assertBalanced(pool, backends, 0);
      assertThat(pool.stats().doubleCompletions()).isZero();
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void sharedTokens_completedTwiceFromFourThreads_areEachCountedOnce_andCountsReturnToZero(boolean breaker)
      throws Exception {
    List<Backend> backends = Fixtures.backends(3);
    BackendPool.Builder builder = BackendPool.builder().scheduler("round-robin").stripes(2).backends(backends);
    if (!breaker) {
      builder.circuitBreaker(Integer.MAX_VALUE, Integer.MAX_VALUE);
    }
    try (BackendPool pool = builder.build()) {
      LongAdder doubles = new LongAdder();
      LongAdder refusedAnswers = new LongAdder();
      run(w -> {
        SplittableRandom random = new SplittableRandom(100 + w);
        List<Lease> mine = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
          Lease lease = pool.pick(random.nextLong());
          assertThat(lease.isGranted()).isTrue();
          mine.add(lease);
          while (mine.size() > random.nextInt(4)) {
            Lease l = mine.remove(random.nextInt(mine.size()));
            if (!l.complete(Outcome.SUCCESS, 1000)) {
              refusedAnswers.increment();
            }
            if (random.nextInt(16) == 0) {
              // A faulty caller: the same request completed again.
              doubles.increment();
              if (!l.complete(Outcome.SUCCESS, 1000)) {
                refusedAnswers.increment();
              }
            }
          }
        }
        for (Lease l : mine) {
          if (!l.complete(Outcome.SUCCESS, 1000)) {
            refusedAnswers.increment();
          }
        }
      });
      assertThat(doubles.sum()).isPositive();
      // Each completion that found nothing in flight was refused; there were exactly as many as doubles.
      assertThat(refusedAnswers.sum()).isEqualTo(doubles.sum());
      assertThat(pool.stats().doubleCompletions()).isEqualTo(doubles.sum());
      assertBalanced(pool, backends, doubles.sum());
    }
  }

  private static void assertBalanced(BackendPool pool, List<Backend> backends, long unmatched) {
    long unmatchedSeen = 0;
    for (Backend b : backends) {
      BackendLoad load = pool.sessions().of(b.id());
      assertThat(load.pending()).as(b.id() + " pending").isZero();
      unmatchedSeen += load.unmatchedCloses();
    }
    assertThat(unmatchedSeen).isEqualTo(unmatched);
    PoolStats stats = pool.stats();
    assertThat(stats.activeRequests()).isZero();
    assertThat(stats.activeRetries()).isZero();
  }

  /** Runs {@code WORKERS} threads from one start and rethrows the first failure. */
  private static void run(Worker worker) throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      int id = w;
      Thread t = new Thread(() -> {
        try {
          start.await();
          worker.run(id);
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "lease-stress-" + w);
      threads.add(t);
      t.start();
    }
    start.countDown();
    for (Thread t : threads) {
      t.join(TimeUnit.MINUTES.toMillis(5));
      assertThat(t.isAlive()).as(t.getName() + " finished").isFalse();
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
  }

  @FunctionalInterface
  private interface Worker {
    void run(int id) throws Exception;
  }
}
