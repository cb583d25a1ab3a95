package io.github.lb4j.discovery;

import io.github.lb4j.api.Addresses;
import io.github.lb4j.api.Backend;
import io.github.lb4j.health.MonitorScheduler;
import io.github.lb4j.pool.MembershipSink;
import io.github.lb4j.pool.MembershipSource;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Name;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;

/**
 * A pool's membership from DNS, re-resolved as the answer's TTL runs out.
 *
 * <ul>
 *   <li>{@link #srv(String)}: the SRV records of a service name ({@code _http._tcp.example.test},
 *       RFC 2782), each target resolved to its A and AAAA addresses. SRV <em>priority</em> becomes
 *       the backend's priority by rank (the lowest SRV priority is lb4j's 0, the next 1, and so on,
 *       up to {@link Backend#MAX_PRIORITY}): lower serves first in both. SRV <em>weight</em> becomes
 *       the backend's weight; weight 0, which RFC 2782 reserves for "a very small chance" beside
 *       weighted records, becomes 1, since lb4j's 0 would drain. A single record whose target is
 *       {@code .} says the service is decidedly not available: the membership becomes empty.
 *   <li>{@link #addresses(String, int)}: the A and AAAA records of a host name, every address a
 *       backend on the given port with weight 1 (gRPC's and Envoy's {@code STRICT_DNS}).
 * </ul>
 *
 * <p>Backends are named {@code address:port} ({@code 192.0.2.10:8080}, {@code [2001:db8::1]:8080}),
 * so that an address keeps its id, and its counters in the pool, from one answer to the next; the
 * SRV target's name is the label {@code dns.target}. Two records for one address and port become
 * one backend: the higher priority, the larger weight.
 *
 * <p><b>Refresh.</b> The next lookup is due when the shortest TTL of the records used runs out,
 * clamped to [{@link Builder#minRefresh}, {@link Builder#maxRefresh}] (defaults 5 s and 5 min:
 * Envoy's {@code dns_min_refresh_rate} and a bound for records with day-long TTLs). An answer that
 * changes nothing pushes nothing.
 *
 * <p><b>Failures keep the last good set.</b> A timeout, a server failure (SERVFAIL, REFUSED), a name
 * that does not exist (NXDOMAIN) or an answer with no usable record leaves the pool as it was: the
 * failure is logged (WARN, once per kind of failure, then at DEBUG), shown by {@link #status()},
 * and the lookup is retried after {@code minRefresh}, doubling up to {@code maxRefresh}. A DNS
 * outage therefore never empties a pool; only a good answer changes it.
 *
 * <p><b>Why dnsjava.</b> The JDK resolver ({@code InetAddress}) answers neither SRV queries nor
 * TTLs (it caches by its own policy, {@code networkaddress.cache.ttl}), which TTL-driven refresh
 * needs; dnsjava speaks the protocol (UDP with TCP fallback on truncation) and gives the records.
 *
 * <p><b>Threads.</b> Lookups run on a {@link MonitorScheduler}: by default one daemon thread of the
 * source's own, started by {@link #start} and stopped by {@link #close}; {@link
 * Builder#scheduler} shares one (and lets tests drive time). A lookup blocks that thread for at
 * most the query timeout per server. {@link #status()} may be called from any thread and does not
 * block. dnsjava sends queries through one daemon selector thread of its own, shared by the JVM.
 */
public final class DnsMembership implements MembershipSource {

  private static final Logger LOG = LoggerFactory.getLogger(DnsMembership.class);

  /** The state of a DNS source at one moment. Immutable; any thread.
   *
   * @param backends the membership last pushed (the last good answer)
   * @param lastError the last lookup's failure, {@code null} after a good answer
   * @param consecutiveFailures lookups failed since the last good answer
   * @param refreshNanos the delay before the next lookup, as last scheduled; 0 before the first
   * @param lookups lookups made so far, good or not
   */
  public record Status(List<Backend> backends, @Nullable String lastError, int consecutiveFailures, long refreshNanos,
      long lookups) {

    /**
     * Copies the list.
     *
     * @throws NullPointerException when {@code backends} is null
     */
    public Status {
      backends = List.copyOf(backends);
    }
  }

  private final DnsQuery query;
  private final long minRefreshNanos;
  private final long maxRefreshNanos;
  private final @Nullable MonitorScheduler sharedScheduler;
  private final String description;

  // Guarded by this.
  private @Nullable MonitorScheduler scheduler;
  private MonitorScheduler.@Nullable Cancellable pending;
  private @Nullable MembershipSink sink;
  private boolean closed;
  private @Nullable String lastLoggedError;

