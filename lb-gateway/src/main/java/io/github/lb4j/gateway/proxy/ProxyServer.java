package io.github.lb4j.gateway.proxy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthListener;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.NoBackendPolicy;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.gateway.config.Durations;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.BackendState;
import io.github.lb4j.pool.MembershipSink;
import io.github.lb4j.pool.MembershipSource;
import io.github.lb4j.pool.MembershipUnion;
import io.github.lb4j.pool.PoolListener;
import io.github.lb4j.pool.Transition;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A socket-level L4 TCP load balancer: a full proxy. It accepts client connections on one or more
 * addresses, picks a backend for each with a {@link Scheduler} created by name, opens its own
 * connection to that backend and relays bytes both ways. The backend sees the proxy as the client,
 * so its replies always come back through the proxy: the seed's source-NAT fix (S6.1b, S6.2) done
 * with sockets instead of packet rewriting. The PROXY protocol ({@link ProxyProtocol}) gives the
 * backend the client's address when it wants it.
 *
 * <p><b>Data plane.</b> A few event-loop threads (NIO selectors; no thread per connection) accept,
 * connect and relay. Each accepted connection becomes a flow key (client address and port to the
 * listener's address and port) in a {@code MutableFlowKey} reused per loop, and the proxy's {@link
 * BackendPool} leases a backend for it ({@link BackendPool#connect}). A connect that fails is
 * retried on another backend, never one already tried, up to {@code connectAttempts} times in all
 * (HAProxy's {@code retries} with {@code redispatch}). Relaying
 * reuses pooled direct buffers; a full buffer stops reading from its source until the destination
 * drains it (backpressure). When one side closes its sending half, the proxy shuts down output
 * towards the other side and keeps relaying the other direction; the connection closes when both
 * directions are done (TCP half-close as both endpoints see it).
 *
 * <p><b>Control plane.</b> The proxy has none of its own: a {@link BackendPool} ({@link #pool()})
 * owns membership (static {@link Builder#backend backends}, {@link Builder#membership membership
 * sources} such as lb-discovery's DNS SRV, A/AAAA and file sources, or both: a backend added,
 * removed or re-weighted by a source reaches the scheduler and its health check at once; a removed
 * one takes no new connection and its open ones relay until they end), weights (0 drains: no new
 * connections, existing ones continue), administrative states, health (a {@link HealthChecker} by name, run with rise and fall by lb-health's {@code
 * HealthMonitor}) and the scheduler updates that publish them. Each backend connection is a
 * connection lease of that pool: opened inactive, {@link io.github.lb4j.pool.Lease#established
 * established} when the TCP handshake is done (its time feeds the latency estimate), completed when
 * the connection closes (a refused or timed-out connect completes as a failure). So the session
 * counters ({@link BackendLoad}) that least-connections and latency-aware schedulers read are the
 * pool's, and listeners ({@link Builder#listener}) see every transition with its cause.
 *
 * <p><b>Stopping.</b> {@link #drain} stops accepting, lets relayed connections finish up to a
 * deadline and cuts the rest (HAProxy's soft stop with {@code hard-stop-after}); {@link #close}
 * cuts at once, and ends a drain in progress.
 *
 * <p><b>Threads.</b> Every public method may be called from any thread. {@link #setWeight}, {@link
 * #drain} and {@link #close} block until the pool or the event loops have applied them;
 * {@link #status()} and {@link #stats()} allocate a snapshot and never block.
 *
 * <pre>{@code
 * try (ProxyServer proxy = ProxyServer.builder()
 *     .listen(new InetSocketAddress("127.0.0.1", 8080))
 *     .backend(Backend.of("web-1", InetAddress.getLoopbackAddress(), 8081))
 *     .backend(Backend.of("web-2", InetAddress.getLoopbackAddress(), 8082))
 *     .algorithm("least-connections")
 *     .healthCheck(HealthCheckSpec.of("tcp"))
 *     .build()) {
 *   proxy.start();
 *   ...
 * }
 * }</pre>
 */
public final class ProxyServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ProxyServer.class);
  /** At most one warning about a local shortage per this gap; the ones between are counted in it. */
  private static final long SHORTAGE_WARNING_GAP_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final List<InetSocketAddress> requestedListen;
  private final BackendPool pool;
  /** The pool's membership: nothing until start(), then the union of the backends and the sources. */
  private final StartedAtListen membership;
  private final List<MembershipSource> sources;
  private final List<String> sourceNames;
  private final Duration discoveryWait;
  private final @Nullable HealthCheckSpec healthSpec;
  private final List<HealthListener> healthListeners;
  /** The last result of each backend's health check, passed to health listeners as the cause. */
  private final Map<String, HealthResult> lastResults = new ConcurrentHashMap<>();
  final long connectTimeoutNanos;
  final long idleTimeoutNanos;
  final int connectAttempts;
  final ProxyProtocol proxyProtocol;
  final int bufferSize;
  private final Duration drainTimeout;
  private final int eventLoopCount;
  private final int backlog;
  private final boolean logLifecycle;

  /** The static backends, in order; weights set before start replace their entry. */
  private final Map<String, Backend> configured;
  /**
   * Connection attempts that failed, per backend id of the membership (the pool's counters count
   * outcomes, not attempts); an entry leaves with its backend.
   */
  private final Map<String, LongAdder> connectFailuresById = new ConcurrentHashMap<>();
  private final List<ServerSocketChannel> listeners = new CopyOnWriteArrayList<>();
  private final List<EventLoop> loops = new CopyOnWriteArrayList<>();
  private volatile boolean started;
  /** Whether the backends joined the pool; before, weights change the configuration. Guarded by this. */
  private boolean joined;
  private volatile boolean listening;
  private volatile boolean closed;
  volatile boolean draining;
  private final ReentrantLock drainLock = new ReentrantLock();
  private final Condition drainProgress = drainLock.newCondition();
  private final CountDownLatch terminated = new CountDownLatch(1);

  final LongAdder accepted = new LongAdder();
  final LongAdder rejected = new LongAdder();
  final LongAdder connectFailures = new LongAdder();
  final LongAdder retries = new LongAdder();
  final LongAdder connectTimeouts = new LongAdder();
  final LongAdder idleTimeouts = new LongAdder();
  final LongAdder closedSessions = new LongAdder();
  /** Sessions the event loops closed because the proxy stopped (cut), not because they ended. */
  final LongAdder cutSessions = new LongAdder();
  /** Accepts and backend sockets that failed for the proxy's own lack of descriptors or ports. */
  final LongAdder localShortages = new LongAdder();
  private final AtomicLong lastShortageWarning = new AtomicLong(System.nanoTime() - SHORTAGE_WARNING_GAP_NANOS);
  private final LongAdder shortagesSinceWarning = new LongAdder();

  private ProxyServer(Builder b, SchedulerConfig config, @Nullable HealthChecker checker) {
    this.requestedListen = List.copyOf(b.listen);
    this.healthSpec = b.health;
    this.healthListeners = List.copyOf(b.healthListeners);
    this.connectTimeoutNanos = b.connectTimeout.toNanos();
    this.idleTimeoutNanos = b.idleTimeout.toNanos();
    this.connectAttempts = b.connectAttempts;
    this.proxyProtocol = b.proxyProtocol;
    this.bufferSize = b.bufferSize;
    this.drainTimeout = b.drainTimeout;
    this.eventLoopCount = b.eventLoops;
    this.backlog = b.backlog;
    this.logLifecycle = b.logLifecycle;
    this.configured = Collections.synchronizedMap(new LinkedHashMap<>(b.backends));
    this.sources = List.copyOf(b.sources);
    this.sourceNames = List.copyOf(b.sourceNames);
    this.discoveryWait = b.discoveryWait;
    this.membership = new StartedAtListen(sources);
    // The backends join at start(), so that nothing is checked or picked before the proxy listens.
    BackendPool.Builder pb = BackendPool.builder()
        .scheduler(b.algorithm)
        .schedulerConfig(config)
        .membership(membership)
        // One scheduler state for every event loop: round robin stays one global sequence.
        .stripes(1)
        // A proxy limits nothing it did not limit before: no circuit breaker, no retry budget
        // (connect retries are bounded by connect-attempts, as HAProxy's retries are).
        .circuitBreaker(Integer.MAX_VALUE, Integer.MAX_VALUE)
        .retryBudget(100, Integer.MAX_VALUE)
        .listener(this::onPoolTransition);
    b.poolListeners.forEach(pb::listener);
    HealthCheckSpec spec = b.health;
    if (checker != null && spec != null) {
      pb.healthCheck(checker, monitor -> monitor.interval(spec.interval()).timeout(spec.timeout())
          .rise(spec.rise()).fall(spec.fall())
          // Runs before the pool applies the same transition: the result is there for its listener.
          .listener((backend, from, to, cause) -> {
            if (isMember(backend.id())) {
              lastResults.put(backend.id(), cause);
            }
          }));
    }
    this.pool = pb.build();
  }

  /**
   * Returns a builder with the defaults: round robin, no health check, connect timeout 5 s, no idle
   * timeout, 3 connect attempts, no PROXY header, 2 event loops, 32 KiB buffers, drain timeout 30 s.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Publishes the backends to the scheduler, starts health checks and event loops, and binds every
   * listen address. Blocks until listening.
   *
   * @throws IOException when an address cannot be bound; a {@link BindException}'s message names
   *     the address (for example "cannot listen on 127.0.0.1:8080: address already in use")
   * @throws IllegalStateException when already started or closed
   */
  public void start() throws IOException {
    if (started || closed) {
      throw new IllegalStateException(closed ? "proxy is closed" : "proxy already started");
    }
    started = true;
    try {
      for (InetSocketAddress address : requestedListen) {
        listeners.add(bind(address));
      }
      // Bound: the backends join the pool (and their checks start) before the first accept.
      MembershipUnion union;
      synchronized (this) {
        List<MembershipSource> parts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (!configured.isEmpty()) {
          parts.add(MembershipSource.of(List.copyOf(configured.values())));
          names.add("static backends");
        }
        parts.addAll(sources);
        names.addAll(sourceNames);
        union = MembershipUnion.of(parts, names);
        membership.open(union);
        joined = true;
      }
      awaitFirstMembership(union);
      pool.flush().join();
      for (int i = 0; i < eventLoopCount; i++) {
        EventLoop loop = new EventLoop(this, i);
        loops.add(loop);
        loop.start();
      }
      for (ServerSocketChannel listener : listeners) {
        for (EventLoop loop : loops) {
          loop.listen(listener);
        }
      }
      listening = true;
      if (logLifecycle) {
        LOG.info("listening on {} with {} over {} backends",
            listenAddresses().stream().map(Endpoints::format).collect(java.util.stream.Collectors.joining(", ")),
            pool.scheduler().name(), pool.backends().size());
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * The entries kept per backend (failure counters, last check results): bounded by the membership,
   * since a backend's entries leave with it. Any thread.
   */
  int perBackendEntries() {
    return connectFailuresById.size() + lastResults.size();
  }

  /** Whether the backend is in the pool's membership now. Any thread. */
  private boolean isMember(String backendId) {
    return pool.backend(backendId) != null;
  }

  /** Waits for each source's first answer, so that the proxy does not listen with backends unknown. */
  private void awaitFirstMembership(MembershipUnion union) {
    if (sources.isEmpty()) {
      return;
    }
    try {
      List<String> silent = union.awaitFirstPush(discoveryWait);
      if (!silent.isEmpty()) {
        LOG.warn("no membership yet from {} after {}; listening with {} backends, the others join when it answers",
            String.join(", ", silent), Durations.format(discoveryWait), union.backends().size());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private ServerSocketChannel bind(InetSocketAddress address) throws IOException {
    ServerSocketChannel ch = ServerSocketChannel.open();
    try {
      ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      ch.bind(address, backlog);
      ch.configureBlocking(false);
      return ch;
    } catch (BindException e) {
      ch.close();
      String why = e.getMessage() == null ? "cannot bind" : e.getMessage().toLowerCase(java.util.Locale.ROOT);
      BindException named = new BindException("cannot listen on " + Endpoints.format(address) + ": " + why);
      named.initCause(e);
      throw named;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * Returns the addresses actually listened on (a requested port 0 shows the port the system chose),
   * in the order given; empty before {@link #start()}.
   *
   * @return the bound addresses
   */
  public List<InetSocketAddress> listenAddresses() {
    List<InetSocketAddress> out = new ArrayList<>();
    for (ServerSocketChannel ch : listeners) {
      try {
        out.add((InetSocketAddress) ch.getLocalAddress());
      } catch (IOException e) {
        // A closed listener has no address any more; it is left out.
      }
    }
    return out;
  }

  /**
   * Changes a backend's weight; 0 drains it: no new connections go to it and its existing ones
   * continue until they end (the pool's administrative weight, HAProxy's {@code set weight}).
   * Blocks until the scheduler has the new weight.
   *
   * @param backendId the backend's id
   * @param weight 0 to {@link Backend#MAX_WEIGHT}
   * @throws IllegalArgumentException naming the id or weight when unknown or out of range
   * @throws IllegalStateException when the proxy is closed
   */
  public void setWeight(String backendId, int weight) {
    if (closed) {
      throw new IllegalStateException("proxy is closed");
    }
    synchronized (this) {
      if (!joined) {
        Backend b = configured.get(backendId);
        if (b == null) {
          throw new IllegalArgumentException("unknown backend '" + backendId + "'; known: " + String.join(", ", configured.keySet())
              + (sources.isEmpty() ? "" : " (backends of membership sources join at start)"));
        }
        configured.put(backendId, b.withWeight(weight));
        return;
      }
    }
    if (pool.backend(backendId) == null) {
      throw new IllegalArgumentException("unknown backend '" + backendId + "'; known: "
          + pool.backends().stream().map(BackendState::id).collect(java.util.stream.Collectors.joining(", ")));
    }
    try {
      pool.setWeight(backendId, weight).join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : e;
    }
  }

  /**
   * Returns every backend's weight, health and load now: before {@link #start()} the static
   * backends, then the pool's membership, in its order (static backends first, then each source's).
   * A backend a source removed is no longer listed, even while its last connections finish.
   *
   * @return a new list of snapshots
   */
  public List<BackendStatus> status() {
    SessionCounters counters = pool.sessions();
    List<BackendStatus> out = new ArrayList<>();
    boolean before;
    synchronized (this) {
      before = !joined;
    }
    if (before) {
      List<Backend> backends;
      synchronized (configured) {
        backends = List.copyOf(configured.values());
      }
      for (Backend b : backends) {
        BackendLoad load = counters.of(b.id());
        out.add(new BackendStatus(b, HealthState.UNKNOWN, load.active() + load.inactive(), load.totalSessions(), 0, ""));
      }
      return out;
    }
    for (BackendState state : pool.backends()) {
      BackendLoad load = counters.of(state.id());
      LongAdder failures = connectFailuresById.get(state.id());
      out.add(new BackendStatus(current(state), health(state), load.active() + load.inactive(), load.totalSessions(),
          failures == null ? 0 : failures.sum(), state.detail()));
    }
    return out;
  }

  /**
   * Returns the membership sources given to the builder (lb-discovery's sources have a {@code
   * status()} that tells their last lookup and error), in order, with their names.
   *
   * @return the sources by name; empty when the proxy has static backends only
   */
  public Map<String, MembershipSource> membershipSources() {
    Map<String, MembershipSource> out = new LinkedHashMap<>();
    for (int i = 0; i < sources.size(); i++) {
      out.put(sourceNames.get(i), sources.get(i));
    }
    return out;
  }

  /**
   * Returns the proxy's counters now.
   *
   * @return a new snapshot
   */
  public ProxyStats stats() {
    long acc = accepted.sum();
    return new ProxyStats(acc, acc - closedSessions.sum(), rejected.sum(), connectFailures.sum(), retries.sum(),
        connectTimeouts.sum(), idleTimeouts.sum(), localShortages.sum());
  }

  /**
   * Returns the scheduler that picks backends.
   *
   * @return the scheduler
   */
  public Scheduler scheduler() {
    return pool.scheduler();
  }

  /**
   * Returns the pool that owns the backends: their administrative states (drain, maintenance),
   * weights, health and session counts. Backends join it when the proxy starts.
   *
   * @return the pool
   */
  public BackendPool pool() {
    return pool;
  }

  /**
   * Returns the live session counters the proxy feeds and the scheduler reads.
   *
   * @return the counters
   */
  public SessionCounters sessions() {
    return pool.sessions();
  }

  /**
   * Returns the health check, or {@code null} when backends are not checked.
   *
   * @return the specification or {@code null}
   */
  public @Nullable HealthCheckSpec healthCheck() {
    return healthSpec;
  }

  /**
   * Stops gracefully with the builder's drain timeout (30 s unless set); see {@link #drain(Duration)}.
   *
   * @return how many connections finished and how many were cut
   */
  public DrainReport drain() {
    return drain(drainTimeout);
  }

  /**
   * Returns how long {@link #drain()} lets connections finish.
   *
   * @return the drain timeout
   */
  public Duration drainTimeout() {
    return drainTimeout;
  }

  /**
   * Stops gracefully (HAProxy's soft stop, bounded as by its {@code hard-stop-after}): stops
   * accepting at once (the listeners close, so new connections are refused), lets the relayed
   * connections end on their own for up to {@code deadline}, then closes what is left as {@link
   * #close()} does. A {@link #close()} from another thread meanwhile (a second signal) ends the wait
   * at once. Blocks until the proxy is closed; call it from one thread, once.
   *
   * @param deadline how long connections may take to finish; zero cuts them at once
   * @return how many finished and how many were cut
   * @throws IllegalStateException when the proxy was never started
   */
  public DrainReport drain(Duration deadline) {
    if (!started) {
      throw new IllegalStateException("proxy was never started");
    }
    if (deadline.isNegative()) {
      throw new IllegalArgumentException("drain deadline must not be negative, was " + deadline);
    }
    long begin = System.nanoTime();
    long closedBefore = closedSessions.sum();
    long cutBefore = cutSessions.sum();
    if (!closed) {
      draining = true;
      stopAccepting();
      LOG.info("draining {} connections for up to {}", activeConnections(), Durations.format(deadline));
      long until = begin + saturatedNanos(deadline);
      drainLock.lock();
      try {
        long left;
        while (activeConnections() > 0 && !closed && (left = until - System.nanoTime()) > 0) {
          drainProgress.awaitNanos(left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        drainLock.unlock();
      }
    }
    boolean complete = activeConnections() == 0;
    boolean stoppedMeanwhile = closed;
    long lastEnded = System.nanoTime();
    close();
    long cut = cutSessions.sum() - cutBefore;
    long finished = closedSessions.sum() - closedBefore - cut;
    DrainReport.Outcome outcome = complete && cut == 0 ? DrainReport.Outcome.COMPLETE
        : stoppedMeanwhile ? DrainReport.Outcome.STOPPED : DrainReport.Outcome.DEADLINE;
    DrainReport report = new DrainReport(finished, cut, Duration.ofNanos((complete ? lastEnded : System.nanoTime()) - begin), outcome);
    LOG.info("drained: {} connections finished, {} cut ({})", finished, cut, outcome.name().toLowerCase(java.util.Locale.ROOT));
    return report;
  }

  /** The relayed connections open now, including those accepted and not yet started. */
  private long activeConnections() {
    return accepted.sum() - closedSessions.sum();
  }

  /** An event loop closed a session; wakes a drain waiting for the last one. Loop threads. */
  void sessionEnded() {
    if (draining && activeConnections() == 0) {
      drainLock.lock();
      try {
        drainProgress.signalAll();
      } finally {
        drainLock.unlock();
      }
    }
  }

  /** Each loop stops selecting on the listeners, then the listeners close: new connections are refused. */
  private void stopAccepting() {
    CountDownLatch stopped = new CountDownLatch(loops.size());
    for (EventLoop loop : loops) {
      loop.execute(() -> {
        loop.stopAccepting();
        stopped.countDown();
      });
    }
    try {
      if (!stopped.await(10, TimeUnit.SECONDS)) {
        LOG.warn("an event loop did not stop accepting within 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeListeners();
  }

  private void closeListeners() {
    for (ServerSocketChannel ch : listeners) {
      try {
        ch.close();
      } catch (IOException e) {
        LOG.debug("closing listener", e);
      }
    }
  }

  /**
   * Stops at once: stops accepting, cuts every relayed connection, stops health checks and the event
   * loops, and waits for their threads to end. Idempotent; a second caller waits until the first
   * has finished. Safe from a shutdown hook or a signal handler.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        awaitTermination();
        return;
      }
      closed = true;
    }
    drainLock.lock();
    try {
      drainProgress.signalAll();
    } finally {
      drainLock.unlock();
    }
    closeListeners();
    for (EventLoop loop : loops) {
      loop.shutdown();
    }
    for (EventLoop loop : loops) {
      loop.awaitTermination();
    }
    // After the loops: the sessions they cut have completed their leases.
    pool.close();
    if (listening && logLifecycle) {
      LOG.info("stopped after {} connections", accepted.sum());
    }
    terminated.countDown();
  }

  private void awaitTermination() {
    try {
      terminated.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 2;
    }
  }

  /**
   * Tells whether an I/O error is the proxy's own shortage rather than a peer's doing: no file
   * descriptor left (EMFILE, ENFILE), no local port (EADDRNOTAVAIL) or no buffer (ENOBUFS).
   */
  static boolean isLocalShortage(IOException e) {
    String m = e.getMessage();
    return m != null && (m.contains("Too many open files") || m.contains("Cannot assign requested address")
        || m.contains("No buffer space available"));
  }

  /**
   * Counts a local shortage and warns about it at most once per 10 s, with the number of others since
   * the last warning, so that a descriptor storm gives a few lines, not one per connection. Any thread.
   */
  void localShortage(String what, IOException e) {
    localShortages.increment();
    shortagesSinceWarning.increment();
    long now = System.nanoTime();
    long last = lastShortageWarning.get();
    if (now - last >= SHORTAGE_WARNING_GAP_NANOS && lastShortageWarning.compareAndSet(last, now)) {
      long n = shortagesSinceWarning.sumThenReset();
      LOG.warn("cannot {}: {}; {} such failures in the last {} s (accepts back off; raise the limit with ulimit -n)",
          what, e.getMessage(), n, TimeUnit.NANOSECONDS.toSeconds(SHORTAGE_WARNING_GAP_NANOS));
    }
  }

  /** Returns the loop with the fewest connections, {@code self} when it is among them. Any loop thread. */
  EventLoop leastLoadedLoop(EventLoop self) {
    EventLoop best = self;
    int least = self.load();
    for (int i = 0; i < loops.size(); i++) {
      EventLoop l = loops.get(i);
      int n = l.load();
      if (n < least) {
        best = l;
        least = n;
      }
    }
    return best;
  }

  /**
   * Counts a failed connection attempt to a backend of the membership. Any thread. The attempt holds
   * its lease, so a removed backend's entry cannot come back after its last lease ended.
   */
  void connectFailed(String backendId) {
    LongAdder n = connectFailuresById.get(backendId);
    if (n == null) {
      if (pool.backend(backendId) == null) {
        return;
      }
      n = connectFailuresById.computeIfAbsent(backendId, id -> new LongAdder());
    }
    n.increment();
  }

  /** The backend as the pool has it, with the weight the scheduler uses. */
  private static Backend current(BackendState state) {
    Backend b = state.backend();
    return b.weight() == state.weight() ? b : b.withWeight(state.weight());
  }

  /** The health as this proxy reports it: UNKNOWN without a check, else the checks' verdict. */
  private HealthState health(BackendState state) {
    return healthSpec == null ? HealthState.UNKNOWN : state.checked();
  }

  /**
   * Tells the health listeners of a check's transition, after the pool has published it. On the
   * pool's control context.
   */
  private void onPoolTransition(Transition t) {
    BackendState before = t.before();
    BackendState after = t.after();
    if (after == null && (t.cause() == Transition.Cause.REMOVED || t.cause() == Transition.Cause.DRAINED)
        && pool.backend(t.backendId()) == null) {
      // Removed (and, at DRAINED, its last connection ended): nothing of it is kept.
      connectFailuresById.remove(t.backendId());
      lastResults.remove(t.backendId());
      return;
    }
    if (t.cause() != Transition.Cause.HEALTH_CHECK || before == null || after == null || healthListeners.isEmpty()) {
      return;
    }
    HealthState from = before.checked();
    HealthState to = after.checked();
    HealthResult cause = lastResults.get(t.backendId());
    if (cause == null || cause.healthy() != (to == HealthState.UP)) {
      cause = to == HealthState.UP ? HealthResult.healthy(0, after.detail())
          : HealthResult.unhealthy(HealthReason.IO_ERROR, 0, after.detail());
    }
    for (HealthListener l : healthListeners) {
      try {
        l.onTransition(current(after), from, to, cause);
      } catch (RuntimeException e) {
        LOG.warn("health listener failed", e);
      }
    }
  }

  /**
   * Builds a {@link ProxyServer}. One thread; {@link #build()} validates everything and creates the
   * scheduler and checker by name, so a bad name or option fails here, before anything listens.
   */
  public static final class Builder {
    private final List<InetSocketAddress> listen = new ArrayList<>();
    private final Map<String, Backend> backends = new LinkedHashMap<>();
    private final List<MembershipSource> sources = new ArrayList<>();
    private final List<String> sourceNames = new ArrayList<>();
    private Duration discoveryWait = Duration.ofSeconds(5);
    private String algorithm = "round-robin";
    private SchedulerConfig.Builder schedulerConfig = SchedulerConfig.builder();
    private @Nullable HealthCheckSpec health;
    private final List<HealthListener> healthListeners = new ArrayList<>();
    private final List<PoolListener> poolListeners = new ArrayList<>();
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration idleTimeout = Duration.ZERO;
    private int connectAttempts = 3;
    private ProxyProtocol proxyProtocol = ProxyProtocol.NONE;
    private int eventLoops = 2;
    private int bufferSize = 32 * 1024;
    private int backlog = 4096;
    private boolean logLifecycle = true;
    private Duration drainTimeout = Duration.ofSeconds(30);

    private Builder() {}

    /**
     * Adds an address to listen on; port 0 lets the system choose.
     *
     * @param address a resolved address
     * @return this builder
     * @throws IllegalArgumentException when the address is unresolved
     */
    public Builder listen(InetSocketAddress address) {
      if (address.isUnresolved()) {
        throw new IllegalArgumentException("listen address must be resolved, was " + address);
      }
      listen.add(address);
      return this;
    }

    /**
     * Adds a backend.
     *
     * @param backend the backend; its weight is the starting weight (0 starts it drained)
     * @return this builder
     * @throws IllegalArgumentException naming the id when it repeats, when the port is 0, or when
     *     another backend has the same address and port: as IPVS refuses a real server twice in one
     *     service, since two entries would silently double its share (give it a weight instead)
     */
    public Builder backend(Backend backend) {
      if (backend.port() == 0) {
        throw new IllegalArgumentException("backend " + backend.id() + " needs a port, was 0");
      }
      for (Backend other : backends.values()) {
        if (other.address().equals(backend.address()) && other.port() == backend.port() && !other.id().equals(backend.id())) {
          throw new IllegalArgumentException("backend " + backend.id() + " has the address of backend " + other.id() + " ("
              + Endpoints.format(backend.socketAddress()) + "): one server is one backend; give it a weight instead");
        }
      }
      if (backends.putIfAbsent(backend.id(), backend) != null) {
        throw new IllegalArgumentException("backend id '" + backend.id() + "' is used twice");
      }
      return this;
    }

    /**
     * Adds a membership source: its backends join those of {@link #backend} and of the other
     * sources when the proxy starts, and follow it from then on (lb-discovery's {@code
     * Discovery.parse("srv:_http._tcp.example.test")}, {@code DnsMembership}, {@code
     * FileMembership}, or any {@link MembershipSource}). A backend whose id, or address and port,
     * an earlier backend or source already has is left out with a warning. The proxy starts the
     * source and closes it when it closes.
     *
     * @param name how logs and status name it, for example the spec it was parsed from
     * @param source the source, not started
     * @return this builder
     */
    public Builder membership(String name, MembershipSource source) {
      sourceNames.add(Objects.requireNonNull(name, "name"));
      sources.add(Objects.requireNonNull(source, "source"));
      return this;
    }

    /**
     * Sets how long {@link ProxyServer#start()} waits for each membership source's first answer
     * before it listens anyway (a DNS server that does not answer); the backends join when the
     * source answers. Default 5 s.
     *
     * @param wait zero (do not wait) or positive
     * @return this builder
     * @throws IllegalArgumentException naming the value when negative
     */
    public Builder discoveryWait(Duration wait) {
      if (wait.isNegative()) {
        throw new IllegalArgumentException("discovery-wait must not be negative, was " + wait);
      }
      this.discoveryWait = Durations.requireRepresentable("discovery-wait", wait);
      return this;
    }

    /**
     * Sets the scheduling algorithm by registry name.
     *
     * @param name for example {@code "least-connections"}
     * @return this builder
     */
    public Builder algorithm(String name) {
      this.algorithm = Objects.requireNonNull(name, "algorithm");
      return this;
    }

    /**
     * Replaces the scheduler configuration (its session counters become the proxy's).
     *
     * @param config the configuration
     * @return this builder
     */
    public Builder schedulerConfig(SchedulerConfig config) {
      this.schedulerConfig = config.toBuilder();
      return this;
    }

    /**
     * Sets an algorithm-specific option, for example {@code table-size=65537} for Maglev.
     *
     * @param name the option
     * @param value its value
     * @return this builder
     */
    public Builder schedulerOption(String name, String value) {
      schedulerConfig.option(name, value);
      return this;
    }

    /**
     * Sets the slow-start window after a backend joins or comes back up.
     *
     * @param window zero (off) or positive
     * @return this builder
     */
    public Builder slowStart(Duration window) {
      schedulerConfig.slowStart(Durations.requireRepresentable("slow-start", window));
      return this;
    }

    /**
     * Sets what happens when no backend is healthy.
     *
     * @param policy fail closed (refuse) or fail open (use unhealthy ones)
     * @return this builder
     */
    public Builder noBackendPolicy(NoBackendPolicy policy) {
      schedulerConfig.noBackendPolicy(policy);
      return this;
    }

    /**
     * Sets the hash seed, so that several proxies with the same configuration choose alike.
     *
     * @param seed any value
     * @return this builder
     */
    public Builder seed(long seed) {
      schedulerConfig.seed(seed);
      return this;
    }

    /**
     * Turns on health checks.
     *
     * @param spec the checker, options, interval, timeout, rise and fall; {@code null} turns checks off
     * @return this builder
     */
    public Builder healthCheck(@Nullable HealthCheckSpec spec) {
      this.health = spec;
      return this;
    }

    /**
     * Adds a listener told about every transition of the health checks (rise or fall reached), after
     * the scheduler has it, on the pool's control context; the cause is the check's last result.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder healthListener(HealthListener listener) {
      healthListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Adds a listener told about every change of every backend with its cause (joined at start,
     * health, weight, administrative state, drained), as {@link BackendPool.Builder#listener} does.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(PoolListener listener) {
      poolListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Sets how long a connection attempt to a backend may take before the next backend is tried.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException naming the value when not positive
     */
    public Builder connectTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("connect-timeout must be positive, was " + Durations.format(timeout));
      }
      this.connectTimeout = Durations.requireRepresentable("connect-timeout", timeout);
      return this;
    }

    /**
     * Sets how long a relayed connection may stay silent in both directions before it is closed.
     *
     * @param timeout zero (never) or positive
     * @return this builder
     * @throws IllegalArgumentException naming the value when negative
     */
    public Builder idleTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("idle-timeout must not be negative, was " + timeout);
      }
      this.idleTimeout = Durations.requireRepresentable("idle-timeout", timeout);
      return this;
    }

    /**
     * Sets how many backends one client connection may try in all before it is refused.
     *
     * @param attempts 1 to 16
     * @return this builder
     * @throws IllegalArgumentException naming the value when out of range
     */
    public Builder connectAttempts(int attempts) {
      if (attempts < 1 || attempts > 16) {
        throw new IllegalArgumentException("connect-attempts must be in 1..16, was " + attempts);
      }
      this.connectAttempts = attempts;
      return this;
    }

    /**
     * Sets how long {@link ProxyServer#drain()} lets open connections finish after the proxy stops
     * accepting, before it cuts them (HAProxy's {@code hard-stop-after}).
     *
     * @param timeout zero (cut at once) or positive
     * @return this builder
     * @throws IllegalArgumentException naming the value when negative
     */
    public Builder drainTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("drain-timeout must not be negative, was " + timeout);
      }
      this.drainTimeout = Durations.requireRepresentable("drain-timeout", timeout);
      return this;
    }

    /**
     * Sets the PROXY protocol header written to backends.
     *
     * @param version none, v1 or v2
     * @return this builder
     */
    public Builder proxyProtocol(ProxyProtocol version) {
      this.proxyProtocol = Objects.requireNonNull(version, "proxyProtocol");
      return this;
    }

    /**
     * Sets the number of event-loop threads.
     *
     * @param count 1 to 64
     * @return this builder
     * @throws IllegalArgumentException naming the value when out of range
     */
    public Builder eventLoops(int count) {
      if (count < 1 || count > 64) {
        throw new IllegalArgumentException("event-loops must be in 1..64, was " + count);
      }
      this.eventLoops = count;
      return this;
    }

    /**
     * Sets the size of each direction's relay buffer.
     *
     * @param bytes 1 KiB to 4 MiB
     * @return this builder
     * @throws IllegalArgumentException naming the value when out of range
     */
    public Builder bufferSize(int bytes) {
      if (bytes < 1024 || bytes > 4 << 20) {
        throw new IllegalArgumentException("buffer-size must be in 1024..4194304 bytes, was " + bytes);
      }
      this.bufferSize = bytes;
      return this;
    }

    /**
     * Sets the listen backlog.
     *
     * @param backlog 1 or more (the system caps it at net.core.somaxconn)
     * @return this builder
     * @throws IllegalArgumentException naming the value when not positive
     */
    public Builder backlog(int backlog) {
      if (backlog < 1) {
        throw new IllegalArgumentException("backlog must be at least 1, was " + backlog);
      }
      this.backlog = backlog;
      return this;
    }

    /**
     * Sets whether the proxy logs its start ("listening on ...") and stop at INFO; off for a proxy that
     * the user does not see, such as the command's JIT warm-up copy.
     *
     * @param log default true
     * @return this builder
     */
    public Builder logLifecycle(boolean log) {
      this.logLifecycle = log;
      return this;
    }

    /**
     * Validates the configuration and creates the scheduler and the health checker by name.
     *
     * @return a proxy, not yet started
     * @throws IllegalArgumentException naming what is missing or invalid: no listen address, no
     *     backend and no membership source, an unknown algorithm or checker (listing the known ones), a bad option
     * @throws UnsupportedOperationException when the platform cannot run the health check
     */
    public ProxyServer build() {
      if (listen.isEmpty()) {
        throw new IllegalArgumentException("no listen address: add one with listen(address)");
      }
      if (backends.isEmpty() && sources.isEmpty()) {
        throw new IllegalArgumentException("no backend: add one with backend(Backend.of(...)) or a membership(...) source");
      }
      SchedulerConfig config = schedulerConfig.build();
      HealthChecker checker = health == null ? null : HealthCheckers.create(health.checker(), health.options());
      try {
        return new ProxyServer(this, config, checker);
      } catch (RuntimeException e) {
        if (checker != null) {
          checker.close();
        }
        sources.forEach(MembershipSource::close);
        throw e;
      }
    }
  }

  /**
   * The pool's membership source: holds the pool's sink until the proxy listens, then starts the
   * union of the static backends and the sources on it; closing it (the pool does, when it closes)
   * closes the union and every source, also those of a proxy never started. Any thread.
   */
  private static final class StartedAtListen implements MembershipSource {
    private final List<MembershipSource> sources;
    private @Nullable MembershipSink sink;
    private @Nullable MembershipSource opened;
    private boolean closed;

    StartedAtListen(List<MembershipSource> sources) {
      this.sources = sources;
    }

    @Override
    public synchronized void start(MembershipSink sink) {
      this.sink = sink;
    }

    /** Starts the source on the pool's sink; a closed proxy closes it instead. */
    void open(MembershipSource source) {
      MembershipSink s;
      synchronized (this) {
        s = sink;
        if (closed || s == null) {
          source.close();
          return;
        }
        opened = source;
      }
      source.start(s);
    }

    @Override
    public void close() {
      MembershipSource o;
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        o = opened;
        opened = null;
      }
      if (o != null) {
        o.close();
      } else {
        sources.forEach(MembershipSource::close);
      }
    }
  }
}
