package io.github.lb4j.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.health.TrafficObserver.Action;
import io.github.lb4j.health.TrafficObserver.Event;
import io.github.lb4j.health.TrafficObserver.Mode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** HAProxy's observe / error-limit / on-error. */
class TrafficObserverTest {

  @Test
  void tenConsecutiveErrors_failACheck_byDefault_andResetTheCount() {
    TrafficObserver o = TrafficObserver.of(Mode.LAYER4);
    for (int i = 0; i < 9; i++) {
      assertThat(o.record("web", Event.L4_ERROR)).isEqualTo(Action.NONE);
    }
    assertThat(o.consecutiveErrors("web")).isEqualTo(9);
    assertThat(o.record("web", Event.L4_ERROR)).isEqualTo(Action.FAIL_CHECK);
    assertThat(o.consecutiveErrors("web")).isZero();
    assertThat(o.record("other", Event.L4_ERROR)).isEqualTo(Action.NONE);
  }

  @Test
  void aSuccessOrAPassedCheck_clearsTheRun() {
    TrafficObserver o = TrafficObserver.of(Mode.LAYER4, 3, Action.MARK_DOWN);
    o.record("web", Event.L4_ERROR);
    o.record("web", Event.L4_ERROR);
    o.record("web", Event.L4_OK);
    o.record("web", Event.L4_ERROR);
    o.record("web", Event.L4_ERROR);
    o.checkPassed("web");
    o.record("web", Event.L4_ERROR);
    o.record("web", Event.L4_ERROR);
    assertThat(o.record("web", Event.L4_ERROR)).isEqualTo(Action.MARK_DOWN);
  }

  @Test
  void layer4_ignoresHttp_layer7_ignoresConnectSuccesses() {
    TrafficObserver l4 = TrafficObserver.of(Mode.LAYER4, 2, Action.FASTINTER);
    l4.record("web", Event.L4_ERROR);
    assertThat(l4.record("web", Event.HTTP_BAD_STATUS)).isEqualTo(Action.NONE);
    assertThat(l4.record("web", Event.HTTP_OK)).isEqualTo(Action.NONE);
    assertThat(l4.consecutiveErrors("web")).isEqualTo(1);
    assertThat(l4.record("web", Event.L4_ERROR)).isEqualTo(Action.FASTINTER);

    TrafficObserver l7 = TrafficObserver.of(Mode.LAYER7, 3, Action.SUDDEN_DEATH);
    l7.record("web", Event.HTTP_READ_TIMEOUT);
    l7.record("web", Event.L4_OK);
    l7.record("web", Event.HTTP_BROKEN_PIPE);
    assertThat(l7.record("web", Event.L4_ERROR)).isEqualTo(Action.SUDDEN_DEATH);
  }

  @Test
  void layer7Statuses_validAre100To499_501And505() {
    TrafficObserver o = TrafficObserver.of(Mode.LAYER7, 1, Action.FAIL_CHECK);
    for (int ok : new int[] {100, 200, 404, 499, 501, 505}) {
      assertThat(o.recordHttpStatus("web", ok)).as("status %d", ok).isEqualTo(Action.NONE);
    }
    for (int bad : new int[] {500, 502, 503, 504, 506, 599, 99, 600}) {
      assertThat(o.recordHttpStatus("web", bad)).as("status %d", bad).isEqualTo(Action.FAIL_CHECK);
    }
  }

  @Test
  void actions_moveHealthMonitorsFailureCount_asHaproxysHealthCounter() {
    int fall = 3;
    assertThat(Action.FASTINTER.failuresAfter(0, fall)).isZero();
    assertThat(Action.FAIL_CHECK.failuresAfter(0, fall)).isEqualTo(1);
    assertThat(Action.FAIL_CHECK.failuresAfter(2, fall)).isEqualTo(3);
    // Sudden death: one more failed check marks the backend down.
    assertThat(Action.SUDDEN_DEATH.failuresAfter(0, fall)).isEqualTo(fall - 1);
    assertThat(Action.SUDDEN_DEATH.failuresAfter(2, fall)).isEqualTo(fall);
    assertThat(Action.SUDDEN_DEATH.failuresAfter(0, 1)).isEqualTo(1);
    assertThat(Action.MARK_DOWN.failuresAfter(0, fall)).isEqualTo(fall);
    assertThat(Action.NONE.forcesFastInterval()).isFalse();
    assertThat(Action.MARK_DOWN.forcesFastInterval()).isTrue();
  }

  @Test
  void onError_parsesHaproxyNames_andRejectsOthers() {
    assertThat(TrafficObserver.onError("sudden-death")).isEqualTo(Action.SUDDEN_DEATH);
    assertThat(TrafficObserver.onError("fastinter")).isEqualTo(Action.FASTINTER);
    assertThatThrownBy(() -> TrafficObserver.onError("mark-up")).hasMessageContaining("'mark-up'");
    assertThatThrownBy(() -> TrafficObserver.of(Mode.LAYER4, 0, Action.FAIL_CHECK)).hasMessageContaining("errorLimit");
    assertThatThrownBy(() -> TrafficObserver.of(Mode.LAYER4, 5, Action.NONE)).hasMessageContaining("onError");
  }

  @Test
  void racingThreads_triggerOneActionPerRunOfErrors() throws InterruptedException {
    TrafficObserver o = TrafficObserver.of(Mode.LAYER4, 10, Action.FAIL_CHECK);
    AtomicInteger actions = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread thread = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 25_000; i++) {
          if (o.record("web", Event.L4_ERROR) != Action.NONE) {
            actions.incrementAndGet();
          }
        }
      });
      threads.add(thread);
      thread.start();
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join();
    }
    // 100,000 errors: at most one action per ten, never more (a run that loses its reset race
    // adds to the next run instead).
    assertThat(actions.get()).isBetween(1, 10_000);
    assertThat(actions.get() * 10 + o.consecutiveErrors("web")).isLessThanOrEqualTo(100_000);
  }
}
