package io.github.lb4j.gateway.http;

import io.github.lb4j.api.Backend;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.pool.Lease;
import io.github.lb4j.pool.Outcome;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection served by an {@link HttpLoop} with non-blocking I/O: a state machine over
 * the request head (scanned incrementally as bytes arrive, {@link Wire#scanHead}), the pick and its
 * retries, the backend connect, the request write, the response head and a Content-Length body,
 * relayed with back-pressure both ways. It follows {@link ClientSession}'s rules to the byte (the
 * checks, rewrites, error pages and retry decisions are the same methods) and hands the connection
 * over to one on a virtual thread for what it does not do itself: a request with a body, a response
 * that is chunked or ends with the close.
 *
 * <p>Confined to its loop's thread. Per request it allocates the parsed head and the attempt.
 */
final class LoopSession {

  private static final Logger log = LoggerFactory.getLogger(LoopSession.class);

  private static final int HEAD = 0;
  private static final int CONNECTING = 1;
  private static final int SENDING = 2;
  private static final int WAITING = 3;
  private static final int BODY = 4;
  private static final int LINGER = 5;
  private static final int CLOSING = 6;
  private static final int DONE = 7;

  private static final int LINGER_MAX_BYTES = 1 << 20;

  private final HttpLoop loop;
  private final HttpProxy proxy;
  private final Wire client;
  private final SelectionKey key;
  private final InetAddress clientIp;
  private final String clientHost;
  private final String localHost;
  int index = -1;

  private int state = HEAD;
  private int served;
  /** The deadline of the current state (System.nanoTime), or 0. */
  private long deadline;
  /** Since when output to the client waits for the client to read (never 0 while it does), or 0. */
  private long stalledSince;
  private boolean headStarted;
  private boolean clientEof;
  private boolean readPaused;
  private int lingerDropped;

  // The request in progress.
  private ClientSession.@Nullable Attempt attempt;
  private boolean keep;
  private boolean idempotent;
  private long hashKey;
  private @Nullable List<Backend> excluded;
  private int tries;
  private int lastStatus;
  private String lastReason = "";
  private boolean responseStarted;
  private @Nullable Backend backend;
  private @Nullable Wire be;
  private long t0;
  private boolean freshRetryDone;
  private boolean responseHeadStarted;

  // The response in progress.
  private long remaining;
  private boolean responseKeep;
  private boolean backendReusable;
  private Outcome outcome = Outcome.SUCCESS;
  private long headNanos;
  private long sentBefore;

  LoopSession(HttpLoop loop, SocketChannel channel) throws IOException {
    this.loop = loop;
    this.proxy = loop.proxy;
    this.client = new Wire(channel, proxy.bufferSize, proxy.limits.maxHeadBytes());
    client.nonBlocking = true;
    this.clientIp = ((InetSocketAddress) channel.getRemoteAddress()).getAddress();
    this.clientHost = Endpoints.host(clientIp);
    this.localHost = Endpoints.host(((InetSocketAddress) channel.getLocalAddress()).getAddress());
    this.key = channel.register(loop.selector, SelectionKey.OP_READ, this);
  }

  void start() {
    // The first request's head must arrive within the header timeout from the accept.
    deadline = loop.now + proxy.headerNanos;
  }

  // ---- events

  void clientReady(SelectionKey k) {
    try {
      int ready = k.readyOps();
      if ((ready & SelectionKey.OP_WRITE) != 0 && !clientWritable()) {
        return;
      }
      if ((ready & SelectionKey.OP_READ) != 0 && state != DONE) {
        clientReadable();
      }
    } catch (RuntimeException e) {
      internalError(e);
    }
  }

  void backendReady(SelectionKey k) {
    try {
      int ready = k.readyOps();
      switch (state) {
        case CONNECTING -> {
          if ((ready & SelectionKey.OP_CONNECT) != 0) {
            connected();
          }
        }
        case SENDING -> {
          if ((ready & SelectionKey.OP_WRITE) != 0) {
            sendMore();
          }
        }
        case WAITING -> readResponse();
        case BODY -> pump();
        default -> {
          // not expecting the backend now: nothing to do until the state wants it
        }
      }
    } catch (RuntimeException e) {
      internalError(e);
    }
  }

  private void clientReadable() {
    switch (state) {
      case HEAD -> readRequest();
      case LINGER -> lingerRead();
      default -> {
        // An exchange is in progress: keep what the client pipelines, note its close.
        int n;
        try {
          n = client.full() ? 0 : client.readSome();
        } catch (IOException e) {
          n = -1;
        }
        if (n < 0) {
          clientEof = true;
        }
        if (n < 0 || client.full()) {
          readPaused = true;
          updateClientInterest();
        }
      }
    }
  }

  /** Output drained or not; returns false when the session ended. */
  private boolean clientWritable() {
    if (!flushClient()) {
      return state != DONE;
    }
    switch (state) {
      case BODY -> {
        Wire w = be;
        if (w != null && w.key != null) {
          interest(w.key, SelectionKey.OP_READ);
        }
        pump();
      }
      case HEAD -> nextRequest();
      case LINGER -> shutdownOutput();
      case CLOSING -> close();
      default -> {
        // an interim response went out; the exchange goes on
      }
    }
    return state != DONE;
  }

  // ---- requests

  private void readRequest() {
    int n;
    try {
      n = client.readSome();
    } catch (IOException e) {
      close();
      return;
    }
    if (n < 0) {
      clientEof = true;
      if (client.headStarted()) {
        refuse(400, "connection closed within the request head");
      } else {
        close();
      }
      return;
    }
    if (n > 0 && !headStarted) {
      headStarted = true;
      deadline = loop.now + proxy.headerNanos;
    }
    if (client.olen == 0) {
      tryRequest();
    }
  }

  /** Back to waiting for a request; serves one already buffered (pipelined). */
  private void nextRequest() {
    state = HEAD;
    attempt = null;
    backend = null;
    if (proxy.draining) {
      closeAfterFlush();
      return;
    }
    client.beginHead();
    headStarted = client.headStarted();
    deadline = loop.now + (headStarted ? proxy.headerNanos : proxy.keepAliveNanos);
    if (readPaused && !clientEof) {
      readPaused = false;
      updateClientInterest();
    }
    if (client.olen != 0) {
      return;
    }
    if (headStarted) {
      tryRequest();
    } else if (clientEof) {
      close();
    }
  }

  private void tryRequest() {
    Head req;
    try {
      req = client.scanHead(true, proxy.limits);
    } catch (HttpError e) {
      refuse(e.status, e.getMessage());
      return;
    }
    if (req == null) {
      if (clientEof) {
        refuse(400, "connection closed within the request head");
      }
      return;
    }
    served++;
    proxy.requests.increment();
    boolean last = proxy.maxRequestsPerConnection > 0 && served >= proxy.maxRequestsPerConnection;
    @Nullable String authority;
    boolean expectContinue;
    long length;
    try {
      authority = ClientSession.checkTarget(req);
      ClientSession.checkHost(req);
      expectContinue = ClientSession.checkExpect(req);
      length = Bodies.requestLength(req, proxy.limits);
    } catch (HttpError e) {
      refuse(e.status, e.getMessage());
      return;
    }
    if (length != 0) {
      handOver(null, s -> s.startWithRequest(req, last, authority, expectContinue, length));
      return;
    }
    keep = !last && (req.minor == 0 ? req.hasToken("connection", "keep-alive") : !req.hasToken("connection", "close"));
    idempotent = switch (req.method) {
      case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true; // RFC 9110 9.2.2, as ClientSession.IDEMPOTENT
      default -> false;
    };
    hashKey = proxy.hashOn.key(req, clientIp);
    excluded = null;
    tries = 0;
    lastStatus = 0;
    lastReason = "";
    responseStarted = false;
    deadline = 0;
    attempt = new ClientSession.Attempt(req, 0, expectContinue, authority);
    pick();
  }

  private void pick() {
    ClientSession.Attempt a = attempt;
    if (tries >= proxy.maxAttempts) {
      giveUp();
      return;
    }
    Lease lease = excluded == null ? proxy.pool.pick(hashKey) : proxy.pool.pick(hashKey, excluded);
    if (!lease.isGranted()) {
      lastReason = ClientSession.refusedReason(lease, lastStatus, lastReason);
      lastStatus = lastStatus == 0 ? 503 : lastStatus;
      giveUp();
      return;
    }
    Backend b = lease.backend();
    backend = b;
    a.lease = lease;
    a.completed = false;
    t0 = System.nanoTime();
    freshRetryDone = false;
    Wire w = loop.takeIdle(b);
    if (w != null) {
      proxy.backendReuses.increment();
      w.owner = this;
      be = w;
      send();
    } else {
      connect();
    }
  }

  private void connect() {
    Backend b = backend;
    SocketChannel ch = null;
    try {
      ch = SocketChannel.open();
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      boolean done = ch.connect(new InetSocketAddress(b.address(), b.port()));
      Wire w = new Wire(ch, proxy.bufferSize, proxy.limits.maxHeadBytes());
      w.nonBlocking = true;
      w.backend = b;
      w.owner = this;
      w.key = ch.register(loop.selector, done ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, w);
      be = w;
      proxy.backendConnects.increment();
      if (done) {
        send();
      } else {
        state = CONNECTING;
        deadline = loop.now + proxy.connectNanos;
      }
    } catch (IOException e) {
      if (ch != null) {
        HttpLoop.closeQuietly(ch);
      }
      be = null;
      connectFailed(false, e);
    }
  }

  private void connected() {
    Wire w = be;
    try {
      if (!w.channel.finishConnect()) {
        return;
      }
    } catch (IOException e) {
      closeBackend();
      connectFailed(false, e);
      return;
    }
    interest(w.key, SelectionKey.OP_READ);
    send();
  }

  private void connectFailed(boolean timedOut, @Nullable IOException e) {
    Backend b = backend;
    attempt.complete(Outcome.FAILURE, System.nanoTime() - t0);
    log.debug("backend {}: connect failed: {}", b.id(), e == null ? "timed out" : e.toString());
    retryElsewhere(timedOut ? 504 : 502, "backend " + b.id() + " connection " + (timedOut ? "timed out" : "failed"));
  }

  private void retryElsewhere(int status, String reason) {
    lastStatus = status;
    lastReason = reason;
    if (excluded == null) {
      excluded = new ArrayList<>(proxy.maxAttempts);
    }
    excluded.add(backend);
    tries++;
    if (tries < proxy.maxAttempts) {
      proxy.retries.increment();
    }
    pick();
  }

  private void giveUp() {
    proxy.backendErrors.increment();
    answered(lastStatus, lastReason);
  }

  private void send() {
    Wire w = be;
    state = SENDING;
    try {
      ClientSession.writeRequestHead(w, attempt, proxy, clientIp, clientHost, localHost);
    } catch (IOException e) {
      backendLost(true);
      return;
    }
    deadline = loop.now + proxy.backendNanos;
    sendMore();
  }

  private void sendMore() {
    Wire w = be;
    boolean done;
    try {
      done = w.flushSome();
    } catch (Wire.WriteFailed e) {
      backendLost(true);
      return;
    }
    if (!done) {
      interest(w.key, SelectionKey.OP_WRITE);
      return;
    }
    interest(w.key, SelectionKey.OP_READ);
    state = WAITING;
    responseHeadStarted = false;
    deadline = loop.now + proxy.backendNanos;
  }

  /**
   * The backend closed or reset the connection, or a write to it failed, before a response:
   * nothing was answered. A kept connection the backend had closed is not its failure: the request
   * goes once more on a new connection; else the attempt failed, and an idempotent request is tried
   * on another backend.
   */
  private void backendLost(boolean writeFailed) {
    Backend b = backend;
    boolean wasReused = be != null && be.reused;
    closeBackend();
    if (wasReused && !freshRetryDone && (idempotent || writeFailed)) {
      freshRetryDone = true;
      proxy.retries.increment();
      connect();
      return;
    }
    attempt.complete(Outcome.FAILURE, System.nanoTime() - t0);
    String reason = "backend " + b.id() + " closed the connection without a response";
    if (idempotent) {
      retryElsewhere(502, reason);
      return;
    }
    proxy.backendErrors.increment();
    answered(502, reason);
  }

  // ---- responses

  private void readResponse() {
    Wire w = be;
    int n;
    try {
      n = w.readSome();
    } catch (IOException e) {
      n = -1;
    }
    if (n < 0) {
      backendLost(false);
      return;
    }
    if (n > 0 && !responseHeadStarted) {
      responseHeadStarted = true;
      deadline = loop.now + proxy.backendNanos;
    }
    ClientSession.Attempt a = attempt;
    Backend b = backend;
    while (true) {
      Head resp;
      try {
        resp = w.scanHead(false, proxy.limits);
        if (resp != null && resp.status == 101) {
          throw new HttpError(502, "backend switched protocols unasked");
        }
      } catch (HttpError e) {
        a.complete(Outcome.FAILURE, System.nanoTime() - t0);
        closeBackend();
        proxy.backendErrors.increment();
        log.debug("backend {}: {}", b.id(), e.getMessage());
        answered(502, "invalid response from backend " + b.id());
        return;
      }
      if (resp == null) {
        return;
      }
      if (resp.status >= 200) {
        relay(resp);
        return;
      }
      // An interim response (103 Early Hints...) goes to an HTTP/1.1 client; 100 was not asked for.
      if (resp.status != 100 && a.req.minor == 1) {
        try {
          ClientSession.writeInterim(client, resp);
        } catch (IOException e) {
          throw new IllegalStateException("a non-blocking write buffers", e);
        }
        if (!flushClient() && state == DONE) {
          return;
        }
      }
      w.beginHead();
      responseHeadStarted = w.headStarted();
      deadline = loop.now + proxy.backendNanos;
    }
  }

  private void relay(Head resp) {
    ClientSession.Attempt a = attempt;
    Backend b = backend;
    Wire w = be;
    headNanos = System.nanoTime() - t0;
    long rlen;
    try {
      rlen = Bodies.responseLength(resp, a.req.method);
    } catch (HttpError e) {
      a.complete(Outcome.FAILURE, headNanos);
      closeBackend();
      proxy.backendErrors.increment();
      answered(502, "invalid response framing from backend " + b.id());
      return;
    }
    if (rlen < 0) {
      // Chunked or until the close: relayed with blocking I/O, by the same code as every such body.
      long h = headNanos;
      boolean k = keep;
      handOver(w, s -> s.startWithResponse(a, resp, w, b, h, k));
      return;
    }
    responseKeep = keep && !proxy.draining;
    outcome = resp.status >= 500 ? Outcome.FAILURE : Outcome.SUCCESS;
    backendReusable = keep && resp.minor == 1 && !resp.hasToken("connection", "close");
    sentBefore = client.sent;
    responseStarted = true;
    try {
      ClientSession.writeResponseHead(client, proxy.via, resp, rlen, a.req, responseKeep);
    } catch (IOException e) {
      throw new IllegalStateException("a non-blocking write buffers", e);
    }
    remaining = rlen;
    state = BODY;
    deadline = loop.now + proxy.backendNanos;
    pump();
  }

  /** Moves body bytes from the backend to the client, as fast as the slower side allows. */
  private void pump() {
    Wire w = be;
    while (remaining > 0) {
      int avail = w.lim - w.pos;
      if (avail > 0) {
        int room = client.outputRoom();
        if (room == 0) {
          if (!flushClient()) {
            waitForClient(w);
            return;
          }
          continue;
        }
        int k = (int) Math.min(remaining, Math.min(avail, room));
        try {
          client.write(w.buf, w.pos, k);
        } catch (IOException e) {
          throw new IllegalStateException("a non-blocking write buffers", e);
        }
        w.pos += k;
        remaining -= k;
        continue;
      }
      // What arrived waits in the output buffer until it is full or the body complete, as with
      // blocking I/O: a backend that cuts its body early still gets the client a 502.
      w.pos = w.lim = 0;
      int n;
      try {
        n = w.readSome();
      } catch (IOException e) {
        n = -1;
      }
      if (n < 0) {
        bodyCut("cut its response");
        return;
      }
      if (n == 0) {
        deadline = loop.now + proxy.backendNanos;
        return;
      }
    }
    finish();
  }

  /** The client reads slower than the backend sends: stop reading the backend until it catches up. */
  private void waitForClient(Wire w) {
    if (state == DONE) {
      return;
    }
    deadline = 0;
    interest(w.key, 0);
  }

  private void finish() {
    ClientSession.Attempt a = attempt;
    Backend b = backend;
    Wire w = be;
    // Complete before the last flush: once the client has the answer, the pool has the outcome.
    a.complete(outcome, headNanos);
    proxy.forwarded.increment();
    be = null;
    if (backendReusable && w.lim == w.pos) {
      loop.keepIdle(b, w);
    } else {
      w.close();
    }
    if (!responseKeep) {
      closeAfterFlush();
      return;
    }
    if (flushClient()) {
      nextRequest();
    } else if (state != DONE) {
      state = HEAD;
      deadline = 0;
    }
  }

  /** The backend failed within the body: the client is told if nothing reached it, else cut. */
  private void bodyCut(String what) {
    Backend b = backend;
    attempt.complete(Outcome.FAILURE, headNanos);
    closeBackend();
    log.debug("backend {}: response body failed: {}", b.id(), what);
    proxy.backendErrors.increment();
    if (client.sent == sentBefore) {
      responseStarted = false;
      sendError(502, "backend " + b.id() + " " + what, false);
    } else {
      closeAfterFlush();
    }
  }

  // ---- answers from the proxy

  private void refuse(int status, @Nullable String reason) {
    proxy.clientErrors.increment();
    log.debug("client {}: {} {}", clientHost, status, reason);
    sendError(status, reason, false);
  }

  /** An error page for a request that cannot be retried; the connection stays when the client may go on. */
  private void answered(int status, String reason) {
    sendError(status, reason, keep && !proxy.draining);
  }

  private void sendError(int status, @Nullable String reason, boolean stay) {
    if (responseStarted) {
      closeAfterFlush();
      return;
    }
    responseStarted = true;
    ClientSession.Attempt a = attempt;
    if (a != null) {
      a.complete(Outcome.CANCELLED, 0);
    }
    closeBackend();
    try {
      ClientSession.writeErrorPage(client, status, reason, stay);
    } catch (IOException e) {
      throw new IllegalStateException("a non-blocking write buffers", e);
    }
    if (stay) {
      if (flushClient()) {
        nextRequest();
      } else if (state != DONE) {
        state = HEAD;
        deadline = 0;
      }
      return;
    }
    // Lingering close: the answer goes out, then what the client still sends is read and dropped
    // for a while, so closing with unread bytes does not reset the answer away.
    state = LINGER;
    deadline = loop.now + ClientSession.LINGER_NANOS;
    if (flushClient()) {
      shutdownOutput();
    }
  }

  private void shutdownOutput() {
    try {
      client.channel.shutdownOutput();
    } catch (IOException e) {
      close();
      return;
    }
    deadline = loop.now + ClientSession.LINGER_NANOS;
    lingerDropped = 0;
    readPaused = clientEof;
    updateClientInterest();
    if (clientEof) {
      close();
    }
  }

  private void lingerRead() {
    while (true) {
      client.pos = client.lim = 0;
      int n;
      try {
        n = client.readSome();
      } catch (IOException e) {
        n = -1;
      }
      if (n < 0 || (lingerDropped += Math.max(n, 0)) >= LINGER_MAX_BYTES) {
        close();
        return;
      }
      if (n == 0) {
        return;
      }
    }
  }

  private void closeAfterFlush() {
    state = CLOSING;
    deadline = 0;
    readPaused = true;
    if (flushClient()) {
      close();
    } else if (state != DONE) {
      updateClientInterest();
    }
  }

  // ---- plumbing

  /**
   * Writes pending client output.
   *
   * @return whether all of it went out; false also when the client is gone (the session is then closed)
   */
  private boolean flushClient() {
    long before = client.sent;
    boolean done;
    try {
      done = client.flushSome();
    } catch (Wire.WriteFailed e) {
      clientGone();
      return false;
    }
    if (done) {
      if (stalledSince != 0) {
        stalledSince = 0;
        updateClientInterest();
      }
      return true;
    }
    if (stalledSince == 0 || client.sent != before) {
      boolean first = stalledSince == 0;
      stalledSince = loop.now | 1;
      if (first) {
        updateClientInterest();
      }
    }
    return false;
  }

  private void updateClientInterest() {
    if (!key.isValid()) {
      return;
    }
    int ops = (readPaused ? 0 : SelectionKey.OP_READ) | (stalledSince != 0 ? SelectionKey.OP_WRITE : 0);
    interest(key, ops);
  }

  private static void interest(@Nullable SelectionKey k, int ops) {
    if (k != null && k.isValid() && k.interestOps() != ops) {
      k.interestOps(ops);
    }
  }

  /** The client went away (a write failed): the backend did its part if it was answering. */
  private void clientGone() {
    ClientSession.Attempt a = attempt;
    if (a != null) {
      a.complete(state == BODY ? outcome : Outcome.CANCELLED, state == BODY ? headNanos : 0);
    }
    close();
  }

  private void closeBackend() {
    Wire w = be;
    if (w != null) {
      be = null;
      w.owner = null;
      w.close();
    }
  }

  /** Called on the loop's tick. */
  void checkDeadlines(long now) {
    if (state == DONE) {
      return;
    }
    if (stalledSince != 0 && now - stalledSince > proxy.clientNanos) {
      log.debug("client {}: not reading; closed", clientHost);
      clientGone();
      return;
    }
    if (deadline == 0 || now - deadline < 0) {
      return;
    }
    switch (state) {
      case HEAD -> {
        if (headStarted || served == 0) {
          refuse(408, "request head not received in time");
        } else {
          close();
        }
      }
      case CONNECTING -> {
        closeBackend();
        connectFailed(true, null);
      }
      case SENDING -> backendLost(true);
      case WAITING -> {
        Backend b = backend;
        attempt.complete(Outcome.FAILURE, now - t0);
        closeBackend();
        proxy.backendErrors.increment();
        answered(504, "backend " + b.id() + " did not answer in time");
      }
      case BODY -> bodyCut("stalled within its response");
      default -> close();
    }
  }

  /** Drain: a connection waiting for its next request is closed now. */
  void closeIfIdle() {
    if (state == HEAD && !headStarted && client.olen == 0) {
      close();
    }
  }

  private void internalError(RuntimeException e) {
    log.warn("client {}: internal error: {}", clientHost, e.toString());
    if (state == DONE) {
      return;
    }
    if (!responseStarted && state != LINGER && state != CLOSING) {
      try {
        sendError(500, "internal error", false);
        return;
      } catch (RuntimeException again) {
        // fall through to the close
      }
    }
    close();
  }

  /**
   * Gives the connection (and the backend connection of the exchange, if any) to a {@link
   * ClientSession} on a virtual thread, once their keys have left the selector.
   */
  private void handOver(@Nullable Wire backendWire, java.util.function.Consumer<ClientSession> first) {
    state = DONE;
    key.cancel();
    loop.remove(this);
    be = null;
    if (backendWire != null) {
      backendWire.owner = null;
      if (backendWire.key != null) {
        backendWire.key.cancel();
      }
      backendWire.nonBlocking = false;
    }
    client.nonBlocking = false;
    ClientSession s = new ClientSession(proxy, client, clientIp, clientHost, localHost, served);
    first.accept(s);
    proxy.sessions.add(s);
    loop.defer(() -> {
      try {
        loop.flushCancelledKeys();
        client.channel.configureBlocking(true);
        if (backendWire != null) {
          backendWire.channel.configureBlocking(true);
        }
        Thread.ofVirtual().name("lb-http-client").start(s);
      } catch (IOException | RuntimeException e) {
        log.warn("client {}: hand-over to blocking I/O failed: {}", clientHost, e.toString());
        if (backendWire != null) {
          backendWire.close();
        }
        client.close();
        proxy.ended(s);
      }
    });
  }

  /** Ends the session: the exchange in progress is cancelled, both connections closed. */
  void close() {
    if (state == DONE) {
      return;
    }
    state = DONE;
    ClientSession.Attempt a = attempt;
    if (a != null) {
      a.complete(Outcome.CANCELLED, 0);
    }
    closeBackend();
    key.cancel();
    client.close();
    loop.remove(this);
    proxy.connectionEnded();
  }
}
