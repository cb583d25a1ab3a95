package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The serialized control context: one task at a time, in order, on whichever thread drains. */
class ControlContextTest {

  private int plainCounter;

  @Test
  void tasksFromManyThreads_runOneAtATime() throws Exception {
    ControlContext context = new ControlContext(null);
    List<Thread> threads = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    for (int t = 0; t < 4; t++) {
      Thread th = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 50_000; i++) {
          // Not atomic: only serialization keeps the count exact.
          context.execute(() -> plainCounter++);
        }
      });
      threads.add(th);
      th.start();
    }
    start.countDown();
    for (Thread th : threads) {
      th.join();
    }
    context.submit(() -> { }).join();
    assertThat(plainCounter).isEqualTo(200_000);
  }

  @Test
  void aTaskThatEnqueues_runsTheNewTaskAfterItself() {
    ControlContext context = new ControlContext(null);
    List<String> order = new ArrayList<>();
    context.execute(() -> {
      order.add("outer start");
      assertThat(context.inContext()).isTrue();
      context.execute(() -> order.add("inner"));
      order.add("outer end");
    });
    assertThat(order).containsExactly("outer start", "outer end", "inner");
    assertThat(context.inContext()).isFalse();
  }

  @Test
  void aFailingTask_failsItsFuture_andTheQueueGoesOn() {
    ControlContext context = new ControlContext(null);
    List<String> order = new ArrayList<>();
    context.execute(() -> {
      throw new IllegalStateException("boom");
    });
    assertThatThrownBy(() -> context.submit(() -> {
      throw new IllegalArgumentException("named");
    }).join()).isInstanceOf(CompletionException.class).hasCauseInstanceOf(IllegalArgumentException.class);
    context.execute(() -> order.add("after"));
    assertThat(order).containsExactly("after");
  }

  @Test
  void withAnExecutor_tasksRunThere_inOrder() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      ControlContext context = new ControlContext(pool);
      List<Integer> order = new ArrayList<>();
      List<String> threads = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        int n = i;
        context.execute(() -> {
          order.add(n);
          threads.add(Thread.currentThread().getName());
        });
      }
      context.submit(() -> { }).get(10, TimeUnit.SECONDS);
      assertThat(order).hasSize(1000).isSorted();
      assertThat(threads).allSatisfy(n -> assertThat(n).startsWith("pool-"));
    } finally {
      pool.shutdownNow();
    }
  }
}
