package io.github.lb4j.pool;

import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's serialized control context, gRPC-java's {@code SynchronizationContext}
 * (api/src/main/java/io/grpc/SynchronizationContext.java): tasks go into a queue and run one at a
 * time, in order, each seeing everything the ones before it wrote. Without an executor, the thread
 * that enqueues drains the queue unless another thread is draining it already, so the pool needs no
 * thread of its own; with an executor, draining runs there.
 *
 * <p>A task that enqueues another runs it after itself, never nested. A task that throws is logged;
 * the queue goes on. Any thread may call any method; {@link #execute} never blocks (it may run tasks
 * on the caller's stack) and allocates one queue node.
 */
final class ControlContext implements Executor {

  private static final Logger LOG = LoggerFactory.getLogger(ControlContext.class);

  private final Queue<Runnable> queue = new ConcurrentLinkedQueue<>();
  private final AtomicReference<@Nullable Thread> drainer = new AtomicReference<>();
  private final @Nullable Executor executor;

  ControlContext(@Nullable Executor executor) {
    this.executor = executor;
  }

  @Override
  public void execute(Runnable task) {
    queue.add(task);
    Executor e = executor;
    if (e == null) {
      drain();
      return;
    }
    try {
      e.execute(this::drain);
    } catch (RejectedExecutionException rejected) {
      LOG.warn("control executor rejected a task; the pool's queue keeps it for the next accepted drain", rejected);
    }
  }

  /**
   * Enqueues a task and returns a future completed when it has run (exceptionally with what it
   * threw). Joining the future from a task of this context would wait for itself.
   */
  CompletableFuture<Void> submit(Runnable task) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    execute(() -> {
      try {
        task.run();
        done.complete(null);
      } catch (RuntimeException e) {
        done.completeExceptionally(e);
      }
    });
    return done;
  }

  /** Whether the calling thread is running this context's tasks now. */
  boolean inContext() {
    return drainer.get() == Thread.currentThread();
  }

  private void drain() {
    do {
      if (!drainer.compareAndSet(null, Thread.currentThread())) {
        return;
      }
      try {
        Runnable task;
        while ((task = queue.poll()) != null) {
          try {
            task.run();
          } catch (RuntimeException e) {
            LOG.error("pool control task failed", e);
          }
        }
      } finally {
        drainer.set(null);
      }
    } while (!queue.isEmpty());
  }
}