  private volatile Status status = new Status(List.of(), null, 0, 0, 0);

  private DnsMembership(Builder b, DnsQuery query) {
    this.query = query;
    this.minRefreshNanos = b.minRefresh.toNanos();
    this.maxRefreshNanos = b.maxRefresh.toNanos();
    this.sharedScheduler = b.scheduler;
    this.description = query.describe();
  }

  /**
   * Starts a builder for the SRV records of a service name.
   *
   * @param serviceName the name, for example {@code _http._tcp.example.test}
   * @return the builder
   * @throws IllegalArgumentException when the name is not a valid DNS name
   */
  public static Builder srv(String serviceName) {
    return new Builder(serviceName, -1);
  }

  /**
   * Starts a builder for the A and AAAA records of a host name, every address on {@code port}.
   *
   * @param hostName the name, for example {@code web.example.test}
   * @param port the backends' port, 1 to 65535
   * @return the builder
   * @throws IllegalArgumentException when the name is not a valid DNS name or the port is out of range
   */
  public static Builder addresses(String hostName, int port) {
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be 1..65535, was " + port);
    }
    return new Builder(hostName, port);
  }

  @Override
  public void start(MembershipSink sink) {
    Objects.requireNonNull(sink, "sink");
    MonitorScheduler s;
    synchronized (this) {
      if (this.sink != null) {
        throw new IllegalStateException(description + " already feeds a pool");
      }
      if (closed) {
        return;
      }
      this.sink = sink;
      s = sharedScheduler != null ? sharedScheduler : MonitorScheduler.newThread("lb-dns " + query.name());
      scheduler = s;
    }
    s.execute(this::refresh);
  }

  /**
   * Returns what the source knows now: the membership it pushed, the last failure, when it looks
   * again. Any thread; never blocks.
   *
   * @return the status
   */
  public Status status() {
    return status;
  }

  /**
   * Looks up now, on the source's scheduler, instead of waiting for the TTL (an operator's "refresh
   * now"). Any thread; never blocks.
   */
  public void refreshNow() {
    MonitorScheduler s;
    synchronized (this) {
      s = scheduler;
      if (s == null || closed) {
        return;
      }
      if (pending != null) {
        pending.cancel();
      }
    }
    s.execute(this::refresh);
  }

  private void refresh() {
    MembershipSink out;
    synchronized (this) {
      out = sink;
      if (closed || out == null) {
        return;
      }
      pending = null;
    }
    Status before = status;
    DnsQuery.Answer answer;
    try {
      answer = query.resolve();
    } catch (DnsQuery.LookupException e) {
      failed(before, e.getMessage());
      return;
    }
    long delay = clamp(Math.multiplyExact(Math.max(0, answer.ttlSeconds()), 1_000_000_000L));
    synchronized (this) {
      if (closed) {
        return;
      }
      if (!answer.backends().equals(before.backends()) || before.lookups() == 0) {
        out.set(answer.backends());
        LOG.info("{}: {} backends (ttl {} s)", description, answer.backends().size(), answer.ttlSeconds());
      }
      if (before.lastError() != null) {
        LOG.info("{}: answered again after {} failed lookups", description, before.consecutiveFailures());
      }
      lastLoggedError = null;
      status = new Status(answer.backends(), null, 0, delay, before.lookups() + 1);
      schedule(delay);
    }
  }

  private void failed(Status before, @Nullable String message) {
    String error = message == null ? "lookup failed" : message;
    int failures = before.consecutiveFailures() + 1;
    long backoff = minRefreshNanos;
    for (int i = 1; i < failures && backoff < maxRefreshNanos; i++) {
      backoff *= 2;
    }
    long delay = Math.min(backoff, maxRefreshNanos);
    synchronized (this) {
      if (closed) {
        return;
      }
      String kept = "keeping the last good membership of " + before.backends().size() + " backends";
      if (!error.equals(lastLoggedError)) {
        LOG.warn("{}: {}; {}; retrying in {} ms", description, error, kept, delay / 1_000_000);
        lastLoggedError = error;
      } else {
        LOG.debug("{}: {}; {}", description, error, kept);
      }
      status = new Status(before.backends(), error, failures, delay, before.lookups() + 1);
      schedule(delay);
    }
  }

  private void schedule(long delayNanos) {
    MonitorScheduler s = scheduler;
    if (s != null) {
      pending = s.schedule(this::refresh, delayNanos);
    }
  }

  private long clamp(long nanos) {
    return Math.max(minRefreshNanos, Math.min(maxRefreshNanos, nanos));
  }

  /** Stops looking up; the pool keeps its last membership. Stops the source's own thread, if any. Idempotent. */
  @Override
  public void close() {
    MonitorScheduler own = null;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (pending != null) {
        pending.cancel();
      }
      if (scheduler != null && scheduler != sharedScheduler) {
        own = scheduler;
      }
    }
    if (own != null) {
      own.close();
    }
  }

  @Override
  public String toString() {
    return "DnsMembership{" + description + "}";
  }

  /**
   * Configures a {@link DnsMembership}. One thread; setters validate their argument.
   */
  public static final class Builder {
    private final String name;
    private final int port;
    private final List<InetSocketAddress> servers = new ArrayList<>();
    private Duration timeout = Duration.ofSeconds(2);
    private Duration minRefresh = Duration.ofSeconds(5);
    private Duration maxRefresh = Duration.ofMinutes(5);
    private boolean ipv4 = true;
    private boolean ipv6 = true;
    private @Nullable MonitorScheduler scheduler;

    private Builder(String name, int port) {
      Objects.requireNonNull(name, "name");
      try {
        Name.fromString(name, Name.root);
      } catch (TextParseException e) {
        throw new IllegalArgumentException("'" + name + "' is not a DNS name: " + e.getMessage(), e);
      }
      this.name = name;
      this.port = port;
    }

    /**
     * Asks this DNS server instead of the system's ({@code /etc/resolv.conf}); repeatable, the
     * servers are tried in turn.
     *
     * @param server the server's address and port
     * @return this
     */
    public Builder server(InetSocketAddress server) {
      servers.add(Objects.requireNonNull(server, "server"));
      return this;
    }

    /**
     * Sets how long one query waits for a server (default 2 s).
     *
     * @param timeout positive
     * @return this
     */
    public Builder timeout(Duration timeout) {
      this.timeout = positive(timeout, "timeout");
      return this;
    }

    /**
     * Sets the shortest time between lookups, whatever the TTL (default 5 s); also the first retry
     * delay after a failure.
     *
     * @param min positive
     * @return this
     */
    public Builder minRefresh(Duration min) {
      this.minRefresh = positive(min, "minRefresh");
      return this;
    }

    /**
     * Sets the longest time between lookups, whatever the TTL (default 5 min); also the longest
     * retry delay after failures.
     *
     * @param max positive
     * @return this
     */
    public Builder maxRefresh(Duration max) {
      this.maxRefresh = positive(max, "maxRefresh");
      return this;
    }

    /**
     * Chooses the address families looked up (default both).
     *
     * @param ipv4 whether to ask for A records
     * @param ipv6 whether to ask for AAAA records
     * @return this
     * @throws IllegalArgumentException when both are false
     */
    public Builder families(boolean ipv4, boolean ipv6) {
      if (!ipv4 && !ipv6) {
        throw new IllegalArgumentException("at least one address family (A or AAAA) is needed");
      }
      this.ipv4 = ipv4;
      this.ipv6 = ipv6;
      return this;
    }

    /**
     * Runs lookups on this scheduler instead of a thread of the source's own; the caller closes it.
     *
     * @param scheduler the scheduler
     * @return this
     */
    public Builder scheduler(MonitorScheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Builds the source; it looks up nothing until a pool starts it.
     *
     * @return the source
     * @throws IllegalArgumentException when minRefresh is above maxRefresh
     */
    public DnsMembership build() {
      if (minRefresh.compareTo(maxRefresh) > 0) {
        throw new IllegalArgumentException("minRefresh " + minRefresh + " is above maxRefresh " + maxRefresh);
      }
      Resolver resolver;
      if (servers.isEmpty()) {
        resolver = new ExtendedResolver();
      } else if (servers.size() == 1) {
        resolver = new SimpleResolver(servers.get(0));
      } else {
        List<Resolver> each = new ArrayList<>();
        for (InetSocketAddress s : servers) {
          each.add(new SimpleResolver(s));
        }
        resolver = new ExtendedResolver(each);
      }
      resolver.setTimeout(timeout);
      return new DnsMembership(this, new DnsQuery(resolver, name, port, ipv4, ipv6, describeServers()));
    }

    private String describeServers() {
      if (servers.isEmpty()) {
        return "the system's DNS servers";
      }
      List<String> names = new ArrayList<>();
      for (InetSocketAddress s : servers) {
        names.add(Addresses.format(s));
      }
      return String.join(", ", names);
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, was " + d);
      }
      return d;
    }
  }
}
