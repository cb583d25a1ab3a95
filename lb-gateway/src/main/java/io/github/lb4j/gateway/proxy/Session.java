package io.github.lb4j.gateway.proxy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Protocol;
import io.github.lb4j.pool.Lease;
import io.github.lb4j.pool.Outcome;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection and its backend connection: connect (with retries on other backends), then
 * relay both ways with half-close. Confined to its {@link EventLoop}'s thread.
 *
 * <p>Each backend connection is a connection lease of the proxy's pool: established when the
 * handshake completes, completed as a failure when the connect is refused or times out (the next
 * attempt then excludes every backend tried), cancelled when the proxy's own shortage or the client
 * ended it first, and completed as a success when a relayed connection closes.
 *
 * <p>Each direction has one pooled direct buffer kept in fill mode. A source is read only while its
 * buffer has room, and its destination is asked for OP_WRITE only while the buffer holds bytes, so a
 * slow reader stops its writer (backpressure) without any copy or queue. When a source reaches
 * end-of-stream and its buffer is flushed, the proxy shuts down output towards the other side (the
 * FIN travels on); the session ends when both directions have been shut down, or at once on an
 * error (a reset on either side).
 */
final class Session {

  private static final Logger LOG = LoggerFactory.getLogger(Session.class);

  private static final int CONNECTING = 0;
  private static final int RELAYING = 1;
  private static final int CLOSED = 2;

  private final EventLoop loop;
  private final SocketChannel client;
  private @Nullable SelectionKey clientKey;
  private @Nullable SocketChannel backend;
  private @Nullable SelectionKey backendKey;
  private @Nullable Lease lease;
  private @Nullable InetSocketAddress clientAddress;
  private @Nullable InetSocketAddress localAddress;
  private @Nullable ByteBuffer up;
  private @Nullable ByteBuffer down;
  /** The backends tried so far; made on the first retry. */
  private @Nullable List<Backend> tried;
  private int attempts;
  private int state = CONNECTING;
  private boolean clientEof;
  private boolean backendEof;
  private boolean backendShut;
  private boolean clientShut;
  private int clientOps = -1;
  private int backendOps = -1;
  private long connectStarted;
  private long lastActivity;
  int index = -1;

  Session(EventLoop loop, SocketChannel client) {
    this.loop = loop;
    this.client = client;
  }

  void start() {
    try {
      client.configureBlocking(false);
      client.setOption(StandardSocketOptions.TCP_NODELAY, true);
      clientAddress = (InetSocketAddress) client.getRemoteAddress();
      localAddress = (InetSocketAddress) client.getLocalAddress();
      clientKey = client.register(loop.selector, 0, this);
    } catch (IOException e) {
      LOG.debug("client gone before it was served", e);
      reject();
      return;
    }
    lastActivity = loop.now;
    connectNext();
  }

  /** Leases a backend not tried yet and starts connecting to it; rejects the client when none is left. */
  private void connectNext() {
    ProxyServer server = loop.server;
    while (attempts < server.connectAttempts) {
      Lease l = pick();
      if (!l.isGranted()) {
        LOG.debug("no backend for {}: {}", clientAddress, l.status());
        break;
      }
      if (attempts > 0) {
        server.retries.increment();
      }
      attempts++;
      if (connect(l)) {
        return;
      }
    }
    reject();
  }

  /**
   * Leases a backend for this client's flow, never one tried already: the pool re-hashes the flow
   * per attempt for hashing schedulers and falls back to any eligible backend (HAProxy's
   * redispatch), so a deterministic scheduler does not answer with the backend that just failed.
   */
  private Lease pick() {
    InetSocketAddress c = clientAddress;
    InetSocketAddress l = localAddress;
    if (c == null || l == null) {
      return loop.server.pool().connect(loop.flowKey);
    }
    loop.flowKey.set(Protocol.TCP, c.getAddress(), c.getPort(), l.getAddress(), l.getPort());
    List<Backend> t = tried;
    return t == null ? loop.server.pool().connect(loop.flowKey) : loop.server.pool().connect(loop.flowKey, t);
  }

