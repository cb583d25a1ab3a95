package io.github.lb4j.pool;

import static org.awaitility.Awaitility.await;

import io.github.lb4j.health.MonitorScheduler;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.function.BooleanSupplier;

/**
 * A {@link MonitorScheduler} whose time is a {@link ManualClock}: tasks run only when the test
 * advances the clock or asks for the due ones, on the test's thread. Tasks may be submitted from any
 * thread (a checker completes on its own loop thread), so the queue is locked.
 */
final class ManualTimer implements MonitorScheduler {

  private final ManualClock clock;
  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private long seq;

  ManualTimer(ManualClock clock) {
    this.clock = clock;
  }

  private static final class Task implements Comparable<Task> {
    final long due;
    final long seq;
    final Runnable run;
    boolean cancelled;

    Task(long due, long seq, Runnable run) {
      this.due = due;
      this.seq = seq;
      this.run = run;
    }

    @Override
    public int compareTo(Task o) {
      int c = Long.compare(due, o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  @Override
  public void execute(Runnable task) {
    schedule(task, 0);
  }

  @Override
  public synchronized Cancellable schedule(Runnable task, long delayNanos) {
    Task t = new Task(clock.nanoTime() + Math.max(0, delayNanos), seq++, task);
    tasks.add(t);
    return () -> {
      synchronized (ManualTimer.this) {
        t.cancelled = true;
      }
    };
  }

  private synchronized Task nextDue(long until) {
    while (!tasks.isEmpty()) {
      Task t = tasks.peek();
      if (t.due - until > 0) {
        return null;
      }
      tasks.poll();
      if (!t.cancelled) {
        return t;
      }
    }
    return null;
  }

  /** Runs every task due now (including those the tasks add for now). */
  int runDue() {
    int n = 0;
    for (Task t = nextDue(clock.nanoTime()); t != null; t = nextDue(clock.nanoTime())) {
      t.run.run();
      n++;
    }
    return n;
  }

  /** Moves the clock forward, running every task at its due time. */
  void advance(Duration d) {
    long target = clock.nanoTime() + d.toNanos();
    for (Task t = nextDue(target); t != null; t = nextDue(target)) {
      if (t.due - clock.nanoTime() > 0) {
        clock.set(t.due);
      }
      t.run.run();
    }
    clock.set(target);
  }

  /** Runs due tasks until the condition holds, waiting for tasks that other threads post (checks in flight). */
  void runUntil(BooleanSupplier condition) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2)).until(() -> {
      runDue();
      return condition.getAsBoolean();
    });
  }

  /** Tasks due later than now (a monitor's next checks), not cancelled. */
  synchronized int scheduledLater() {
    long now = clock.nanoTime();
    int n = 0;
    for (Task t : tasks) {
      if (!t.cancelled && t.due - now > 0) {
        n++;
      }
    }
    return n;
  }

  synchronized int pending() {
    int n = 0;
    for (Task t : tasks) {
      if (!t.cancelled) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void close() {}
}
