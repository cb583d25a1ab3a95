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
 * Idle keep-alive connections to backends, per backend (keyed by id and address, so a backend that
 * moves never gets its old connections), last in first out: the most recently used connection is
 * the one least likely to have been closed by the backend's own idle timeout. A connection is
 * reused only when it is younger than the idle timeout and a non-blocking read finds it still open
 * and silent; at most {@code maxIdle} per backend are kept, the rest are closed.
 *
 * <p>Any thread. Acquire and release never block (connect does); they allocate nothing once a
 * backend's deque exists.
 */
final class BackendConnections implements AutoCloseable {

  private static final class Idle {
    final ConcurrentLinkedDeque<Wire> wires = new ConcurrentLinkedDeque<>();
    final AtomicInteger count = new AtomicInteger();
  }

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

  private static String key(Backend b) {
    return b.id() + '@' + b.address().getHostAddress() + ':' + b.port();
  }

  /** A reusable idle connection to the backend, or null. */
  @Nullable Wire acquire(Backend b) {
    Idle i = idle.get(key(b));
    if (i == null) {
      return null;
    }
    long now = System.nanoTime();
    Wire w;
    while ((w = i.wires.pollFirst()) != null) {
      i.count.decrementAndGet();
      if (now - w.idleSinceNanos < idleNanos && w.idleAndOpen()) {
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
      return new Wire(ch.socket(), ch, bufferSize, maxBuffer);
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
    Idle i = idle.computeIfAbsent(key(b), k -> new Idle());
    if (i.count.incrementAndGet() > maxIdle) {
      i.count.decrementAndGet();
      w.close();
      return;
    }
    w.idleSinceNanos = System.nanoTime();
    i.wires.offerFirst(w);
    if (closed) {
      close();
    }
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

  @Override
  public void close() {
    closed = true;
    for (Idle i : idle.values()) {
      Wire w;
      while ((w = i.wires.pollFirst()) != null) {
        i.count.decrementAndGet();
        w.close();
      }
    }
  }
}
