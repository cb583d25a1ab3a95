package io.github.lb4j.gateway.http;

import io.github.lb4j.pool.BackendPool;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/1.1 reverse proxy (HAProxy's {@code mode http}, a gateway in RFC 9110's terms) that
 * balances every request, not every connection, over a {@link BackendPool}:
 *
 * <ul>
 *   <li>requests are parsed strictly (RFC 9112), with size limits checked as bytes arrive; every
 *       framing ambiguity that request smuggling relies on is refused with 400 and the connection
 *       closed (see {@link Bodies} and {@link HeadParser});
 *   <li>each request is a {@code pool.pick(key)}, the key from {@link HashOn}; its lease completes
 *       with the response: a 5xx, a refused or reset connection or a timeout is a {@code FAILURE}
 *       that feeds the pool's outlier detection;
 *   <li>client connections stay open between requests (keep-alive); pipelined requests are read
 *       and answered one at a time, in order; backend connections are kept per backend and reused
 *       ({@link BackendConnections});
 *   <li>a request that failed before it was answered is tried again on another backend ({@code
 *       pick(key, excluded)}, within the pool's retry budget): any request whose connection could not
 *       be opened, and an idempotent one (RFC 9110 9.2.2) without a body whose connection failed
 *       before a response byte arrived;
 *   <li>hop-by-hop fields are removed (RFC 9110 7.6.1), {@code X-Forwarded-For} and {@code
 *       Forwarded} (RFC 7239) added, {@code Via} when configured.
 * </ul>
 *
 * <p>Threads: a fixed number of event loops ({@link Builder#eventLoops}), each a selector thread
 * serving its client connections and its own kept backend connections with non-blocking I/O
 * (HAProxy's model: no thread hand-off and no lock on a request's path). A request with a body, and
 * a response that is chunked or delimited by the close, are served with blocking I/O on a virtual
 * thread that takes the connection over for the rest of its life. Any thread may call the public
 * methods; {@link #start} and {@link #drain} block.
 */
public final class HttpProxy implements AutoCloseable {

  /** What the proxy adds to say who the client was. */
  public enum ForwardedHeaders {
    /** Neither. */
    NONE,
    /** {@code X-Forwarded-For}, the de facto header (HAProxy {@code option forwardfor}). */
    X_FORWARDED_FOR,
    /** {@code Forwarded: for=...;proto=http;host=...} (RFC 7239). */
    FORWARDED,
    /** Both (the default). */
    BOTH;

    boolean xff() {
      return this == X_FORWARDED_FOR || this == BOTH;
    }

    boolean forwarded() {
      return this == FORWARDED || this == BOTH;
    }

    /**
     * Parses {@code none}, {@code x-forwarded-for}, {@code forwarded} or {@code both}.
     *
     * @param text the text
     * @return the choice
     */
    public static ForwardedHeaders parse(String text) {
      return switch (text.strip().toLowerCase(Locale.ROOT)) {
        case "none" -> NONE;
        case "x-forwarded-for" -> X_FORWARDED_FOR;
        case "forwarded" -> FORWARDED;
        case "both" -> BOTH;
        default -> throw new IllegalArgumentException(
            "forwarded-headers must be none, x-forwarded-for, forwarded or both, was '" + text + "'");
      };
    }
  }

  final BackendPool pool;
  final HttpLimits limits;
  final HashOn hashOn;
  final long headerNanos;
  final long keepAliveNanos;
  final long clientNanos;
  final long backendNanos;
  final int connectMillis;
  final int maxAttempts;
  final int maxRequestsPerConnection;
  final ForwardedHeaders forwardedHeaders;
  final @Nullable String via;
  final BackendConnections backends;
  final int bufferSize;
  private final List<InetSocketAddress> listen;
  private final int backlog;
  private final boolean ownsPool;
  final Semaphore connections;
  private final int maxConnections;
  final long backendIdleNanos;
  final long connectNanos;
  final int maxIdlePerBackend;
  private final int eventLoops;

  private final List<ServerSocketChannel> servers = new ArrayList<>();
  private final List<HttpLoop> loops = new ArrayList<>();
  /** The connections served with blocking I/O (the sweeper enforces their deadlines). */
  final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
  /** Client connections open, on event loops or blocking. */
  private final AtomicInteger open = new AtomicInteger();
  private final ScheduledExecutorService sweeper;
  volatile boolean draining;
  private volatile boolean closed;

  final LongAdder accepted = new LongAdder();
  final LongAdder requests = new LongAdder();
  final LongAdder forwarded = new LongAdder();
  final LongAdder clientErrors = new LongAdder();
  final LongAdder backendErrors = new LongAdder();
  final LongAdder retries = new LongAdder();
  final LongAdder backendConnects = new LongAdder();
  final LongAdder backendReuses = new LongAdder();
  private final LongAdder ended = new LongAdder();

  private HttpProxy(Builder b) {
    this.pool = b.pool;
    this.limits = new HttpLimits(b.maxRequestLine, b.maxHeaderBytes, b.maxHeaders, b.maxBodyBytes);
    this.hashOn = b.hashOn;
    this.headerNanos = b.headerTimeout.toNanos();
    this.keepAliveNanos = b.keepAliveTimeout.toNanos();
    this.clientNanos = b.clientTimeout.toNanos();
    this.backendNanos = b.backendTimeout.toNanos();
    this.connectMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, b.connectTimeout.toMillis()));
    this.maxAttempts = b.maxAttempts;
    this.maxRequestsPerConnection = b.maxRequestsPerConnection;
    this.forwardedHeaders = b.forwardedHeaders;
    this.via = b.via;
    this.bufferSize = b.bufferSize;
    this.backends = new BackendConnections(b.maxIdlePerBackend, b.backendIdleTimeout.toNanos(), b.bufferSize,
        limits.maxHeadBytes());
    this.listen = List.copyOf(b.listen);
    this.backlog = b.backlog;
    this.ownsPool = b.ownsPool;
    this.maxConnections = b.maxConnections;
    this.backendIdleNanos = b.backendIdleTimeout.toNanos();
    this.connectNanos = b.connectTimeout.toNanos();
    this.maxIdlePerBackend = b.maxIdlePerBackend;
    this.eventLoops = b.eventLoops;
    this.connections = new Semaphore(b.maxConnections);
    this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lb-http-sweeper");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * A builder over a pool.
   *
   * @param pool the backends; the proxy closes it on {@link #close} only when {@link
   *     Builder#closePool(boolean)} says so
   * @return a builder with HAProxy-like defaults
   */
  public static Builder builder(BackendPool pool) {
    return new Builder(pool);
  }

  /**
   * Binds every listen address and starts accepting.
   *
   * @throws IOException when an address cannot be bound (what was bound is closed again)
   */
  public synchronized void start() throws IOException {
    if (!servers.isEmpty() || closed) {
      throw new IllegalStateException(closed ? "closed" : "already started");
    }
    try {
      for (InetSocketAddress a : listen) {
        ServerSocketChannel s = ServerSocketChannel.open();
        servers.add(s);
        s.socket().setReuseAddress(true);
        s.bind(a, backlog);
        s.configureBlocking(false);
      }
    } catch (IOException e) {
      for (ServerSocketChannel s : servers) {
        closeQuietly(s);
      }
      servers.clear();
      throw e;
    }
    long sweepMillis = Math.max(100, Math.min(1000, backendIdleNanos / 2_000_000));
    sweeper.scheduleWithFixedDelay(backends::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    // Timeouts fire within a quarter of the shortest one (at most 1 s late), as a timer wheel would.
    long shortest = Math.min(Math.min(headerNanos, keepAliveNanos), Math.min(clientNanos, backendNanos));
    shortest = Math.min(shortest, connectNanos);
    long tickMillis = Math.max(10, Math.min(1000, shortest / 4_000_000));
    sweeper.scheduleWithFixedDelay(this::sweepSessions, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    for (int i = 0; i < eventLoops; i++) {
      HttpLoop l = new HttpLoop(this, i, tickMillis * 1_000_000L);
      loops.add(l);
    }
    for (HttpLoop l : loops) {
      for (ServerSocketChannel s : servers) {
        l.listen(s);
      }
      l.start();
    }
  }

  /** The loop to serve a new connection: the one serving the fewest, the accepting one on a tie. */
  HttpLoop leastLoaded(HttpLoop self) {
    HttpLoop best = self;
    int least = self.load();
    for (HttpLoop l : loops) {
      int n = l.load();
      if (n < least) {
        best = l;
        least = n;
      }
    }
    return best;
  }

  /** Counts a connection accepted. */
  void opened() {
    accepted.increment();
    open.incrementAndGet();
  }

  private void sweepSessions() {
    long now = System.nanoTime();
    for (ClientSession c : sessions) {
      c.sweep(now);
    }
  }

  /** Called by a blocking session when its connection is closed. */
  void ended(ClientSession c) {
    if (sessions.remove(c)) {
      connectionEnded();
    }
  }

  /** Counts a client connection closed, wherever it was served. */
  void connectionEnded() {
    ended.increment();
    connections.release();
    if (open.decrementAndGet() == 0 && draining) {
      synchronized (open) {
        open.notifyAll();
      }
    }
  }

  /**
   * The bound addresses (with the ports the system chose for port 0).
   *
   * @return the addresses, in listen order; empty before {@link #start}
   */
  public synchronized List<InetSocketAddress> listenAddresses() {
    List<InetSocketAddress> out = new ArrayList<>();
    for (ServerSocketChannel s : servers) {
      out.add((InetSocketAddress) s.socket().getLocalSocketAddress());
    }
    return out;
  }

  /**
   * The pool the proxy balances over.
   *
   * @return the pool
   */
  public BackendPool pool() {
    return pool;
  }

  /**
   * The counters now.
   *
   * @return a snapshot
   */
  public HttpProxyStats stats() {
    int idle = backends.idleCount();
    for (HttpLoop l : loops()) {
      idle += l.idleCount();
    }
    return new HttpProxyStats(accepted.sum(), open.get(), requests.sum(), forwarded.sum(), clientErrors.sum(),
        backendErrors.sum(), retries.sum(), backendConnects.sum(), backendReuses.sum(), idle);
  }

  private synchronized List<HttpLoop> loops() {
    return List.copyOf(loops);
  }

  /**
   * Stops accepting, closes idle client connections, lets requests in progress finish (their
   * responses carry {@code Connection: close}) for up to the timeout, then closes what is left and
   * the proxy. Blocks until done.
   *
   * @param timeout how long requests in progress may take
   * @return what finished and what was cut
   */
  public HttpDrainReport drain(Duration timeout) {
    long start = System.nanoTime();
    long before = ended.sum();
    draining = true;
    List<HttpLoop> ls = loops();
    for (HttpLoop l : ls) {
      l.execute(l::drain);
    }
    closeListeners();
    for (ClientSession c : sessions) {
      c.closeIfIdle();
    }
    long deadline = start + timeout.toNanos();
    synchronized (open) {
      while (open.get() > 0) {
        long rem = deadline - System.nanoTime();
        if (rem <= 0) {
          break;
        }
        try {
          // connectionEnded notifies at zero; the bounded wait also covers a drain started at zero.
          open.wait(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(rem))));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    long cut = open.get();
    long finished = ended.sum() - before;
    close();
    return new HttpDrainReport(finished, cut, Duration.ofNanos(System.nanoTime() - start), cut == 0);
  }

  private synchronized void closeListeners() {
    for (ServerSocketChannel s : servers) {
      closeQuietly(s);
    }
  }

  /** Closes listeners, every client and backend connection, the sweeper, and the pool when owned. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    draining = true;
    closeListeners();
    List<HttpLoop> ls = loops();
    for (HttpLoop l : ls) {
      l.shutdown();
    }
    for (ClientSession c : sessions) {
      c.abort();
    }
    for (HttpLoop l : ls) {
      l.join();
    }
    backends.close();
    sweeper.shutdownNow();
    if (ownsPool) {
      pool.close();
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException | RuntimeException e) {
      // nothing to do: it is being discarded
    }
  }

  @Override
  public String toString() {
    return "HttpProxy" + listen + " hash-on " + hashOn + ", max " + maxConnections + " connections";
  }

  /**
   * Settings of an {@link HttpProxy}. Defaults follow HAProxy's orders of magnitude and are
   * listed with each method. Not thread-safe.
   */
  public static final class Builder {
    private final BackendPool pool;
    private final List<InetSocketAddress> listen = new ArrayList<>();
    private HashOn hashOn = HashOn.NONE;
    private int maxRequestLine = HttpLimits.DEFAULT.maxRequestLine();
    private int maxHeaderBytes = HttpLimits.DEFAULT.maxHeaderBytes();
    private int maxHeaders = HttpLimits.DEFAULT.maxHeaders();
    private long maxBodyBytes = HttpLimits.DEFAULT.maxBodyBytes();
    private Duration headerTimeout = Duration.ofSeconds(10);
    private Duration keepAliveTimeout = Duration.ofSeconds(60);
    private Duration clientTimeout = Duration.ofSeconds(30);
    private Duration backendTimeout = Duration.ofSeconds(30);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration backendIdleTimeout = Duration.ofSeconds(15);
    private int maxAttempts = 3;
    private int maxConnections = 10_000;
    private int maxIdlePerBackend = 64;
    private int maxRequestsPerConnection = 0;
    private int bufferSize = 16_384;
    private int backlog = 4096;
    private int eventLoops = 2;
    private ForwardedHeaders forwardedHeaders = ForwardedHeaders.BOTH;
    private @Nullable String via;
    private boolean ownsPool;

    private Builder(BackendPool pool) {
      this.pool = Objects.requireNonNull(pool, "pool");
    }

    /**
     * Adds an address to listen on.
     *
     * @param address the address (port 0: any free port)
     * @return this
     */
    public Builder listen(InetSocketAddress address) {
      listen.add(Objects.requireNonNull(address, "address"));
      return this;
    }

    /**
     * What the request key is computed from (default {@link HashOn#NONE}).
     *
     * @param hashOn the source of the key
     * @return this
     */
    public Builder hashOn(HashOn hashOn) {
      this.hashOn = Objects.requireNonNull(hashOn, "hashOn");
      return this;
    }

    /**
     * Size limits of a request head and body.
     *
     * @param maxRequestLine bytes of the request line (default 8192; more is 414)
     * @param maxHeaderBytes bytes of the header section (default 16384; more is 431)
     * @param maxHeaders header fields (default 100; more is 431)
     * @param maxBodyBytes request body bytes (default no limit, {@code Long.MAX_VALUE}; more is 413)
     * @return this
     */
    public Builder limits(int maxRequestLine, int maxHeaderBytes, int maxHeaders, long maxBodyBytes) {
      new HttpLimits(maxRequestLine, maxHeaderBytes, maxHeaders, maxBodyBytes);
      this.maxRequestLine = maxRequestLine;
      this.maxHeaderBytes = maxHeaderBytes;
      this.maxHeaders = maxHeaders;
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /**
     * Time a request head may take from its first byte (from the accept for a connection's first
     * request); after it 408 and close (HAProxy {@code timeout http-request}; default 10 s).
     *
     * @param t a positive duration
     * @return this
     */
    public Builder headerTimeout(Duration t) {
      this.headerTimeout = positive("header-timeout", t);
      return this;
    }

    /**
     * Time a keep-alive client connection may wait for its next request; then it is closed
     * silently (HAProxy {@code timeout http-keep-alive}; default 60 s).
     *
     * @param t a positive duration
     * @return this
     */
    public Builder keepAliveTimeout(Duration t) {
      this.keepAliveTimeout = positive("keepalive-timeout", t);
      return this;
    }

    /**
     * Longest silence while a request body arrives (HAProxy {@code timeout client}; default 30 s);
     * after it 408 and close.
     *
     * @param t a positive duration
     * @return this
     */
    public Builder clientTimeout(Duration t) {
      this.clientTimeout = positive("client-timeout", t);
      return this;
    }

    /**
     * Longest wait for a backend's response head, and longest silence within its body (HAProxy
     * {@code timeout server}; default 30 s); a head that does not come in time is 504.
     *
     * @param t a positive duration
     * @return this
     */
    public Builder backendTimeout(Duration t) {
      this.backendTimeout = positive("backend-timeout", t);
      return this;
    }

    /**
     * Backend connect timeout (default 5 s).
     *
     * @param t a positive duration
     * @return this
     */
    public Builder connectTimeout(Duration t) {
      this.connectTimeout = positive("connect-timeout", t);
      return this;
    }

    /**
     * How long an idle backend connection is kept for reuse (default 15 s; keep it below the
     * backends' own keep-alive timeout).
     *
     * @param t a positive duration
     * @return this
     */
    public Builder backendIdleTimeout(Duration t) {
      this.backendIdleTimeout = positive("backend-idle-timeout", t);
      return this;
    }

    /**
     * Backends tried per request: the first and its retries (default 3).
     *
     * @param n 1 or more
     * @return this
     */
    public Builder maxAttempts(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("connect-attempts must be at least 1, was " + n);
      }
      this.maxAttempts = n;
      return this;
    }

    /**
     * Client connections open at once; more wait in the listen backlog (HAProxy {@code maxconn};
     * default 10000).
     *
     * @param n 1 or more
     * @return this
     */
    public Builder maxConnections(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("max-connections must be at least 1, was " + n);
      }
      this.maxConnections = n;
      return this;
    }

    /**
     * Idle keep-alive connections kept per backend (default 64; 0 closes each after its response).
     *
     * @param n 0 or more
     * @return this
     */
    public Builder maxIdlePerBackend(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("max-idle-per-backend must be 0 or more, was " + n);
      }
      this.maxIdlePerBackend = n;
      return this;
    }

    /**
     * Requests served on one client connection before the proxy closes it (nginx {@code
     * keepalive_requests}; default 0: no limit).
     *
     * @param n 0 or more
     * @return this
     */
    public Builder maxRequestsPerConnection(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("max-requests-per-connection must be 0 or more, was " + n);
      }
      this.maxRequestsPerConnection = n;
      return this;
    }

    /**
     * Read and write buffer size per connection and direction (default 16384; heads may grow it up
     * to the head limits).
     *
     * @param bytes 1024 or more
     * @return this
     */
    public Builder bufferSize(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("buffer-size must be at least 1024, was " + bytes);
      }
      this.bufferSize = bytes;
      return this;
    }

    /**
     * Event-loop threads serving the connections (default 2; HAProxy's {@code nbthread}).
     *
     * @param n 1 or more
     * @return this
     */
    public Builder eventLoops(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("event-loops must be at least 1, was " + n);
      }
      this.eventLoops = n;
      return this;
    }

    /**
     * Listen backlog (default 4096).
     *
     * @param n 1 or more
     * @return this
     */
    public Builder backlog(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("backlog must be at least 1, was " + n);
      }
      this.backlog = n;
      return this;
    }

    /**
     * Which client-identifying headers to add (default both).
     *
     * @param f the choice
     * @return this
     */
    public Builder forwardedHeaders(ForwardedHeaders f) {
      this.forwardedHeaders = Objects.requireNonNull(f, "forwardedHeaders");
      return this;
    }

    /**
     * Adds {@code Via: 1.1 NAME} to requests and responses (RFC 9110 7.6.3); null: none (default).
     *
     * @param pseudonym a token such as {@code lb}, or null
     * @return this
     */
    public Builder via(@Nullable String pseudonym) {
      if (pseudonym != null && (pseudonym.isEmpty() || !pseudonym.chars().allMatch(HeadParser::isTchar))) {
        throw new IllegalArgumentException("via must be a token such as 'lb', was '" + pseudonym + "'");
      }
      this.via = pseudonym;
      return this;
    }

    /**
     * Whether {@link HttpProxy#close} closes the pool too (default false: the caller owns it).
     *
     * @param owns true to hand the pool over
     * @return this
     */
    public Builder closePool(boolean owns) {
      this.ownsPool = owns;
      return this;
    }

    /**
     * Builds the proxy (not started).
     *
     * @return the proxy
     * @throws IllegalArgumentException when no listen address was given
     */
    public HttpProxy build() {
      if (listen.isEmpty()) {
        throw new IllegalArgumentException("no listen address: add one with listen(address)");
      }
      return new HttpProxy(this);
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + d);
      }
      return d;
    }
  }

  static boolean isClosedSocket(IOException e) {
    return e instanceof SocketException;
  }
}
