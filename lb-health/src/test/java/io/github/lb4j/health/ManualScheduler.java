package io.github.lb4j.health;

import io.github.lb4j.api.NanoClock;
import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A {@link MonitorScheduler} and {@link NanoClock} driven by the test: time moves only in {@link
 * #advance}, which runs due tasks in time order on the test's thread. Single-threaded.
 */
final class ManualScheduler implements MonitorScheduler, NanoClock {

  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private long now = 1_000_000_000L;
  private long seq;

  private static final class Task implements Comparable<Task> {
    final long at;
    final long seq;
    final Runnable r;
    boolean cancelled;

    Task(long at, long seq, Runnable r) {
      this.at = at;
      this.seq = seq;
      this.r = r;
    }

    @Override
    public int compareTo(Task o) {
      int c = Long.compare(at, o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  @Override
  public long nanoTime() {
    return now;
  }

  @Override
  public void execute(Runnable task) {
    schedule(task, 0);
  }

  @Override
  public Cancellable schedule(Runnable task, long delayNanos) {
    Task t = new Task(now + Math.max(0, delayNanos), seq++, task);
    queue.add(t);
    return () -> t.cancelled = true;
  }

  /** Runs every task due within {@code d}, moving the clock to each task's time, then to now + d. */
  void advance(Duration d) {
    long end = now + d.toNanos();
    Task t;
    while ((t = queue.peek()) != null && t.at <= end) {
      queue.poll();
      now = Math.max(now, t.at);
      if (!t.cancelled) {
        t.r.run();
      }
    }
    now = end;
  }

  /** Runs the tasks due now (for example results just posted). */
  void runDue() {
    advance(Duration.ZERO);
  }

  long pending() {
    return queue.stream().filter(t -> !t.cancelled).count();
  }

  @Override
  public void close() {
    queue.clear();
  }
}
