package io.github.lb4j.gateway.http;

import io.github.lb4j.api.Backend;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.pool.Lease;
import io.github.lb4j.pool.Outcome;
import io.github.lb4j.pool.PickStatus;
import java.io.EOFException;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection served with blocking I/O on its own virtual thread: reads requests one at a
 * time, forwards each to a backend picked for it, relays the response, and answers errors itself.
 * An event loop ({@link LoopSession}) hands a connection over to it when a request has a body or a
 * response is chunked or delimited by the close: it then serves the connection to its end.
 */
final class ClientSession implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

  /** Idempotent methods, RFC 9110 9.2.2. */
  static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

  private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

  /** How long a closing connection reads what its client still sends, so the answer is not reset. */
  static final long LINGER_NANOS = 1_000_000_000L;

  private final HttpProxy proxy;
  private final Wire client;
  private final InetAddress clientIp;
  private final String clientHost;
  private final String localHost;
  /** True while waiting for the next request with nothing of it received: a drain may close it. */
  private volatile boolean idle = true;
  /** Whether any byte of the current response went to the client (an error page is then too late). */
  private boolean responseStarted;

  /** What to do first when an event loop hands the connection over mid-request; null: read a request. */
  private @Nullable Start start;
  private int served;

  /** The first step of a connection handed over by an event loop. */
  @FunctionalInterface
  interface Start {
    /** Runs it; returns whether the connection stays open for another request. */
    boolean run() throws IOException;
  }

  /**
   * Takes over a connection (its channel in blocking mode, deregistered from any selector).
   *
   * @param served the requests already served on it
   */
  ClientSession(HttpProxy proxy, Wire client, InetAddress clientIp, String clientHost, String localHost, int served) {
    this.proxy = proxy;
    this.client = client;
    this.clientIp = clientIp;
    this.clientHost = clientHost;
    this.localHost = localHost;
    this.served = served;
  }

  /** Continues a request whose head the event loop read and checked: it has a body. */
  void startWithRequest(Head req, boolean last, @Nullable String authority, boolean expectContinue, long length) {
    idle = false;
    start = () -> forward(req, last, authority, expectContinue, length);
  }

  /** Continues an exchange whose response head the event loop read: its body is chunked or ends with the close. */
  void startWithResponse(Attempt a, Head resp, Wire be, Backend b, long headNanos, boolean keep) {
    idle = false;
    start = () -> {
      Result r;
      backendWire = be;
      try {
        r = relay(a, resp, be, b, headNanos, keep);
      } finally {
        a.complete(Outcome.CANCELLED, 0);
        backendWire = null;
      }
      return r == Result.KEEP && keep && !proxy.draining;
    };
  }

  /** The backend connection the current request uses, for the write-stall sweep. */
  private volatile @Nullable Wire backendWire;

  /**
   * Enforces the deadlines of this session's connections: a read past its deadline ends with a
   * timeout; a write blocked longer than the client (or backend) timeout closes the connection.
   */
  void sweep(long now) {
    client.closeIfWriteStalled(now, proxy.clientNanos);
    client.expireRead(now);
    Wire be = backendWire;
    if (be != null) {
      be.closeIfWriteStalled(now, proxy.backendNanos);
      be.expireRead(now);
    }
  }

  void closeIfIdle() {
    if (idle) {
      client.close();
    }
  }

  void abort() {
    client.close();
  }

  @Override
  public void run() {
    try {
      Start first = start;
      if (first != null) {
        start = null;
        if (!first.run()) {
          return;
        }
      }
      while (!proxy.draining || served == 0) {
        idle = true;
        Head req;
        try {
          long wait = served == 0 ? proxy.headerNanos : proxy.keepAliveNanos;
          req = client.readHead(true, proxy.limits, System.nanoTime() + wait, proxy.headerNanos);
        } catch (HttpError e) {
          refuse(e.status, e.getMessage());
          return;
        } catch (SocketTimeoutException e) {
          if (client.started || served == 0) {
            refuse(408, "request head not received in time");
          }
          return;
        } catch (EOFException e) {
          refuse(400, "connection closed within the request head");
          return;
        }
        if (req == null) {
          return;
        }
        idle = false;
        served++;
        proxy.requests.increment();
        boolean last = proxy.maxRequestsPerConnection > 0 && served >= proxy.maxRequestsPerConnection;
        if (!handle(req, last)) {
          return;
        }
      }
    } catch (IOException e) {
      log.debug("client {}: {}", clientHost, e.toString());
    } catch (RuntimeException e) {
      log.warn("client {}: internal error: {}", clientHost, e.toString());
      if (!responseStarted) {
        try {
          sendError(500, "internal error", false);
        } catch (IOException ignored) {
          // the connection is closed below
        }
      }
    } finally {
      client.close();
      proxy.ended(this);
    }
  }

  /** Answers an error the client caused and closes (the framing of what follows is unknown). */
  private void refuse(int status, @Nullable String reason) throws IOException {
    proxy.clientErrors.increment();
    log.debug("client {}: {} {}", clientHost, status, reason);
    sendError(status, reason, false);
  }

  /**
   * Serves one request.
   *
   * @return whether the client connection stays open for another request
   */
  private boolean handle(Head req, boolean lastOnConnection) throws IOException {
    responseStarted = false;
    long length;
    boolean expectContinue;
    @Nullable String authority;
    try {
      authority = checkTarget(req);
      checkHost(req);
      expectContinue = checkExpect(req);
      length = Bodies.requestLength(req, proxy.limits);
    } catch (HttpError e) {
      refuse(e.status, e.getMessage());
      return false;
    }
    return forward(req, lastOnConnection, authority, expectContinue, length);
  }

  /** Forwards a checked request, with its retries; returns whether the connection stays open. */
  private boolean forward(Head req, boolean lastOnConnection, @Nullable String authority, boolean expectContinue,
      long length) throws IOException {
    responseStarted = false;
    boolean keep = !lastOnConnection && (req.minor == 0 ? req.hasToken("connection", "keep-alive")
        : !req.hasToken("connection", "close"));
    boolean idempotent = IDEMPOTENT.contains(req.method);
    long key = proxy.hashOn.key(req, clientIp);
    List<Backend> excluded = null;
    int lastStatus = 0;
    String lastReason = "";
    Attempt a = new Attempt(req, length, expectContinue, authority);
    for (int attempt = 0; attempt < proxy.maxAttempts; attempt++) {
      Lease lease = excluded == null ? proxy.pool.pick(key) : proxy.pool.pick(key, excluded);
      if (!lease.isGranted()) {
        lastReason = refusedReason(lease, lastStatus, lastReason);
        lastStatus = lastStatus == 0 ? 503 : lastStatus;
        break;
      }
      Backend b = lease.backend();
      a.lease = lease;
      a.completed = false;
      Result r;
      try {
        r = exchange(a, b, keep, idempotent);
      } finally {
        // A path that threw (the client vanished, a fault) must not leave the request in flight.
        a.complete(Outcome.CANCELLED, 0);
        backendWire = null;
      }
      if (r == Result.KEEP) {
        return keep && !proxy.draining;
      }
      if (r == Result.CLOSE) {
        return false;
      }
      // RETRY: the request was not answered and may be sent again.
      lastStatus = a.failStatus;
      lastReason = a.failReason;
      if (excluded == null) {
        excluded = new ArrayList<>(proxy.maxAttempts);
      }
      excluded.add(b);
      if (attempt + 1 < proxy.maxAttempts) {
        proxy.retries.increment();
      }
    }
    proxy.backendErrors.increment();
    boolean bodyRead = a.bodySent || length == 0;
    sendError(lastStatus, lastReason, keep && bodyRead);
    return keep && bodyRead && !proxy.draining;
  }

  /**
   * Why a request goes unanswered when a pick is refused: no backend at the first attempt (503),
   * else the last attempt's failure, and that the retry budget is spent when it is.
   */
  static String refusedReason(Lease lease, int lastStatus, String lastReason) {
    if (lastStatus == 0) {
      return "no backend available (" + lease.status().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ")";
    }
    return lease.status() == PickStatus.BUDGET ? lastReason + "; retry budget spent" : lastReason;
  }

  /** The state of one request across attempts. */
  static final class Attempt {
    final Head req;
    final long length;
    final boolean expectContinue;
    final @Nullable String authority;
    boolean continueSent;
    boolean bodySent;
    int failStatus;
    String failReason = "";
    @Nullable Lease lease;
    boolean completed;

    /** Completes the current attempt's lease once, whatever path ends it. */
    void complete(Outcome outcome, long latencyNanos) {
      Lease l = lease;
      if (l != null && !completed) {
        completed = true;
        l.complete(outcome, latencyNanos);
      }
    }

    Attempt(Head req, long length, boolean expectContinue, @Nullable String authority) {
      this.req = req;
      this.length = length;
      this.expectContinue = expectContinue;
      this.authority = authority;
    }
  }

  enum Result {
    KEEP,
    CLOSE,
    RETRY
  }

  private Result retry(Attempt a, int status, String reason) {
    a.failStatus = status;
    a.failReason = reason;
    return Result.RETRY;
  }

  /** One attempt on one backend; completes the lease. */
  private Result exchange(Attempt a, Backend b, boolean keep, boolean idempotent) throws IOException {
    long t0 = System.nanoTime();
    boolean freshRetryDone = false;
    Wire be = proxy.backends.acquire(b, idempotent && a.length == 0);
    while (true) {
      if (be == null) {
        try {
          be = proxy.backends.connect(b, proxy.connectMillis);
          proxy.backendConnects.increment();
        } catch (IOException e) {
          a.complete(Outcome.FAILURE, System.nanoTime() - t0);
          log.debug("backend {}: connect failed: {}", b.id(), e.toString());
          return retry(a, e instanceof SocketTimeoutException ? 504 : 502,
              "backend " + b.id() + " connection " + (e instanceof SocketTimeoutException ? "timed out" : "failed"));
        }
      } else {
        proxy.backendReuses.increment();
      }
      backendWire = be;
      boolean writeFailed = false;
      try {
        writeRequestHead(be, a);
        if (a.length != 0) {
          if (a.expectContinue && !a.continueSent && a.req.minor == 1) {
            a.continueSent = true;
            client.write(CONTINUE, 0, CONTINUE.length);
            client.flush();
          }
          a.bodySent = true;
          if (a.length > 0) {
            client.copy(a.length, be, proxy.clientNanos);
          } else {
            Bodies.copyChunked(client, be, false, proxy.clientNanos, 400, proxy.limits.maxBodyBytes(), proxy.limits);
          }
        }
        be.flush();
      } catch (HttpError e) {
        // The client's body broke its framing or a limit: the backend got a partial request.
        a.complete(Outcome.CANCELLED, System.nanoTime() - t0);
        be.close();
        refuse(e.status, e.getMessage());
        return Result.CLOSE;
      } catch (Wire.WriteFailed e) {
        writeFailed = true;
      } catch (SocketTimeoutException e) {
        a.complete(Outcome.CANCELLED, System.nanoTime() - t0);
        be.close();
        refuse(408, "request body not received in time");
        return Result.CLOSE;
      } catch (IOException e) {
        a.complete(Outcome.CANCELLED, System.nanoTime() - t0);
        be.close();
        return Result.CLOSE;
      }
      Head resp;
      try {
        resp = readFinalHead(be, a.req);
      } catch (SocketTimeoutException e) {
        a.complete(Outcome.FAILURE, System.nanoTime() - t0);
        be.close();
        proxy.backendErrors.increment();
        return answered(504, "backend " + b.id() + " did not answer in time", a, keep);
      } catch (HttpError e) {
        a.complete(Outcome.FAILURE, System.nanoTime() - t0);
        be.close();
        proxy.backendErrors.increment();
        log.debug("backend {}: {}", b.id(), e.getMessage());
        return answered(502, "invalid response from backend " + b.id(), a, keep);
      } catch (Wire.WriteFailed e) {
        a.complete(Outcome.CANCELLED, System.nanoTime() - t0);
        be.close();
        return Result.CLOSE;
      } catch (IOException e) {
        resp = null;
      }
      if (resp == null) {
        // Closed or reset before a response byte: nothing was answered.
        boolean wasReused = be.reused;
        be.close();
        boolean resendable = a.length == 0 || !a.bodySent;
        if (wasReused && !freshRetryDone && resendable && (idempotent || writeFailed)) {
          // A pooled connection the backend had closed: not the backend's failure, try a new one.
          freshRetryDone = true;
          proxy.retries.increment();
          be = null;
          continue;
        }
        a.complete(Outcome.FAILURE, System.nanoTime() - t0);
        String reason = "backend " + b.id() + " closed the connection without a response";
        if (idempotent && resendable) {
          return retry(a, 502, reason);
        }
        proxy.backendErrors.increment();
        return answered(502, reason, a, keep);
      }
      long headNanos = System.nanoTime() - t0;
      return relay(a, resp, be, b, headNanos, keep && !writeFailed);
    }
  }

  /** Reads the final response head, forwarding interim ones (103) to an HTTP/1.1 client. */
  private @Nullable Head readFinalHead(Wire be, Head req) throws IOException {
    while (true) {
      Head h = be.readHead(false, proxy.limits, System.nanoTime() + proxy.backendNanos, proxy.backendNanos);
      if (h == null || h.status >= 200) {
        return h;
      }
      if (h.status == 101) {
        throw new HttpError(502, "backend switched protocols unasked");
      }
      if (h.status != 100 && req.minor == 1) {
        writeInterim(client, h);
        client.flush();
      }
    }
  }

  /** An interim (1xx) response head as the client gets it, hop-by-hop fields removed. */
  static void writeInterim(Wire client, Head h) throws IOException {
    client.writeAscii("HTTP/1.1 " + h.status + " " + h.reason + "\r\n");
    List<String> options = Hop.connectionOptions(h);
    for (int i = 0; i < h.size(); i++) {
      if (!Hop.drop(h.names.get(i), options)) {
        client.writeField(h.names.get(i), h.values.get(i));
      }
    }
    client.crlf();
  }

  /** Sends an error page for an attempt that cannot be retried; whether the client stays depends on its body. */
  private Result answered(int status, String reason, Attempt a, boolean keep) throws IOException {
    boolean bodyRead = a.length == 0 || a.bodySent;
    boolean stay = keep && bodyRead && !proxy.draining;
    sendError(status, reason, stay);
    return stay ? Result.KEEP : Result.CLOSE;
  }

  private Result relay(Attempt a, Head resp, Wire be, Backend b, long headNanos, boolean keepIn)
      throws IOException {
    long rlen;
    try {
      rlen = Bodies.responseLength(resp, a.req.method);
    } catch (HttpError e) {
      a.complete(Outcome.FAILURE, headNanos);
      be.close();
      proxy.backendErrors.increment();
      return answered(502, "invalid response framing from backend " + b.id(), a, keepIn);
    }
    boolean http10 = a.req.minor == 0;
    boolean keep = keepIn && !proxy.draining && rlen != Bodies.UNTIL_CLOSE && !(http10 && rlen == Bodies.CHUNKED);
    Outcome outcome = resp.status >= 500 ? Outcome.FAILURE : Outcome.SUCCESS;
    long sentBefore = client.sent;
    responseStarted = true;
    try {
      writeResponseHead(resp, rlen, a.req, keep);
      if (rlen > 0) {
        be.copy(rlen, client, proxy.backendNanos);
      } else if (rlen == Bodies.CHUNKED) {
        Bodies.copyChunked(be, client, http10, proxy.backendNanos, 502, Long.MAX_VALUE, proxy.limits);
      } else if (rlen == Bodies.UNTIL_CLOSE) {
        be.copyToEnd(client, proxy.backendNanos);
      }
      // Complete before the last flush: once the client has the answer, the pool has the outcome.
      a.complete(outcome, headNanos);
      client.flush();
    } catch (Wire.WriteFailed e) {
      // The client went away: the backend did its part.
      a.complete(outcome, headNanos);
      be.close();
      return Result.CLOSE;
    } catch (IOException | HttpError e) {
      a.complete(Outcome.FAILURE, headNanos);
      be.close();
      log.debug("backend {}: response body failed: {}", b.id(), e.toString());
      proxy.backendErrors.increment();
      if (client.sent == sentBefore) {
        // Nothing went out yet: the client can still be told.
        responseStarted = false;
        sendError(502, "backend " + b.id() + " cut its response", false);
      } else {
        // Part of the response went out: flush what arrived, and the close tells the client it is cut.
        try {
          client.flush();
        } catch (IOException ignored) {
          // the client is gone too
        }
      }
      return Result.CLOSE;
    }
    proxy.forwarded.increment();
    boolean reusable = keepIn && resp.minor == 1 && rlen != Bodies.UNTIL_CLOSE && !resp.hasToken("connection", "close")
        && be.buffered() == 0;
    backendWire = null;
    if (reusable && !be.timedOut()) {
      be.reused = false;
      proxy.backends.release(b, be);
    } else {
      be.close();
    }
    return keep ? Result.KEEP : Result.CLOSE;
  }

  // ---- heads

  /**
   * Checks the request-target form (RFC 9112 3.2): origin-form, absolute-form for http (its
   * authority replaces Host), asterisk-form for OPTIONS only; CONNECT (authority-form) is not
   * proxied.
   *
   * @return the authority of an absolute-form target, or null
   */
  static @Nullable String checkTarget(Head req) {
    String t = req.target;
    if (req.method.equals("CONNECT")) {
      throw new HttpError(501, "CONNECT is not supported");
    }
    if (t.charAt(0) == '/') {
      return null;
    }
    if (t.equals("*")) {
      if (!req.method.equals("OPTIONS")) {
        throw new HttpError(400, "asterisk-form target outside OPTIONS");
      }
      return null;
    }
    if (t.regionMatches(true, 0, "http://", 0, 7)) {
      int slash = t.indexOf('/', 7);
      int q = t.indexOf('?', 7);
      int end = slash < 0 ? (q < 0 ? t.length() : q) : (q < 0 ? slash : Math.min(slash, q));
      String authority = t.substring(7, end);
      if (authority.isEmpty() || authority.indexOf('@') >= 0 || !validHost(authority)) {
        throw new HttpError(400, "invalid authority in the request target");
      }
      String rest = t.substring(end);
      req.target = rest.isEmpty() ? "/" : rest.charAt(0) == '?' ? "/" + rest : rest;
      return authority;
    }
    throw new HttpError(400, "invalid request target");
  }

  /** RFC 9112 3.2: one Host in HTTP/1.1 (none or one in 1.0), a valid uri-host [":" port]. */
  static void checkHost(Head req) {
    int n = req.count("host");
    if (n > 1) {
      throw new HttpError(400, "more than one Host");
    }
    if (n == 0) {
      if (req.minor == 1) {
        throw new HttpError(400, "no Host in an HTTP/1.1 request");
      }
      return;
    }
    String h = req.first("host");
    if (h != null && !h.isEmpty() && !validHost(h)) {
      throw new HttpError(400, "invalid Host");
    }
  }

  /** reg-name, IPv4 or [IP-literal], optional :port; the characters of RFC 3986 3.2.2. */
  private static boolean validHost(String h) {
    int colon = h.lastIndexOf(':');
    int bracket = h.lastIndexOf(']');
    String host = h;
    if (colon > bracket) {
      String port = h.substring(colon + 1);
      for (int i = 0; i < port.length(); i++) {
        if (port.charAt(i) < '0' || port.charAt(i) > '9') {
          return false;
        }
      }
      if (port.length() > 5) {
        return false;
      }
      host = h.substring(0, colon);
    }
    if (host.isEmpty()) {
      return false;
    }
    if (host.charAt(0) == '[') {
      if (host.charAt(host.length() - 1) != ']') {
        return false;
      }
      for (int i = 1; i < host.length() - 1; i++) {
        char c = host.charAt(i);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == 'v' || c == 'V')) {
          return false;
        }
      }
      return true;
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "-._~%!$&'()*+,;=".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** 100-continue is answered by the proxy itself when it is ready for the body; anything else is 417. */
  static boolean checkExpect(Head req) {
    if (req.count("expect") == 0) {
      return false;
    }
    for (String t : req.tokens("expect")) {
      if (!t.equals("100-continue")) {
        throw new HttpError(417, "unsupported expectation");
      }
    }
    return true;
  }

  private void writeRequestHead(Wire be, Attempt a) throws IOException {
    writeRequestHead(be, a, proxy, clientIp, clientHost, localHost);
  }

  /** The request head as the backend gets it: hop-by-hop fields out, the proxy's fields in. */
  static void writeRequestHead(Wire be, Attempt a, HttpProxy proxy, InetAddress clientIp, String clientHost,
      String localHost) throws IOException {
    Head req = a.req;
    be.writeAscii(req.method);
    be.writeAscii(" ");
    be.writeAscii(req.target);
    be.writeAscii(" HTTP/1.1\r\n");
    List<String> options = Hop.connectionOptions(req);
    String xff = null;
    String fwd = null;
    String via = null;
    String host = null;
    HttpProxy.ForwardedHeaders fh = proxy.forwardedHeaders;
    for (int i = 0; i < req.size(); i++) {
      String n = req.names.get(i);
      String v = req.values.get(i);
      if (Hop.drop(n, options) || n.equalsIgnoreCase("expect")) {
        continue;
      }
      if (n.equalsIgnoreCase("host")) {
        host = v;
        if (a.authority != null) {
          continue;
        }
      } else if (fh.xff() && n.equalsIgnoreCase("x-forwarded-for")) {
        xff = xff == null ? v : xff + ", " + v;
        continue;
      } else if (fh.forwarded() && n.equalsIgnoreCase("forwarded")) {
        fwd = fwd == null ? v : fwd + ", " + v;
        continue;
      } else if (proxy.via != null && n.equalsIgnoreCase("via")) {
        via = via == null ? v : via + ", " + v;
        continue;
      }
      be.writeField(n, v);
    }
    if (a.authority != null) {
      be.writeField("Host", a.authority);
      host = a.authority;
    }
    if (a.length > 0 || (a.length == 0 && req.count("content-length") > 0)) {
      be.writeField("Content-Length", Long.toString(a.length));
    } else if (a.length == Bodies.CHUNKED) {
      be.writeField("Transfer-Encoding", "chunked");
    }
    if (fh.xff()) {
      be.writeField("X-Forwarded-For", xff == null ? clientHost : xff + ", " + clientHost);
    }
    if (fh.forwarded()) {
      String forId = clientIp instanceof Inet6Address ? "\"[" + clientHost + "]\"" : clientHost;
      String by = localHost.indexOf(':') >= 0 ? "\"[" + localHost + "]\"" : localHost;
      StringBuilder el = new StringBuilder(64).append("for=").append(forId).append(";by=").append(by)
          .append(";proto=http");
      if (host != null && !host.isEmpty()) {
        el.append(";host=").append(token(host) ? host : "\"" + host + "\"");
      }
      be.writeField("Forwarded", fwd == null ? el.toString() : fwd + ", " + el);
    }
    if (proxy.via != null) {
      String mine = "1." + req.minor + " " + proxy.via;
      be.writeField("Via", via == null ? mine : via + ", " + mine);
    }
    be.crlf();
  }

  private static boolean token(String s) {
    return s.chars().allMatch(HeadParser::isTchar);
  }

  private void writeResponseHead(Head resp, long rlen, Head req, boolean keep) throws IOException {
    writeResponseHead(client, proxy.via, resp, rlen, req, keep);
  }

  /** The response head as the client gets it. */
  static void writeResponseHead(Wire client, @Nullable String via0, Head resp, long rlen, Head req, boolean keep)
      throws IOException {
    client.writeAscii("HTTP/1.1 ");
    client.writeAscii(Integer.toString(resp.status));
    client.writeAscii(" ");
    client.writeAscii(resp.reason);
    client.crlf();
    List<String> options = Hop.connectionOptions(resp);
    String via = null;
    for (int i = 0; i < resp.size(); i++) {
      String n = resp.names.get(i);
      if (Hop.drop(n, options)) {
        continue;
      }
      if (via0 != null && n.equalsIgnoreCase("via")) {
        via = via == null ? resp.values.get(i) : via + ", " + resp.values.get(i);
        continue;
      }
      client.writeField(n, resp.values.get(i));
    }
    int s = resp.status;
    boolean bodyless = s == 204 || s < 200;
    if (!bodyless) {
      if (rlen >= 0 && resp.count("content-length") == 1) {
        client.writeField("Content-Length", resp.first("content-length"));
      } else if ((rlen == Bodies.CHUNKED || (rlen == 0 && resp.count("transfer-encoding") > 0)) && req.minor == 1) {
        client.writeField("Transfer-Encoding", "chunked");
      }
    }
    if (!keep) {
      client.writeField("Connection", "close");
    } else if (req.minor == 0) {
      client.writeField("Connection", "keep-alive");
    }
    if (via0 != null) {
      String mine = "1." + resp.minor + " " + via0;
      client.writeField("Via", via == null ? mine : via + ", " + mine);
    }
    client.crlf();
  }

  /** A short text/plain answer from the proxy itself; never reflects the request. */
  private void sendError(int status, @Nullable String reason, boolean keep) throws IOException {
    if (responseStarted) {
      return;
    }
    responseStarted = true;
    writeErrorPage(client, status, reason, keep);
    try {
      client.flush();
    } catch (Wire.WriteFailed e) {
      // the client is gone; nothing to tell it
    }
    if (!keep) {
      client.lingeringClose(1 << 20, LINGER_NANOS);
    }
  }

  /** Replaces pending output with a short text/plain error page; never reflects the request. */
  static void writeErrorPage(Wire client, int status, @Nullable String reason, boolean keep) throws IOException {
    client.discardOutput();
    String body = status + " " + phrase(status) + (reason == null ? "" : ": " + reason) + "\n";
    byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    client.writeAscii("HTTP/1.1 " + status + " " + phrase(status) + "\r\n");
    client.writeField("Content-Type", "text/plain; charset=utf-8");
    client.writeField("Content-Length", Integer.toString(bytes.length));
    client.writeField("Cache-Control", "no-cache");
    client.writeField("Connection", keep ? "keep-alive" : "close");
    client.crlf();
    client.write(bytes, 0, bytes.length);
  }

  static String phrase(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 408 -> "Request Timeout";
      case 413 -> "Content Too Large";
      case 414 -> "URI Too Long";
      case 417 -> "Expectation Failed";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      case 505 -> "HTTP Version Not Supported";
      default -> "Error";
    };
  }
}
