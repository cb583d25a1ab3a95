package io.github.lb4j.health.check;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one event-loop thread shared by every open checker of the process: a {@link Selector} for
 * the non-blocking checks, a deadline queue for their timeouts, and a small lazily started pool for
 * the TLS checks, which run on blocking sockets.
 *
 * <p>Reference counted: the first {@link #acquire()} starts the thread, the last {@link #release()}
 * stops it and its pool, so a process with no open checker has no lb4j thread. {@link #execute} may
 * be called from any thread; everything else runs on the loop thread. No thread per target: 10,000
 * targets share this thread.
 */
final class CheckLoop implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(CheckLoop.class);

  /** Blocking TLS checks in parallel at most; a queued check that outlives its deadline times out. */
  static final int BLOCKING_THREADS = 4;

  private static final Object LOCK = new Object();
  private static @Nullable CheckLoop shared;
  private static int references;

  private final Selector selector;
  private final Thread thread;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private final PriorityQueue<Deadline> deadlines = new PriorityQueue<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(16 * 1024);
  private final AtomicInteger blockingSeq = new AtomicInteger();
  private volatile boolean running = true;
  private @Nullable ThreadPoolExecutor blocking;

  private CheckLoop() {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("health checks: cannot open a selector", e);
    }
    thread = new Thread(this, "lb4j-health-loop");
    thread.setDaemon(true);
    thread.start();
  }

  /** Returns the shared loop, starting it when no checker holds it. */
  static CheckLoop acquire() {
    synchronized (LOCK) {
      CheckLoop loop = shared;
      if (loop == null) {
        loop = new CheckLoop();
        shared = loop;
      }
      references++;
      return loop;
    }
  }

  /** Gives back one reference; the last one stops the thread and waits (briefly) for it to end. */
  void release() {
    boolean stop;
    synchronized (LOCK) {
      stop = --references == 0 && shared == this;
      if (stop) {
        shared = null;
      }
    }
    if (stop) {
      execute(() -> running = false);
      ExecutorService pool;
      synchronized (this) {
        pool = blocking;
      }
      if (pool != null) {
        pool.shutdown();
      }
      if (Thread.currentThread() != thread) {
        try {
          thread.join(2_000);
          if (pool != null) {
            pool.awaitTermination(2, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Runs a task on the loop thread, after the tasks already queued. Any thread. */
  void execute(Runnable task) {
    tasks.add(task);
    if (Thread.currentThread() != thread && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  /** Runs a blocking task on the small TLS pool. Any thread. */
  void executeBlocking(Runnable task) {
    ThreadPoolExecutor pool;
    synchronized (this) {
      pool = blocking;
      if (pool == null) {
        pool = new ThreadPoolExecutor(BLOCKING_THREADS, BLOCKING_THREADS, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "lb4j-health-tls-" + blockingSeq.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
        pool.allowCoreThreadTimeOut(true);
        blocking = pool;
      }
    }
    pool.execute(task);
  }

  /** Registers a channel with the loop's selector; loop thread only. */
  SelectionKey register(SelectableChannel channel, int ops, Object attachment) throws IOException {
    return channel.register(selector, ops, attachment);
  }

  /** Arms a deadline; loop thread only. The action runs on the loop unless cancelled first. */
  Deadline schedule(long deadlineNanos, Runnable action) {
    Deadline d = new Deadline(deadlineNanos, action);
    deadlines.add(d);
    return d;
  }

  /** The loop's read buffer, cleared; loop thread only, valid until the handler returns. */
  ByteBuffer readBuffer() {
    readBuffer.clear();
    return readBuffer;
  }

  @Override
  public void run() {
    try {
      while (running) {
        Deadline next = deadlines.peek();
        if (tasks.isEmpty()) {
          if (next == null) {
            selector.select();
          } else {
            long waitNanos = next.at - System.nanoTime();
            if (waitNanos > 0) {
              selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos + 999_999)));
            } else {
              selector.selectNow();
            }
          }
        } else {
          selector.selectNow();
        }
        wakeupPending.set(false);
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey key = it.next();
          it.remove();
          Object a = key.attachment();
          if (a instanceof Probe) {
            ((Probe) a).ready(key);
          }
        }
        Runnable task;
        while ((task = tasks.poll()) != null) {
          runSafely(task);
        }
        long now = System.nanoTime();
        Deadline d;
        while ((d = deadlines.peek()) != null && d.at - now <= 0) {
          deadlines.poll();
          if (!d.cancelled) {
            d.cancelled = true;
            runSafely(d.action);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.error("health check loop failed", e);
    } finally {
      Runnable task;
      while ((task = tasks.poll()) != null) {
        runSafely(task);
      }
      for (SelectionKey key : selector.keys()) {
        Object a = key.attachment();
        if (a instanceof Probe) {
          ((Probe) a).abandon();
        }
      }
      try {
        selector.close();
      } catch (IOException e) {
        LOG.debug("closing the health check selector", e);
      }
    }
  }

  private static void runSafely(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      LOG.error("health check task failed", e);
    }
  }

  /** A timer entry, cancelled lazily: a cancelled entry stays queued until its time and is skipped. */
  static final class Deadline implements Comparable<Deadline> {
    final long at;
    final Runnable action;
    boolean cancelled;

    Deadline(long at, Runnable action) {
      this.at = at;
      this.action = action;
    }

    void cancel() {
      cancelled = true;
    }

    @Override
    public int compareTo(Deadline o) {
      return Long.compare(at - o.at, 0);
    }
  }
}
