package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.HealthState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Four threads pick and complete (first tries and retries, some held across others) while a fifth
 * changes the membership, weights, drain and health; afterwards every backend's counters equal
 * exactly what the workers counted: no session lost, none counted twice.
 */
class ConcurrentChurnTest {

  private static final int WORKERS = 4;
  private static final int ROUNDS = 40_000;

  @ParameterizedTest
  @ValueSource(strings = {"round-robin", "power-of-two-choices", "maglev", "least-connections"})
  void picksAndCompletions_duringChurn_countExactly(String algorithm) throws Exception {
    List<Backend> all = Fixtures.backends(8);
    DynamicMembership members = new DynamicMembership(all.subList(0, 5));
    try (BackendPool pool = BackendPool.builder().scheduler(algorithm).membership(members).stripes(2)
        .retryBudget(100, Integer.MAX_VALUE).circuitBreaker(64, 64).build()) {
      Map<String, LongAdder> successes = new ConcurrentHashMap<>();
      Map<String, LongAdder> failures = new ConcurrentHashMap<>();
      LongAdder refused = new LongAdder();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      CountDownLatch start = new CountDownLatch(1);
      AtomicBoolean done = new AtomicBoolean();
      List<Thread> workers = new ArrayList<>();
      for (int w = 0; w < WORKERS; w++) {
        long seed = w;
        Thread t = new Thread(() -> {
          SplittableRandom random = new SplittableRandom(seed);
          List<Lease> held = new ArrayList<>();
          try {
            start.await();
            for (int i = 0; i < ROUNDS; i++) {
              long key = random.nextLong();
              Lease lease = pool.pick(key);
              if (lease.isGranted() && random.nextInt(8) == 0) {
                Lease retry = pool.pick(key, List.of(lease.backend()));
                if (retry.isGranted()) {
                  assertThat(retry.backendId()).isNotEqualTo(lease.backendId());
                  held.add(retry);
                } else {
                  refused.increment();
                }
              }
              if (!lease.isGranted()) {
                refused.increment();
              } else {
                held.add(lease);
              }
              // Hold a few leases across later picks, completed out of order.
              while (held.size() > random.nextInt(6)) {
                Lease l = held.remove(random.nextInt(held.size()));
                boolean ok = random.nextInt(4) != 0;
                l.complete(ok ? Outcome.SUCCESS : Outcome.FAILURE, 1000);
                (ok ? successes : failures).computeIfAbsent(l.backendId(), k -> new LongAdder()).increment();
              }
            }
            for (Lease l : held) {
              l.complete(Outcome.SUCCESS, 1000);
              successes.computeIfAbsent(l.backendId(), k -> new LongAdder()).increment();
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        }, "churn-worker-" + w);
        workers.add(t);
        t.start();
      }
      Thread churn = new Thread(() -> {
        SplittableRandom random = new SplittableRandom(99);
        try {
          start.await();
          while (!done.get()) {
            Backend b = all.get(random.nextInt(all.size()));
            switch (random.nextInt(7)) {
              case 0: members.remove(b.id()); break;
              case 1: members.put(b); break;
              case 2: members.put(b.withWeight(1 + random.nextInt(4))); break;
              case 3: members.set(all.subList(0, 1 + random.nextInt(all.size()))); break;
              case 4: adminQuietly(pool, b.id(), random.nextBoolean() ? AdminState.DRAINING : AdminState.ACTIVE); break;
              case 5: reportQuietly(pool, b.id(), random.nextBoolean() ? HealthState.DOWN : HealthState.UP); break;
              default: members.put(b.withZone("z" + random.nextInt(3))); break;
            }
            // One change at a time, as an orchestrator would push them.
            pool.flush().join();
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }, "churn-membership");
      churn.start();
      start.countDown();
      for (Thread t : workers) {
        t.join(TimeUnit.MINUTES.toMillis(5));
        assertThat(t.isAlive()).as(t.getName() + " finished").isFalse();
      }
      done.set(true);
      churn.join(TimeUnit.MINUTES.toMillis(1));
      assertThat(churn.isAlive()).isFalse();
      assertThat(failure.get()).isNull();
      pool.flush().join();

      Map<String, Long> expectedSuccesses = sums(successes);
      Map<String, Long> expectedFailures = sums(failures);
      long granted = 0;
      for (Backend b : all) {
        BackendLoad load = pool.sessions().of(b.id());
        assertThat(load.pending()).as(b.id()).isZero();
        assertThat(load.unmatchedCloses()).as(b.id()).isZero();
        assertThat(load.successes()).as(b.id()).isEqualTo(expectedSuccesses.getOrDefault(b.id(), 0L));
        assertThat(load.failures()).as(b.id()).isEqualTo(expectedFailures.getOrDefault(b.id(), 0L));
        granted += load.successes() + load.failures();
      }
      assertThat(granted).isGreaterThan(ROUNDS);
      PoolStats stats = pool.stats();
      assertThat(stats.activeRequests()).isZero();
      assertThat(stats.activeRetries()).isZero();
      assertThat(stats.noBackend() + stats.circuitOpen() + stats.allExcluded() + stats.limited() + stats.budgetExhausted())
          .isEqualTo(refused.sum());
    }
  }

  private static void adminQuietly(BackendPool pool, String id, AdminState state) {
    try {
      pool.setAdminState(id, state);
    } catch (IllegalArgumentException notAMemberNow) {
      // The membership removed it meanwhile.
    }
  }

  private static void reportQuietly(BackendPool pool, String id, HealthState state) {
    try {
      pool.reportHealth(id, state, "churn");
    } catch (IllegalArgumentException notAMemberNow) {
      // The membership removed it meanwhile.
    }
  }

  private static Map<String, Long> sums(Map<String, LongAdder> counts) {
    Map<String, Long> out = new HashMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