  private void remember(Backend b) {
    List<Backend> t = tried;
    if (t == null) {
      t = new ArrayList<>(loop.server.connectAttempts);
      tried = t;
    }
    t.add(b);
  }

  /** Returns false when the attempt failed at once (the next one should be made). */
  private boolean connect(Lease l) {
    ProxyServer server = loop.server;
    Backend b = l.backend();
    remember(b);
    SocketChannel ch;
    try {
      ch = SocketChannel.open();
    } catch (IOException e) {
      // The proxy's own shortage (no descriptor left): not the backend's failure, and another
      // backend would fail alike, so the client is refused without a retry.
      l.complete(Outcome.CANCELLED, 0);
      server.localShortage("open a backend connection", e);
      attempts = server.connectAttempts;
      return false;
    }
    lease = l;
    connectStarted = loop.now;
    boolean done;
    try {
      backend = ch;
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      done = ch.connect(b.socketAddress());
      backendKey = ch.register(loop.selector, done ? 0 : SelectionKey.OP_CONNECT, this);
      backendOps = -1;
    } catch (IOException e) {
      if (ProxyServer.isLocalShortage(e)) {
        server.localShortage("connect to a backend", e);
        undoAttempt();
        attempts = server.connectAttempts;
        return false;
      }
      connectFailed(e.getMessage(), false);
      return false;
    }
    if (done) {
      try {
        connected();
      } catch (IOException e) {
        close();
      }
    }
    return true;
  }

  private void connected() throws IOException {
    Lease l = lease;
    if (l != null) {
      l.established(loop.now - connectStarted);
    }
    state = RELAYING;
    up = loop.takeBuffer();
    down = loop.takeBuffer();
    InetSocketAddress c = clientAddress;
    InetSocketAddress local = localAddress;
    if (c != null && local != null) {
      loop.server.proxyProtocol.write(c, local, up);
    }
    lastActivity = loop.now;
    // The client usually sent its request while the backend connection was being made: read it now
    // instead of after one more trip through the selector (HAProxy's speculative I/O). An empty
    // read costs one syscall that returns at once.
    readClient();
    updateInterest();
  }

  /** Forgets the current attempt without blaming its backend. */
  private void undoAttempt() {
    Lease l = lease;
    if (l != null) {
      l.complete(Outcome.CANCELLED, 0);
    }
    lease = null;
    closeQuietly(backend);
    backend = null;
    backendKey = null;
  }

  /** Gives up on the current backend; the caller decides whether to try the next one. */
  private void connectFailed(@Nullable String why, boolean timeout) {
    ProxyServer server = loop.server;
    server.connectFailures.increment();
    if (timeout) {
      server.connectTimeouts.increment();
    }
    Lease l = lease;
    if (l != null) {
      server.connectFailed(l.backendId());
      LOG.debug("connect to {} failed: {}", l.backend(), why);
      l.complete(Outcome.FAILURE, loop.now - connectStarted);
    }
    lease = null;
    closeQuietly(backend);
    backend = null;
    backendKey = null;
  }

  void handle(SelectionKey key) {
    if (state == CLOSED || !key.isValid()) {
      return;
    }
    try {
      if (state == CONNECTING) {
        if (key == backendKey && key.isConnectable()) {
          SocketChannel ch = backend;
          boolean done;
          try {
            done = ch != null && ch.finishConnect();
          } catch (IOException e) {
            connectFailed(e.getMessage(), false);
            connectNext();
            return;
          }
          if (done) {
            connected();
          }
        }
        return;
      }
      int ready = key.readyOps();
      if (key == clientKey) {
        if ((ready & SelectionKey.OP_READ) != 0) {
          readClient();
        }
        if ((ready & SelectionKey.OP_WRITE) != 0) {
          flushDown();
        }
      } else {
        if ((ready & SelectionKey.OP_READ) != 0) {
          readBackend();
        }
        if ((ready & SelectionKey.OP_WRITE) != 0) {
          flushUp();
        }
      }
      if (backendShut && clientShut) {
        close();
      } else {
        updateInterest();
      }
    } catch (IOException e) {
      LOG.debug("relay ended by an error: {}", e.getMessage());
      close();
    }
  }

