package io.github.lb4j.gateway.http;

import io.github.lb4j.api.Backend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Idle keep-alive connections to backends, per backend (by id, checked against the address, so a
 * backend that moves never gets its old connections), last in first out: the most recently used connection is
 * the one least likely to have been closed by the backend's own idle timeout. A connection is
 * reused only when it is younger than the idle timeout and a non-blocking read finds it still open
 * and silent (skipped for a resendable request on a connection idle under a second); at most {@code maxIdle} per backend are kept, the rest are closed.
 *
 * <p>Any thread. Acquire and release never block (connect does); they allocate nothing once a
 * backend's deque exists.
 */
final class BackendConnections implements AutoCloseable {

  private static final class Idle {
    final InetSocketAddress address;
    final ConcurrentLinkedDeque<Wire> wires = new ConcurrentLinkedDeque<>();
    final AtomicInteger count = new AtomicInteger();

    Idle(InetSocketAddress address) {
      this.address = address;
    }
  }

  /** A connection idle for less than this is reused without the liveness read (see acquire). */
  static final long FRESH_NANOS = 1_000_000_000L;

  /** Idle connections by backend id; a backend that moves gets a new entry and its old connections closed. */
  private final ConcurrentHashMap<String, Idle> idle = new ConcurrentHashMap<>();
  private final int maxIdle;
  private final long idleNanos;
  private final int bufferSize;
  private final int maxBuffer;
  private volatile boolean closed;

  BackendConnections(int maxIdle, long idleNanos, int bufferSize, int maxBuffer) {
    this.maxIdle = maxIdle;
    this.idleNanos = idleNanos;
    this.bufferSize = bufferSize;
    this.maxBuffer = maxBuffer;
  }

  private static boolean sameAddress(Idle i, Backend b) {
    return i.address.getPort() == b.port() && i.address.getAddress().equals(b.address());
  }

  /**
   * A reusable idle connection to the backend, or null.
   *
   * @param retryable whether the request could be sent again on a new connection if this one turns
   *     out to be closed (idempotent, no body): then a connection idle for less than a second is
   *     reused without the liveness read, a system call saved per request; backends close idle
   *     connections after seconds, and the rare race is absorbed by that resend
   */
  @Nullable Wire acquire(Backend b, boolean retryable) {
    Idle i = idle.get(b.id());
    if (i == null || !sameAddress(i, b)) {
      return null;
    }
    long now = System.nanoTime();
    Wire w;
    while ((w = i.wires.pollFirst()) != null) {
      i.count.decrementAndGet();
      long age = now - w.idleSinceNanos;
      if (age < idleNanos && ((retryable && age < FRESH_NANOS && w.buffered() == 0) || w.idleAndOpen())) {
        w.reused = true;
        return w;
      }
      w.close();
    }
    return null;
  }

  /** Opens a new connection. */
  Wire connect(Backend b, int timeoutMillis) throws IOException {
    SocketChannel ch = SocketChannel.open();
    try {
      ch.socket().connect(new InetSocketAddress(b.address(), b.port()), timeoutMillis);
      ch.socket().setTcpNoDelay(true);
      return new Wire(ch, bufferSize, maxBuffer);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** Keeps a connection that ended its exchange cleanly, or closes it when the backend has enough. */
  void release(Backend b, Wire w) {
    if (closed || maxIdle == 0) {
      w.close();
      return;
    }
    Idle i = idle.get(b.id());
    if (i == null || !sameAddress(i, b)) {
      i = moved(b);
    }
    if (i.count.incrementAndGet() > maxIdle) {
      i.count.decrementAndGet();
      w.close();
      return;
    }
    w.idleSinceNanos = System.nanoTime();
    i.wires.offerFirst(w);
    if (closed || idle.get(b.id()) != i) {
      // closed, or the backend moved meanwhile: nobody would take it from this deque
      if (i.wires.remove(w)) {
        i.count.decrementAndGet();
      }
      w.close();
    }
  }

  /** The deque for a backend seen for the first time or at a new address (the old one's connections closed). */
  private Idle moved(Backend b) {
    return idle.compute(b.id(), (id, cur) -> {
      if (cur != null && sameAddress(cur, b)) {
        return cur;
      }
      if (cur != null) {
        closeAll(cur);
      }
      return new Idle(new InetSocketAddress(b.address(), b.port()));
    });
  }

  /** Closes idle connections older than the idle timeout (oldest are at the tail). */
  void sweep() {
    long now = System.nanoTime();
    for (Idle i : idle.values()) {
      Wire w;
      while ((w = i.wires.peekLast()) != null && now - w.idleSinceNanos >= idleNanos) {
        if (i.wires.removeLastOccurrence(w)) {
          i.count.decrementAndGet();
          w.close();
        }
      }
    }
  }

  /** Idle connections now, over all backends. */
  int idleCount() {
    int n = 0;
    for (Idle i : idle.values()) {
      n += i.count.get();
    }
    return n;
  }

  private static void closeAll(Idle i) {
    Wire w;
    while ((w = i.wires.pollFirst()) != null) {
      i.count.decrementAndGet();
      w.close();
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Idle i : idle.values()) {
      closeAll(i);
    }
  }
}
