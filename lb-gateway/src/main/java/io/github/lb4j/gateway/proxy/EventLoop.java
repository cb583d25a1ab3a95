package io.github.lb4j.gateway.proxy;

import io.github.lb4j.api.MutableFlowKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread of a {@link ProxyServer}: accepts from every listener (each loop registers
 * every listener; the kernel wakes one or more of them), hands each accepted connection to the loop
 * serving the fewest connections (itself on a tie, as HAProxy's listener multi-queue does, because a
 * loop that wins the accept race would otherwise collect them all), and that loop connects to the
 * backend and relays the connection for its whole life, so a connection never changes thread after
 * it starts.
 *
 * <p>Owns, confined to its thread: the flow key reused for every selection, a pool of direct relay
 * buffers, and the list of its sessions, scanned on a 100 ms tick for connect and idle timeouts. A
 * listener whose accept fails (out of file descriptors) is paused for 100 ms, then twice as long
 * while the failures go on, up to 2 s; a successful accept resets the pause.
 * Other threads reach it only through {@link #execute}.
 */
final class EventLoop implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
  private static final long TICK_MILLIS = 100;
  private static final int MAX_ACCEPTS_PER_EVENT = 64;
  private static final int MAX_POOLED_BUFFERS = 4096;
  /** Accepts pause this long after a failure, doubling while failures go on, up to the maximum. */
  private static final long MIN_ACCEPT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long MAX_ACCEPT_PAUSE_NANOS = TimeUnit.SECONDS.toNanos(2);

  final ProxyServer server;
  final MutableFlowKey flowKey = new MutableFlowKey();
  final Selector selector;
  private final Thread thread;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final ArrayDeque<ByteBuffer> freeBuffers = new ArrayDeque<>();
  private final ArrayList<Session> sessions = new ArrayList<>();
  private final ArrayList<SelectionKey> pausedListeners = new ArrayList<>();
  private long acceptPauseNanos = MIN_ACCEPT_PAUSE_NANOS;
  private long acceptsResumeAt;
  private volatile boolean running = true;
  /**
   * The sessions this loop serves plus those handed to it and not started yet: counted up by the
   * accepting loop at hand-off, so a burst of accepts spreads at once, and down by this loop at close.
   */
  private final AtomicInteger load = new AtomicInteger();
  long now;

  EventLoop(ProxyServer server, int index) throws IOException {
    this.server = server;
    this.selector = Selector.open();
    this.thread = new Thread(this, "lb-proxy-" + index);
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void listen(ServerSocketChannel listener) {
    execute(() -> {
      try {
        listener.register(selector, SelectionKey.OP_ACCEPT, listener);
      } catch (ClosedChannelException e) {
        LOG.debug("listener closed before registration", e);
      }
    });
  }

  /** Stops selecting on every listener; the server closes them afterwards. This loop's thread. */
  void stopAccepting() {
    for (SelectionKey k : selector.keys()) {
      if (k.attachment() instanceof ServerSocketChannel) {
        k.cancel();
      }
    }
    pausedListeners.clear();
  }

  void execute(Runnable task) {
    tasks.add(task);
    selector.wakeup();
  }

  void shutdown() {
    running = false;
    selector.wakeup();
  }

  void awaitTermination() {
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void run() {
    long nextTick = System.nanoTime();
    try {
      while (running) {
        selector.select(this::dispatch, TICK_MILLIS);
        now = System.nanoTime();
        Runnable task;
        while ((task = tasks.poll()) != null) {
          task.run();
        }
        if (now - nextTick >= 0) {
          nextTick = now + TICK_MILLIS * 1_000_000L;
          resumeListeners();
          scanTimeouts();
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.error("event loop {} failed", thread.getName(), e);
    } finally {
      // Connections handed over but not started yet are adopted, so that closing below reaches them.
      Runnable task;
      while ((task = tasks.poll()) != null) {
        try {
          task.run();
        } catch (RuntimeException e) {
          LOG.debug("task at shutdown", e);
        }
      }
      for (int i = sessions.size() - 1; i >= 0; i--) {
        server.cutSessions.increment();
        sessions.get(i).close();
      }
      try {
        selector.close();
      } catch (IOException e) {
        LOG.debug("closing selector", e);
      }
    }
  }

  private void dispatch(SelectionKey key) {
    now = System.nanoTime();
    Object a = key.attachment();
    if (a instanceof Session s) {
      s.handle(key);
    } else if (a instanceof ServerSocketChannel listener) {
      accept(key, listener);
    }
  }

  private void accept(SelectionKey key, ServerSocketChannel listener) {
    for (int i = 0; i < MAX_ACCEPTS_PER_EVENT; i++) {
      SocketChannel client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        // Out of file descriptors and the like: the connection stays in the backlog. Stop accepting
        // for a while, longer while it goes on, instead of spinning on a listener that stays readable.
        server.localShortage("accept a connection", e);
        key.interestOps(0);
        pausedListeners.add(key);
        acceptsResumeAt = now + acceptPauseNanos;
        acceptPauseNanos = Math.min(MAX_ACCEPT_PAUSE_NANOS, acceptPauseNanos * 2);
        return;
      }
      if (client == null) {
        return;
      }
      acceptPauseNanos = MIN_ACCEPT_PAUSE_NANOS;
      server.accepted.increment();
      EventLoop target = server.leastLoadedLoop(this);
      target.load.incrementAndGet();
      if (target == this) {
        adopt(client);
      } else {
        target.execute(() -> target.adopt(client));
      }
    }
  }

  /** Serves an accepted connection on this loop's thread for the rest of its life. */
  void adopt(SocketChannel client) {
    now = System.nanoTime();
    Session s = new Session(this, client);
    add(s);
    s.start();
  }

  /**
   * Returns how many connections this loop serves now; read by other loops to spread new ones.
   *
   * @return the count, exact on this loop's thread, recent elsewhere
   */
  int load() {
    return load.get();
  }

  private void resumeListeners() {
    if (pausedListeners.isEmpty() || now - acceptsResumeAt < 0) {
      return;
    }
    for (int i = 0; i < pausedListeners.size(); i++) {
      SelectionKey k = pausedListeners.get(i);
      if (k.isValid()) {
        k.interestOps(SelectionKey.OP_ACCEPT);
      }
    }
    pausedListeners.clear();
  }

  private void scanTimeouts() {
    long idle = server.idleTimeoutNanos;
    for (int i = sessions.size() - 1; i >= 0; i--) {
      if (i < sessions.size()) {
        sessions.get(i).checkTimeouts(now, idle);
      }
    }
  }

  void add(Session s) {
    s.index = sessions.size();
    sessions.add(s);
  }

  void remove(Session s) {
    int i = s.index;
    if (i < 0) {
      return;
    }
    Session last = sessions.remove(sessions.size() - 1);
    if (last != s) {
      sessions.set(i, last);
      last.index = i;
    }
    s.index = -1;
    load.decrementAndGet();
  }

  ByteBuffer takeBuffer() {
    ByteBuffer b = freeBuffers.pollFirst();
    return b != null ? b : ByteBuffer.allocateDirect(server.bufferSize);
  }

  void giveBuffer(ByteBuffer b) {
    if (freeBuffers.size() < MAX_POOLED_BUFFERS) {
      b.clear();
      freeBuffers.addFirst(b);
    }
  }
}