  private void readClient() throws IOException {
    ByteBuffer buf = up;
    if (buf == null || clientEof || !buf.hasRemaining()) {
      return;
    }
    int n = client.read(buf);
    if (n < 0) {
      clientEof = true;
    } else if (n > 0) {
      lastActivity = loop.now;
    }
    flushUp();
  }

  private void readBackend() throws IOException {
    ByteBuffer buf = down;
    SocketChannel ch = backend;
    if (buf == null || ch == null || backendEof || !buf.hasRemaining()) {
      return;
    }
    int n = ch.read(buf);
    if (n < 0) {
      backendEof = true;
    } else if (n > 0) {
      lastActivity = loop.now;
    }
    flushDown();
  }

  /** Writes what the client sent to the backend; forwards the client's FIN once all is written. */
  private void flushUp() throws IOException {
    ByteBuffer buf = up;
    SocketChannel ch = backend;
    if (buf == null || ch == null) {
      return;
    }
    if (buf.position() > 0) {
      buf.flip();
      ch.write(buf);
      buf.compact();
    }
    if (buf.position() == 0 && clientEof && !backendShut) {
      ch.shutdownOutput();
      backendShut = true;
    }
  }

  /** Writes what the backend sent to the client; forwards the backend's FIN once all is written. */
  private void flushDown() throws IOException {
    ByteBuffer buf = down;
    if (buf == null) {
      return;
    }
    if (buf.position() > 0) {
      buf.flip();
      client.write(buf);
      buf.compact();
    }
    if (buf.position() == 0 && backendEof && !clientShut) {
      client.shutdownOutput();
      clientShut = true;
    }
  }

  private void updateInterest() {
    ByteBuffer u = up;
    ByteBuffer d = down;
    SelectionKey ck = clientKey;
    SelectionKey bk = backendKey;
    if (u == null || d == null || ck == null || bk == null) {
      return;
    }
    int c = (!clientEof && u.hasRemaining() ? SelectionKey.OP_READ : 0) | (d.position() > 0 ? SelectionKey.OP_WRITE : 0);
    int b = (!backendEof && d.hasRemaining() ? SelectionKey.OP_READ : 0) | (u.position() > 0 ? SelectionKey.OP_WRITE : 0);
    if (c != clientOps) {
      ck.interestOps(c);
      clientOps = c;
    }
    if (b != backendOps) {
      bk.interestOps(b);
      backendOps = b;
    }
  }

  void checkTimeouts(long now, long idleNanos) {
    if (state == CONNECTING) {
      if (backend != null && now - connectStarted >= loop.server.connectTimeoutNanos) {
        connectFailed("connect timeout", true);
        connectNext();
      }
    } else if (state == RELAYING && idleNanos > 0 && now - lastActivity >= idleNanos) {
      loop.server.idleTimeouts.increment();
      close();
    }
  }

  private void reject() {
    loop.server.rejected.increment();
    close();
  }

  void close() {
    if (state == CLOSED) {
      return;
    }
    boolean wasRelaying = state == RELAYING;
    state = CLOSED;
    loop.remove(this);
    loop.server.closedSessions.increment();
    loop.server.sessionEnded();
    closeQuietly(client);
    closeQuietly(backend);
    Lease l = lease;
    if (l != null) {
      // A relayed connection served; one still connecting was abandoned by the client or the proxy.
      l.complete(wasRelaying ? Outcome.SUCCESS : Outcome.CANCELLED, 0);
      lease = null;
    }
    ByteBuffer u = up;
    ByteBuffer d = down;
    if (u != null) {
      loop.giveBuffer(u);
    }
    if (d != null) {
      loop.giveBuffer(d);
    }
    up = null;
    down = null;
  }

  private static void closeQuietly(@Nullable SocketChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        LOG.debug("close", e);
      }
    }
  }
}
