package io.github.lb4j.health.linux;

import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.linux.Poller;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one I/O thread behind a checker method: owns the shared sockets and a {@link Poller}, starts
 * submitted probes, matches answers, and expires probes at their deadline. Callers only enqueue
 * ({@link #submit}, {@link #cancel}); everything else runs on the engine thread, so the per-probe
 * tables need no locks. Engines are shared by every checker of the same method and settings and
 * counted, so a thousand targets (or a thousand checker objects) still use one thread and one socket
 * per family.
 *
 * <p>Futures complete on the engine thread: dependents that block must use the {@code *Async}
 * variants of {@link java.util.concurrent.CompletableFuture}.
 */
abstract class ProbeEngine implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(ProbeEngine.class);
  /** Bounds one turn's intake so replies and deadlines are served while a huge round is queued. */
  private static final int COMMANDS_PER_TURN = 16384;

  final Poller poller;
  final NanoClock clock;
  private final ConcurrentLinkedQueue<Object> commands = new ConcurrentLinkedQueue<>();
  private final AtomicInteger signals = new AtomicInteger();
  private final PriorityQueue<Probe> deadlines =
      new PriorityQueue<>((a, b) -> Long.compare(a.deadlineNanos, b.deadlineNanos));
  private final Thread thread;
  private volatile boolean stopping;
  int references;

  private record Cancel(Object owner) {}

  ProbeEngine(String threadName, int descriptors, NanoClock clock) {
    this.poller = Poller.open(descriptors);
    this.clock = clock;
    this.thread = new Thread(this, threadName);
    thread.setDaemon(true);
  }

  final void start() {
    thread.start();
  }

  /** Enqueues a probe; any thread. */
  final void submit(Probe probe) {
    probe.startNanos = clock.nanoTime();
    probe.sentNanos = probe.startNanos;
    probe.deadlineNanos = probe.startNanos + probe.timeoutNanos;
    commands.add(probe);
    if (stopping) {
      drainClosed();
      return;
    }
    if (signals.getAndIncrement() == 0) {
      poller.wakeup();
    }
  }

  /** Completes every probe of {@code owner} with CLOSED; any thread. */
  final void cancel(Object owner) {
    commands.add(new Cancel(owner));
    poller.wakeup();
  }

  /** Stops the thread and closes the sockets; pending probes complete with CLOSED. */
  final void shutdown() {
    stopping = true;
    poller.wakeup();
    if (Thread.currentThread() != thread) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public final void run() {
    try {
      while (!stopping) {
        signals.set(0);
        drainCommands();
        int wait = pollTimeoutMillis();
        int ready = poller.poll(wait);
        if (ready > 0) {
          onReady();
        }
        expire();
      }
    } catch (RuntimeException | Error e) {
      LOG.error("{} stopped: {}", thread.getName(), e.toString(), e);
      stopping = true;
    } finally {
      for (Probe p : new ArrayList<>(deadlines)) {
        complete(p, HealthResult.unhealthy(HealthReason.CLOSED, elapsed(p), "checker closed"));
      }
      deadlines.clear();
      drainClosed();
      closeResources();
      poller.close();
    }
  }

  private void drainClosed() {
    Object c;
    while ((c = commands.poll()) != null) {
      if (c instanceof Probe p) {
        p.future.complete(HealthResult.unhealthy(HealthReason.CLOSED, 0, "checker closed"));
      }
    }
  }

  private void drainCommands() {
    Object c;
    int n = 0;
    while (n++ < COMMANDS_PER_TURN && (c = commands.poll()) != null) {
      if (c instanceof Probe p) {
        deadlines.add(p);
        start(p);
      } else if (c instanceof Cancel cancel) {
        List<Probe> mine = new ArrayList<>();
        for (Probe p : deadlines) {
          if (p.owner == cancel.owner()) {
            mine.add(p);
          }
        }
        for (Probe p : mine) {
          complete(p, HealthResult.unhealthy(HealthReason.CLOSED, elapsed(p), "checker closed"));
        }
        deadlines.removeAll(mine);
      }
    }
    if (!commands.isEmpty()) {
      signals.incrementAndGet();
    }
  }

  private int pollTimeoutMillis() {
    if (!commands.isEmpty()) {
      return 0;
    }
    Probe first = deadlines.peek();
    while (first != null && first.done) {
      deadlines.poll();
      first = deadlines.peek();
    }
    if (first == null) {
      return -1;
    }
    long nanos = first.deadlineNanos - clock.nanoTime();
    if (nanos <= 0) {
      return 0;
    }
    return (int) Math.min(Integer.MAX_VALUE, (nanos + 999_999) / 1_000_000);
  }

  private void expire() {
    long now = clock.nanoTime();
    Probe p;
    while ((p = deadlines.peek()) != null && (p.done || p.deadlineNanos - now <= 0)) {
      deadlines.poll();
      if (!p.done) {
        complete(p, timeoutResult(p, now));
      }
    }
  }

  final long elapsed(Probe p) {
    return clock.nanoTime() - p.startNanos;
  }

  /** The round-trip time: from the first packet sent to now. */
  final long roundTrip(Probe p) {
    return clock.nanoTime() - p.sentNanos;
  }

  /** Completes a probe once: frees its key, then completes its future. Engine thread only. */
  final void complete(Probe p, HealthResult result) {
    if (p.done) {
      return;
    }
    p.done = true;
    release(p);
    p.future.complete(result);
  }

  /** Sends the probe's first packet and registers its key; engine thread. */
  abstract void start(Probe p);

  /** Reads what the sockets hold and completes the probes it answers; engine thread. */
  abstract void onReady();

  /** Frees the probe's key (and any per-probe resource); engine thread. */
  abstract void release(Probe p);

  /** The result of a probe that reached its deadline. */
  abstract HealthResult timeoutResult(Probe p, long now);

  /** Closes the sockets; engine thread, once, after the loop ended. */
  abstract void closeResources();
}
