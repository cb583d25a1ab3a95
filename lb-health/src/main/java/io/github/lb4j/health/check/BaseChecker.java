package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every checker of lb-health shares: the loop reference, the set of checks in flight (closed
 * with {@link HealthReason#CLOSED} by {@link #close()}), argument checks.
 *
 * <p>{@link #check} and {@link #close} may be called from any thread; {@code check} allocates the
 * future and the probe and never blocks. {@code close} waits briefly for the loop thread to stop
 * when it held the last reference.
 */
abstract class BaseChecker implements HealthChecker {

  final CheckLoop loop = CheckLoop.acquire();
  private final String name;
  private final Set<Probe> inflight = new HashSet<>();
  private final Set<Closeable> blockingSockets = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  BaseChecker(String name) {
    this.name = name;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final CompletableFuture<HealthResult> check(InetSocketAddress target, Duration timeout) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(name + ": timeout must be positive, was " + timeout);
    }
    if (target.isUnresolved()) {
      return CompletableFuture.completedFuture(
          HealthResult.unhealthy(HealthReason.UNREACHABLE, 0, "unresolved address " + target.getHostString()));
    }
    long timeoutNanos = saturatedNanos(timeout);
    synchronized (this) {
      if (closed) {
        return CompletableFuture.completedFuture(HealthResult.unhealthy(HealthReason.CLOSED, 0, "checker closed"));
      }
      return start(target, timeoutNanos);
    }
  }

  /** Starts one check; called under the checker's lock while it is open. */
  CompletableFuture<HealthResult> start(InetSocketAddress target, long timeoutNanos) {
    Probe p = newProbe(target, timeoutNanos);
    loop.execute(() -> {
      if (closed) {
        p.abandon();
      } else {
        inflight.add(p);
        p.begin();
      }
    });
    return p.future;
  }

  /** Creates the per-check state machine; overridden by the non-blocking checkers. */
  Probe newProbe(InetSocketAddress target, long timeoutNanos) {
    throw new UnsupportedOperationException(name + " has no non-blocking probe");
  }

  /** Loop thread: a probe completed. */
  final void forget(Probe p) {
    inflight.remove(p);
  }

  final boolean isClosed() {
    return closed;
  }

  /** Tracks a blocking socket so that {@link #close()} can unblock the thread using it. */
  final boolean track(Closeable socket) {
    blockingSockets.add(socket);
    if (closed) {
      blockingSockets.remove(socket);
      return false;
    }
    return true;
  }

  final void untrack(Closeable socket) {
    blockingSockets.remove(socket);
  }

  @Override
  public final void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    loop.execute(() -> {
      for (Probe p : new ArrayList<>(inflight)) {
        p.abandon();
      }
    });
    for (Closeable c : new ArrayList<>(blockingSockets)) {
      try {
        c.close();
      } catch (IOException ignored) {
        // The socket was already closed by its check.
      }
    }
    loop.release();
  }

  static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 4;
    }
  }

  @Override
  public String toString() {
    return name + "-checker";
  }
}
