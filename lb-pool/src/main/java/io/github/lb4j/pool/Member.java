package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.HealthState;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * One backend id in the pool: its control-plane state (confined to the control context) and what
 * the data plane reads (final fields, the lease tokens, the connection count, a volatile drain flag).
 *
 * <p>A member lives from the membership's add to its remove; its {@link BackendLoad} is keyed by id
 * in the pool's session counters and so outlives it (a backend removed and added again keeps its
 * counts, and leases taken before the removal complete on the same counters).
 */
final class Member {

  private static final VarHandle CONNECTIONS;

  static {
    try {
      CONNECTIONS = MethodHandles.lookup().findVarHandle(Member.class, "connections", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final String id;
  final BackendLoad load;
  /** Request leases by stripe: shared tokens, so that a pick allocates nothing. */
  final Lease[] requestLeases;
  /** Retry leases by stripe: as above, marked as retries so that completing frees the budget. */
  final Lease[] retryLeases;

  /** Connection leases granted and not completed; bounded by the per-backend connection limit. */
  @SuppressWarnings("unused") // Through CONNECTIONS.
  private volatile long connections;

  /** Set while the member does not serve and work is in flight: completions then check for DRAINED. */
  volatile boolean watchDrain;

  /** The definition from the membership; written on the control context, read by leases on any thread. */
  volatile Backend backend;

  // Control context only.
  /** The backend given to the health monitor (identity tells a stale transition from a current one). */
  Backend monitored;
  /** The copy given to the scheduler (the effective weight), reused while nothing changes. */
  Backend published;
  /** The definition {@link #published} was made from; {@code null} until first published. */
  @Nullable Backend publishedFrom;
  AdminState admin = AdminState.ACTIVE;
  int adminWeight = -1;
  HealthState checked;
  HealthState reported = HealthState.UP;
  boolean ejected;
  /** The agent check's connection limit ({@code maxconn:N}); {@link Long#MAX_VALUE} when none. Read by picks. */
  volatile long agentMaxconn = Long.MAX_VALUE;
  /** The agent's weight ({@code 75%} resolved, or {@code weight:N}); -1 when it set none. */
  int agentWeight = -1;
  /** The administrative state the agent asked for ({@code drain}, {@code maint}; {@code ready} is ACTIVE). */
  AdminState agentAdmin = AdminState.ACTIVE;
  /** Whether the agent said {@code down}, {@code fail} or {@code stopped} (until it says {@code up}). */
  boolean agentDown;
  /** Envoy's degraded: serves only the share of the load its priority's healthy hosts cannot take. */
  boolean degraded;
  String detail = "";
  boolean removed;

  Member(Backend backend, BackendLoad load, Picker picker, HealthState initialCheck) {
    this.id = backend.id();
    this.load = load;
    this.backend = backend;
    this.monitored = backend;
    this.published = backend;
    this.publishedFrom = null;
    this.checked = initialCheck;
    int stripes = picker.stripes();
    this.requestLeases = new Lease[stripes];
    this.retryLeases = new Lease[stripes];
    for (int s = 0; s < stripes; s++) {
      requestLeases[s] = new Lease(picker, this, s, false, Lease.SHARED);
      retryLeases[s] = new Lease(picker, this, s, true, Lease.SHARED);
    }
  }

  /** Counts one more connection unless {@code limit} are open. Any thread. */
  boolean tryOpenConnection(long limit) {
    for (;;) {
      long c = (long) CONNECTIONS.getVolatile(this);
      if (c >= limit) {
        return false;
      }
      if (CONNECTIONS.compareAndSet(this, c, c + 1)) {
        return true;
      }
    }
  }

  /** Counts one connection fewer. Any thread. */
  void connectionClosed() {
    CONNECTIONS.getAndAdd(this, -1L);
  }

  long connections() {
    return (long) CONNECTIONS.getVolatile(this);
  }

  /** Requests and sessions in flight on this backend, as its counters see them. */
  long inFlight() {
    return load.pending() + load.active() + load.inactive();
  }

  @Override
  public String toString() {
    return "Member{" + id + "}";
  }
}
