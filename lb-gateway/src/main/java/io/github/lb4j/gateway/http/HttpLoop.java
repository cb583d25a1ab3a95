package io.github.lb4j.gateway.http;

import io.github.lb4j.api.Backend;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread of an {@link HttpProxy}, HAProxy's thread model: it accepts from every
 * listener, gives each new client connection to the loop serving the fewest (itself on a tie), and
 * serves its connections ({@link LoopSession}) with non-blocking I/O for their whole life, together
 * with its own keep-alive backend connections (per backend, most recently used first, each watched
 * by the selector while idle so a backend's close is seen before the connection is reused). No
 * lock and no thread hand-off on a request's path; a connection's deadlines are checked on a tick.
 *
 * <p>Confined to its thread, except {@link #execute}, {@link #load} and {@link #idleCount}.
 */
final class HttpLoop implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(HttpLoop.class);
  private static final int ACCEPTS_PER_WAKEUP = 64;
  private static final long ACCEPT_PAUSE_NANOS = 100_000_000L;

  final HttpProxy proxy;
  final Selector selector;
  private final Thread thread;
  private final long tickNanos;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** Work this thread queued for after the current selection (no wake-up needed). */
  private final ArrayDeque<Runnable> deferred = new ArrayDeque<>();
  private final ArrayList<LoopSession> sessions = new ArrayList<>();
  private final HashMap<String, ArrayDeque<Wire>> idle = new HashMap<>();
  private final ArrayList<SelectionKey> pausedListeners = new ArrayList<>();
  private long acceptsResumeAt;
  private final AtomicInteger load = new AtomicInteger();
  private volatile int idleCount;
  private volatile boolean running = true;
  /** System.nanoTime at the latest wake-up: the clock of every deadline on this loop. */
  long now;

  HttpLoop(HttpProxy proxy, int index, long tickNanos) throws IOException {
    this.proxy = proxy;
    this.tickNanos = tickNanos;
    this.selector = Selector.open();
    this.thread = new Thread(this, "lb-http-" + index);
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Runs a task on this loop's thread; any thread. */
  void execute(Runnable task) {
    tasks.add(task);
    selector.wakeup();
  }

  /** Runs a task on this thread once the current selection is dispatched. */
  void defer(Runnable task) {
    deferred.add(task);
  }

  void listen(ServerSocketChannel listener) {
    execute(() -> {
      try {
        listener.register(selector, SelectionKey.OP_ACCEPT, listener);
      } catch (ClosedChannelException e) {
        log.debug("listener closed before it was registered");
      }
    });
  }

  int load() {
    return load.get();
  }

  int idleCount() {
    return idleCount;
  }

  void shutdown() {
    running = false;
    selector.wakeup();
  }

  void join() {
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void run() {
    long tickMillis = Math.max(1, tickNanos / 1_000_000);
    long nextTick = System.nanoTime() + tickNanos;
    try {
      while (running) {
        selector.select(this::dispatch, tickMillis);
        now = System.nanoTime();
        runQueued();
        if (now - nextTick >= 0) {
          nextTick = now + tickNanos;
          tick();
        }
      }
    } catch (IOException | RuntimeException e) {
      log.error("HTTP event loop {} failed", thread.getName(), e);
    } finally {
      runQueued();
      for (int i = sessions.size() - 1; i >= 0; i--) {
        sessions.get(i).close();
      }
      for (ArrayDeque<Wire> q : idle.values()) {
        for (Wire w : q) {
          w.close();
        }
        q.clear();
      }
      idleCount = 0;
      try {
        selector.close();
      } catch (IOException e) {
        log.debug("closing the selector: {}", e.toString());
      }
    }
  }

  private void runQueued() {
    Runnable r;
    while ((r = deferred.poll()) != null || (r = tasks.poll()) != null) {
      r.run();
    }
  }

  private void dispatch(SelectionKey key) {
    now = System.nanoTime();
    Object a = key.attachment();
    if (a instanceof LoopSession s) {
      s.clientReady(key);
    } else if (a instanceof Wire w) {
      LoopSession owner = w.owner;
      if (owner != null) {
        owner.backendReady(key);
      } else {
        idleReady(w);
      }
    } else if (a instanceof ServerSocketChannel l) {
      accept(key, l);
    }
  }

  /**
   * Makes the cancelled keys of channels handed over to blocking I/O leave the selector, so the
   * channels may switch to blocking mode. Events of other keys are dispatched as usual.
   */
  void flushCancelledKeys() throws IOException {
    selector.selectNow(this::dispatch);
  }

  private void accept(SelectionKey key, ServerSocketChannel listener) {
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
      if (!proxy.connections.tryAcquire()) {
        // maxconn reached: new connections wait in the backlog until one ends.
        pause(key, 0);
        return;
      }
      SocketChannel c;
      try {
        c = listener.accept();
      } catch (IOException e) {
        proxy.connections.release();
        // Out of descriptors and the like: the connection stays queued; try again later.
        log.warn("accept on {} failed: {}", proxy.toString(), e.toString());
        pause(key, ACCEPT_PAUSE_NANOS);
        return;
      }
      if (c == null) {
        proxy.connections.release();
        return;
      }
      proxy.opened();
      try {
        c.configureBlocking(false);
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
      } catch (IOException e) {
        log.debug("client connection setup failed: {}", e.toString());
        closeQuietly(c);
        proxy.connectionEnded();
        continue;
      }
      HttpLoop target = proxy.leastLoaded(this);
      target.load.incrementAndGet();
      if (target == this) {
        adopt(c);
      } else {
        target.execute(() -> target.adopt(c));
      }
    }
  }

  private void pause(SelectionKey key, long nanos) {
    key.interestOps(0);
    pausedListeners.add(key);
    acceptsResumeAt = now + nanos;
  }

  private void adopt(SocketChannel c) {
    now = System.nanoTime();
    LoopSession s;
    try {
      s = new LoopSession(this, c);
    } catch (IOException | RuntimeException e) {
      log.debug("client connection setup failed: {}", e.toString());
      closeQuietly(c);
      load.decrementAndGet();
      proxy.connectionEnded();
      return;
    }
    s.index = sessions.size();
    sessions.add(s);
    s.start();
  }

  /** Takes a session off this loop: it ended, or blocking I/O took it over. */
  void remove(LoopSession s) {
    int i = s.index;
    if (i < 0) {
      return;
    }
    LoopSession last = sessions.remove(sessions.size() - 1);
    if (last != s) {
      sessions.set(i, last);
      last.index = i;
    }
    s.index = -1;
    load.decrementAndGet();
  }

  private void tick() {
    if (!pausedListeners.isEmpty() && now - acceptsResumeAt >= 0 && proxy.connections.availablePermits() > 0) {
      for (SelectionKey k : pausedListeners) {
        if (k.isValid()) {
          k.interestOps(SelectionKey.OP_ACCEPT);
        }
      }
      pausedListeners.clear();
    }
    for (int i = sessions.size() - 1; i >= 0; i--) {
      if (i < sessions.size()) {
        sessions.get(i).checkDeadlines(now);
      }
    }
    sweepIdle();
  }

  /** Drain: stop accepting and close the connections waiting for a request. */
  void drain() {
    for (SelectionKey k : selector.keys()) {
      if (k.attachment() instanceof ServerSocketChannel) {
        k.cancel();
      }
    }
    pausedListeners.clear();
    for (int i = sessions.size() - 1; i >= 0; i--) {
      if (i < sessions.size()) {
        sessions.get(i).closeIfIdle();
      }
    }
  }

  // ---- keep-alive backend connections of this loop

  /** A kept connection to the backend, most recently used first, or null. */
  Wire takeIdle(Backend b) {
    ArrayDeque<Wire> q = idle.get(b.id());
    if (q == null) {
      return null;
    }
    Wire w;
    while ((w = q.pollFirst()) != null) {
      idleCount--;
      Backend was = w.backend;
      if (was != null && was.port() == b.port() && was.address().equals(b.address())
          && now - w.idleSinceNanos < proxy.backendIdleNanos && w.channel.isOpen()) {
        w.reused = true;
        return w;
      }
      w.close();
    }
    return null;
  }

  /** Keeps a connection that ended its exchange cleanly, unless the backend has enough kept already. */
  void keepIdle(Backend b, Wire w) {
    w.owner = null;
    ArrayDeque<Wire> q = idle.computeIfAbsent(b.id(), k -> new ArrayDeque<>());
    if (!running || proxy.maxIdlePerBackend == 0 || q.size() >= proxy.maxIdlePerBackend) {
      w.close();
      return;
    }
    w.reused = false;
    w.idleSinceNanos = now;
    q.addFirst(w);
    idleCount++;
  }

  /** An idle kept connection became readable: the backend closed it, or sent what nobody asked for. */
  private void idleReady(Wire w) {
    int n;
    try {
      w.pos = w.lim = 0;
      n = w.readSome();
    } catch (IOException e) {
      n = -1;
    }
    if (n == 0) {
      return;
    }
    Backend b = w.backend;
    ArrayDeque<Wire> q = b == null ? null : idle.get(b.id());
    if (q != null && q.remove(w)) {
      idleCount--;
    }
    w.close();
  }

  /** Closes kept connections idle longer than the backend idle timeout (the oldest are last). */
  private void sweepIdle() {
    for (ArrayDeque<Wire> q : idle.values()) {
      Wire w;
      while ((w = q.peekLast()) != null && now - w.idleSinceNanos >= proxy.backendIdleNanos) {
        q.pollLast();
        idleCount--;
        w.close();
      }
    }
  }

  static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // discarded anyway
    }
  }
}
