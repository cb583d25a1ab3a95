package io.github.lb4j.gateway.proxy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthListener;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.NoBackendPolicy;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.gateway.config.Durations;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.health.HealthMonitor;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * listener's address and port) in a {@code MutableFlowKey} reused per loop, and {@link
 * Scheduler#select} picks the backend. A connect that fails is retried on another backend up to
 * {@code connectAttempts} times in all (HAProxy's {@code retries} with {@code redispatch}). Relaying
 * reuses pooled direct buffers; a full buffer stops reading from its source until the destination
 * drains it (backpressure). When one side closes its sending half, the proxy shuts down output
 * towards the other side and keeps relaying the other direction; the connection closes when both
 * directions are done (TCP half-close as both endpoints see it).
 *
 * <p><b>Control plane.</b> One control thread owns membership: weights (0 drains: no new
 * connections, existing ones continue), health (a {@link HealthChecker} by name, run with rise and
 * fall by lb-health's {@code HealthMonitor}) and the {@link Scheduler#update} calls that publish them. Session counters ({@link
 * BackendLoad}) are fed on every open, close and connect (its latency), so least-connections and
 * latency-aware schedulers see live load.
 *
 * <p><b>Stopping.</b> {@link #drain} stops accepting, lets relayed connections finish up to a
 * deadline and cuts the rest (HAProxy's soft stop with {@code hard-stop-after}); {@link #close}
 * cuts at once, and ends a drain in progress.
 *
 * <p><b>Threads.</b> Every public method may be called from any thread. {@link #setWeight}, {@link
 * #drain} and {@link #close} block until the control thread or the event loops have applied them;
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
  private final Scheduler scheduler;
  private final SessionCounters counters;
  private final @Nullable HealthCheckSpec healthSpec;
  private final @Nullable HealthChecker checker;
  private final List<HealthListener> healthListeners;
  final long connectTimeoutNanos;
  final long idleTimeoutNanos;
  final int connectAttempts;
  final ProxyProtocol proxyProtocol;
  final int bufferSize;
  private final Duration drainTimeout;
  private final int eventLoopCount;
  private final int backlog;

  private final List<Member> members;
  private final Map<String, Member> membersById;
  private final ScheduledExecutorService control;
  private final List<ServerSocketChannel> listeners = new CopyOnWriteArrayList<>();
  private final List<EventLoop> loops = new CopyOnWriteArrayList<>();
  private @Nullable HealthMonitor healthMonitor;
  private volatile boolean started;
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

  private ProxyServer(Builder b, Scheduler scheduler, SessionCounters counters, @Nullable HealthChecker checker) {
    this.requestedListen = List.copyOf(b.listen);
    this.scheduler = scheduler;
    this.counters = counters;
    this.healthSpec = b.health;
    this.checker = checker;
    this.healthListeners = List.copyOf(b.healthListeners);
    this.connectTimeoutNanos = b.connectTimeout.toNanos();
    this.idleTimeoutNanos = b.idleTimeout.toNanos();
    this.connectAttempts = b.connectAttempts;
    this.proxyProtocol = b.proxyProtocol;
    this.bufferSize = b.bufferSize;
    this.drainTimeout = b.drainTimeout;
    this.eventLoopCount = b.eventLoops;
    this.backlog = b.backlog;
    List<Member> ms = new ArrayList<>();
    Map<String, Member> byId = new LinkedHashMap<>();
    for (Backend backend : b.backends.values()) {
      Member m = new Member(backend);
      ms.add(m);
      byId.put(backend.id(), m);
    }
    this.members = Collections.unmodifiableList(ms);
    this.membersById = Collections.unmodifiableMap(byId);
    this.control = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lb-control");
      t.setDaemon(true);
      return t;
    });
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
      onControl(this::publish);
      for (InetSocketAddress address : requestedListen) {
        listeners.add(bind(address));
      }
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
      if (checker != null && healthSpec != null) {
        HealthMonitor monitor = HealthMonitor.builder(checker)
            .interval(healthSpec.interval())
            .timeout(healthSpec.timeout())
            .rise(healthSpec.rise())
            .fall(healthSpec.fall())
            .scheduler(new ControlScheduler(control))
            .listener(this::onTransition)
            .build();
        healthMonitor = monitor;
        members.forEach(m -> monitor.add(m.configured));
      }
      listening = true;
      LOG.info("listening on {} with {} over {} backends",
          listenAddresses().stream().map(Endpoints::format).collect(java.util.stream.Collectors.joining(", ")),
          scheduler.name(), members.size());
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
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
   * continue until they end. Blocks until the scheduler has the new weight.
   *
   * @param backendId the backend's id
   * @param weight 0 to {@link Backend#MAX_WEIGHT}
   * @throws IllegalArgumentException naming the id or weight when unknown or out of range
   */
  public void setWeight(String backendId, int weight) {
    Member m = membersById.get(backendId);
    if (m == null) {
      throw new IllegalArgumentException("unknown backend '" + backendId + "'; known: " + String.join(", ", membersById.keySet()));
    }
    m.configured.withWeight(weight);
    onControl(() -> {
      m.weight = weight;
      publish();
    });
  }

  /**
   * Returns every backend's weight, health and load now, in configuration order.
   *
   * @return a new list of snapshots
   */
  public List<BackendStatus> status() {
    List<BackendStatus> out = new ArrayList<>(members.size());
    for (Member m : members) {
      BackendLoad load = counters.of(m.configured.id());
      out.add(new BackendStatus(m.current(), m.state, load.active() + load.inactive(), load.totalSessions(),
          m.connectFailures.sum(), m.detail));
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
    return scheduler;
  }

  /**
   * Returns the live session counters the proxy feeds and the scheduler reads.
   *
   * @return the counters
   */
  public SessionCounters sessions() {
    return counters;
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
    HealthMonitor monitor = healthMonitor;
    if (monitor != null) {
      monitor.close();
    }
    if (checker != null) {
      checker.close();
    }
    for (EventLoop loop : loops) {
      loop.shutdown();
    }
    for (EventLoop loop : loops) {
      loop.awaitTermination();
    }
    control.shutdownNow();
    try {
      control.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (listening) {
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

  @Nullable Member member(String backendId) {
    return membersById.get(backendId);
  }

  List<Member> members() {
    return members;
  }

  /** Called by the health monitor on the control thread (it runs on {@link ControlScheduler}). */
  private void onTransition(Backend backend, HealthState from, HealthState to, HealthResult cause) {
    Member m = membersById.get(backend.id());
    if (m == null) {
      return;
    }
    m.state = to;
    m.detail = cause.detail();
    LOG.info("backend {} {} -> {} ({})", m.configured.id(), from, to, cause.detail());
    publish();
    for (HealthListener l : healthListeners) {
      try {
        l.onTransition(m.current(), from, to, cause);
      } catch (RuntimeException e) {
        LOG.warn("health listener failed", e);
      }
    }
  }

  /** Control thread only: hands the current membership to the scheduler. */
  private void publish() {
    List<Backend> eligible = new ArrayList<>(members.size());
    List<Backend> ineligible = new ArrayList<>();
    for (Member m : members) {
      (m.state == HealthState.DOWN ? ineligible : eligible).add(m.current());
    }
    scheduler.update(eligible, ineligible);
  }

  private void onControl(Runnable task) {
    if (control.isShutdown()) {
      throw new IllegalStateException("proxy is closed");
    }
    try {
      control.submit(task).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the control thread", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(c);
    } catch (TimeoutException e) {
      throw new IllegalStateException("control thread did not answer within 30 s", e);
    }
  }

  /**
   * Builds a {@link ProxyServer}. One thread; {@link #build()} validates everything and creates the
   * scheduler and checker by name, so a bad name or option fails here, before anything listens.
   */
  public static final class Builder {
    private final List<InetSocketAddress> listen = new ArrayList<>();
    private final Map<String, Backend> backends = new LinkedHashMap<>();
    private String algorithm = "round-robin";
    private SchedulerConfig.Builder schedulerConfig = SchedulerConfig.builder();
    private @Nullable HealthCheckSpec health;
    private final List<HealthListener> healthListeners = new ArrayList<>();
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration idleTimeout = Duration.ZERO;
    private int connectAttempts = 3;
    private ProxyProtocol proxyProtocol = ProxyProtocol.NONE;
    private int eventLoops = 2;
    private int bufferSize = 32 * 1024;
    private int backlog = 4096;
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
     * Adds a listener told about every health transition, on the control thread.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder healthListener(HealthListener listener) {
      healthListeners.add(Objects.requireNonNull(listener, "listener"));
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
     * Validates the configuration and creates the scheduler and the health checker by name.
     *
     * @return a proxy, not yet started
     * @throws IllegalArgumentException naming what is missing or invalid: no listen address, no
     *     backend, an unknown algorithm or checker (listing the known ones), a bad option
     * @throws UnsupportedOperationException when the platform cannot run the health check
     */
    public ProxyServer build() {
      if (listen.isEmpty()) {
        throw new IllegalArgumentException("no listen address: add one with listen(address)");
      }
      if (backends.isEmpty()) {
        throw new IllegalArgumentException("no backend: add one with backend(Backend.of(...))");
      }
      SchedulerConfig config = schedulerConfig.build();
      Scheduler scheduler = Schedulers.create(algorithm, config);
      HealthChecker checker = health == null ? null : HealthCheckers.create(health.checker(), health.options());
      return new ProxyServer(this, scheduler, config.sessions(), checker);
    }
  }
}
