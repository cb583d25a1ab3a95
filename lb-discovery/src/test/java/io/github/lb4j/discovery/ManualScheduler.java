package io.github.lb4j.discovery;

import io.github.lb4j.health.MonitorScheduler;
import java.util.PriorityQueue;

/**
 * A {@link MonitorScheduler} whose time moves only when the test says: tasks run on the test's
 * thread from {@link #runDue()} and {@link #advanceNanos(long)}, so a test sees exactly which delay
 * a source asked for.
 */
final class ManualScheduler implements MonitorScheduler {

  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private long now;
  private long seq;

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
    Task t = new Task(now + Math.max(0, delayNanos), seq++, task);
    tasks.add(t);
    return () -> {
      synchronized (ManualScheduler.this) {
        t.cancelled = true;
      }
    };
  }

  /** The delay until the next task that is not cancelled, or -1 when none is pending. */
  synchronized long nextDelayNanos() {
    tasks.removeIf(t -> t.cancelled);
    Task t = tasks.peek();
    return t == null ? -1 : t.due - now;
  }

  /** Runs the tasks due now, including those they schedule for now. */
  void runDue() {
    advanceNanos(0);
  }

  /** Moves time forward, running every task that falls due on the way, in order. */
  void advanceNanos(long nanos) {
    long until;
    synchronized (this) {
      until = now + nanos;
    }
    for (;;) {
      Task t;
      synchronized (this) {
        t = tasks.peek();
        if (t == null || t.due > until) {
          now = until;
          return;
        }
        tasks.poll();
        now = Math.max(now, t.due);
        if (t.cancelled) {
          continue;
        }
      }
      t.run.run();
    }
  }

  @Override
  public void close() {}
}
