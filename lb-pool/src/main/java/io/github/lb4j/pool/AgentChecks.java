package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import io.github.lb4j.health.AgentChecker;
import io.github.lb4j.health.AgentReport;
import io.github.lb4j.health.MonitorScheduler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's HAProxy agent checks ({@code agent-check}, {@code agent-port}, {@code agent-inter}):
 * every backend's agent is queried at its address on the agent port, once per interval, one query
 * at a time, and each answer goes to the pool's control context, which applies it ({@link
 * PoolControl#onAgent}). The first query of a backend runs at once.
 *
 * <p>Any thread may add and remove backends; queries run on the pool's timer and the checker's
 * event loop; nothing blocks. {@link #close} stops every schedule (the pool closes the checker).
 */
final class AgentChecks implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AgentChecks.class);

  private final AgentChecker checker;
  private final int port;
  private final long intervalNanos;
  private final Duration timeout;
  private final MonitorScheduler timer;
  private final BiConsumer<String, AgentReport> sink;
  private final ConcurrentHashMap<String, Target> targets = new ConcurrentHashMap<>();
  private volatile boolean closed;

  AgentChecks(AgentChecker checker, int port, Duration interval, MonitorScheduler timer, BiConsumer<String, AgentReport> sink) {
    this.checker = checker;
    this.port = port;
    this.intervalNanos = interval.toNanos();
    this.timeout = interval;
    this.timer = timer;
    this.sink = sink;
  }

  /** Starts (or restarts, at a new address) the checks of a backend. */
  void add(Backend backend) {
    Target t = new Target(backend.id(), new InetSocketAddress(backend.address(), port == 0 ? backend.port() : port));
    Target old = targets.put(backend.id(), t);
    if (old != null) {
      old.stopped = true;
    }
    timer.execute(t::query);
  }

  void remove(String backendId) {
    Target t = targets.remove(backendId);
    if (t != null) {
      t.stopped = true;
    }
  }

  @Override
  public void close() {
    closed = true;
    targets.values().forEach(t -> t.stopped = true);
    targets.clear();
  }

  private final class Target {
    final String id;
    final InetSocketAddress address;
    volatile boolean stopped;

    Target(String id, InetSocketAddress address) {
      this.id = id;
      this.address = address;
    }

    void query() {
      if (stopped || closed) {
        return;
      }
      try {
        checker.query(address, timeout).whenComplete((report, error) -> {
          if (stopped || closed) {
            return;
          }
          if (report != null) {
            sink.accept(id, report);
          } else {
            LOG.warn("agent check of {} at {} failed: {}", id, address, String.valueOf(error));
          }
          timer.schedule(this::query, intervalNanos);
        });
      } catch (RuntimeException e) {
        LOG.warn("agent check of {} at {} could not start", id, address, e);
        timer.schedule(this::query, intervalNanos);
      }
    }
  }

  @Override
  public String toString() {
    return "AgentChecks{" + checker.name() + ", port " + port + ", " + targets.size() + " backends}";
  }
}
