package io.github.lb4j.grpc;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.BackendState;
import io.github.lb4j.pool.DynamicMembership;
import io.github.lb4j.pool.Transition;
import io.grpc.Attributes;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code lb4j} policy of one channel: one {@link BackendPool} whose members are the resolved
 * address groups, one subchannel per member.
 *
 * <p><b>One state, three inputs.</b> A subchannel's connectivity is reported to the pool as the
 * embedder's health ({@link BackendPool#reportHealth}: READY is up, anything else down), next to
 * lb4j's active health checks and outlier detection, so the pool's one snapshot decides which
 * backends take RPCs, and its listener tells this policy of every change. The channel's state is
 * then READY when a connected backend serves, CONNECTING while a subchannel that never failed is
 * still connecting, and TRANSIENT_FAILURE otherwise, with a status that names each backend and why
 * it does not serve (sticky transient failure as in gRFC A62: a subchannel that failed counts as
 * failing until it is READY again, not while it retries).
 *
 * <p><b>Threads.</b> gRPC's {@code LoadBalancer} contract: every method runs on the channel's
 * {@link SynchronizationContext}, which is also the pool's control executor, so the pool's changes
 * and this policy's reactions are serialized together (health-check and outlier timers hand their
 * results to that context from the pool's timer thread). The policy may allocate and never blocks,
 * except {@link #shutdown()}, which waits for the pool's timer thread to stop.
 */
final class Lb4jLoadBalancer extends LoadBalancer {

  private static final Logger LOG = LoggerFactory.getLogger(Lb4jLoadBalancer.class);

  /** The address of a backend whose address is not an IP socket address (in-process, Unix socket). */
  private static final InetAddress NO_IP = InetAddress.getLoopbackAddress();

  private final Helper helper;
  private final SynchronizationContext sync;
  private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
  private final UnusedLeases unused = new UnusedLeases();
  private @Nullable BackendPool pool;
  private @Nullable DynamicMembership membership;
  private @Nullable PolicyConfig config;
  private Metadata.@Nullable Key<String> keyHeader;
  /** Counts pool generations, so that a replaced pool's late transitions are ignored. */
  private int generation;
  private @Nullable ConnectivityState lastState;
  private @Nullable Status resolutionError;
  private boolean shutdown;

  Lb4jLoadBalancer(Helper helper) {
    this.helper = helper;
    this.sync = helper.getSynchronizationContext();
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    if (shutdown) {
      return Status.UNAVAILABLE.withDescription("lb4j: policy is shut down");
    }
    List<EquivalentAddressGroup> groups = resolved.getAddresses();
    if (groups.isEmpty()) {
      Status error = Status.UNAVAILABLE.withDescription(
          "lb4j: the name resolver returned no address; attributes " + resolved.getAttributes());
      handleNameResolutionError(error);
      return error;
    }
    Object raw = resolved.getLoadBalancingPolicyConfig();
    PolicyConfig cfg = raw instanceof PolicyConfig c ? c : PolicyConfig.DEFAULT;

    Map<String, Backend> backends = new LinkedHashMap<>();
    Map<String, EquivalentAddressGroup> groupsById = new LinkedHashMap<>();
    try {
      for (EquivalentAddressGroup g : groups) {
        String id = id(g);
        if (!backends.containsKey(id)) {
          backends.put(id, backend(id, g));
          groupsById.put(id, g);
        }
      }
    } catch (IllegalArgumentException e) {
      Status error = Status.UNAVAILABLE.withDescription("lb4j: unusable addresses: " + e.getMessage()).withCause(e);
      handleNameResolutionError(error);
      return error;
    }
    resolutionError = null;

    for (Iterator<Map.Entry<String, Endpoint>> it = endpoints.entrySet().iterator(); it.hasNext();) {
      Map.Entry<String, Endpoint> e = it.next();
      if (!backends.containsKey(e.getKey())) {
        it.remove();
        e.getValue().ready = false;
        e.getValue().subchannel.shutdown();
      }
    }
    List<Endpoint> created = new ArrayList<>();
    for (Map.Entry<String, Backend> b : backends.entrySet()) {
      String id = b.getKey();
      EquivalentAddressGroup g = groupsById.get(id);
      Endpoint e = endpoints.get(id);
      if (e == null) {
        Subchannel sc = helper.createSubchannel(CreateSubchannelArgs.newBuilder().setAddresses(g).build());
        e = new Endpoint(id, b.getValue(), g, sc);
        endpoints.put(id, e);
        created.add(e);
      } else {
        if (!e.addresses.equals(g)) {
          e.subchannel.updateAddresses(List.of(g));
          e.addresses = g;
        }
        e.backend = b.getValue();
      }
    }

    if (pool == null || !cfg.equals(config)) {
      replacePool(cfg);
    } else {
      DynamicMembership m = membership;
      if (m != null) {
        m.set(backends.values());
      }
    }
    for (Endpoint e : created) {
      e.subchannel.start(info -> onSubchannelState(e, info));
      e.subchannel.requestConnection();
    }
    updateState();
    return Status.OK;
  }

  /** A new service config: a new pool with the same members, subchannels kept. */
  private void replacePool(PolicyConfig cfg) {
    BackendPool old = pool;
    int gen = ++generation;
    DynamicMembership m = new DynamicMembership(endpoints.values().stream().map(e -> e.backend).toList());
    BackendPool.Builder b = BackendPool.builder()
        .membership(m)
        .controlExecutor(sync)
        .listener(t -> onTransition(gen, t));
    cfg.apply(b);
    // Applied after this task: the listener reports each member's connectivity as it is added.
    BackendPool p = b.build();
    pool = p;
    membership = m;
    config = cfg;
    String header = cfg.requestKeyHeader();
    keyHeader = header == null ? null : Metadata.Key.of(header, Metadata.ASCII_STRING_MARSHALLER);
    if (old != null) {
      old.close();
    }
    LOG.debug("lb4j policy for {}: pool {} with {}", helper.getAuthority(), p, cfg);
  }

  private void onTransition(int gen, Transition t) {
    if (shutdown || gen != generation) {
      return;
    }
    Endpoint e = endpoints.get(t.backendId());
    if (e != null && t.cause() == Transition.Cause.ADDED) {
      report(e);
    } else if (e != null && t.cause() == Transition.Cause.HEALTH_CHECK) {
      e.checkDetail = t.detail();
    }
    updateState();
  }

  private void onSubchannelState(Endpoint e, ConnectivityStateInfo info) {
    if (shutdown || endpoints.get(e.id) != e) {
      return;
    }
    ConnectivityState s = info.getState();
    if (s == ConnectivityState.SHUTDOWN) {
      return;
    }
    if (s == ConnectivityState.IDLE) {
      // As round_robin does: a connection that went idle (GOAWAY, idle timeout) is reconnected at
      // once, since every backend should stay ready to take its share.
      e.subchannel.requestConnection();
    }
    if (s == ConnectivityState.TRANSIENT_FAILURE || s == ConnectivityState.IDLE) {
      helper.refreshNameResolution();
    }
    e.state = s;
    e.ready = s == ConnectivityState.READY;
    if (s == ConnectivityState.TRANSIENT_FAILURE) {
      e.failing = true;
      e.lastFailure = info.getStatus();
    } else if (s == ConnectivityState.READY) {
      e.failing = false;
    }
    report(e);
    updateState();
  }

  /** Tells the pool what the subchannel's state means for the backend's health. */
  private void report(Endpoint e) {
    BackendPool p = pool;
    if (p == null || p.backend(e.id) == null) {
      return; // Not applied yet; the ADDED transition reports it.
    }
    String detail = "subchannel " + e.state
        + (e.state == ConnectivityState.TRANSIENT_FAILURE ? ": " + describe(e.lastFailure) : "");
    p.reportHealth(e.id, e.ready ? HealthState.UP : HealthState.DOWN, detail);
  }

  /** Publishes the channel state and picker that the pool and the subchannels give now. */
  private void updateState() {
    BackendPool p = pool;
    if (shutdown || p == null) {
      return;
    }
    boolean serving = false;
    boolean connecting = false;
    for (Endpoint e : endpoints.values()) {
      BackendState s = p.backend(e.id);
      if (e.ready && s != null && s.serving()) {
        serving = true;
      }
      if (!e.ready && !e.failing) {
        connecting = true;
      }
    }
    if (serving) {
      publish(ConnectivityState.READY, new PoolPicker(p, endpoints, keyHeader, config().failureStatusCodes(), unused));
    } else if (connecting) {
      publish(ConnectivityState.CONNECTING, new FixedPicker(PickResult.withNoResult()));
    } else {
      publish(ConnectivityState.TRANSIENT_FAILURE, new FixedPicker(PickResult.withError(failure(p))));
    }
  }

  private PolicyConfig config() {
    PolicyConfig c = config;
    return c == null ? PolicyConfig.DEFAULT : c;
  }

  private void publish(ConnectivityState state, SubchannelPicker picker) {
    lastState = state;
    helper.updateBalancingState(state, picker);
  }

  /** The status of a channel with no serving backend: why each backend does not serve. */
  private Status failure(BackendPool p) {
    StringBuilder why = new StringBuilder("lb4j: no backend is serving:");
    Throwable cause = null;
    for (Endpoint e : endpoints.values()) {
      why.append(' ').append(e.id).append(" (");
      BackendState s = p.backend(e.id);
      if (!e.ready) {
        why.append("subchannel ").append(e.state);
        if (e.failing) {
          why.append(": ").append(describe(e.lastFailure));
          if (cause == null) {
            cause = e.lastFailure.getCause();
          }
        }
      } else if (s == null) {
        why.append("not yet in the pool");
      } else {
        why.append(reason(s, e));
      }
      why.append(");");
    }
    why.setLength(why.length() - 1);
    Status resolution = resolutionError;
    if (resolution != null) {
      why.append("; name resolution: ").append(describe(resolution));
    }
    return Status.UNAVAILABLE.withDescription(why.toString()).withCause(cause);
  }

  private static String reason(BackendState s, Endpoint e) {
    if (s.ejected()) {
      return "ejected by outlier detection";
    }
    if (s.checked() == HealthState.DOWN) {
      return "health check down" + (e.checkDetail.isEmpty() ? "" : ": " + e.checkDetail);
    }
    if (s.weight() == 0) {
      return "weight 0 (" + s.admin() + ")";
    }
    return "not serving: " + s.admin() + ", checked " + s.checked() + ", reported " + s.reported();
  }

  private static String describe(Status s) {
    return s.getCode() + (s.getDescription() == null ? "" : " " + s.getDescription());
  }

  @Override
  public void handleNameResolutionError(Status error) {
    if (shutdown) {
      return;
    }
    resolutionError = error;
    // Keep serving from the last good addresses, as round_robin does; fail only when nothing serves.
    if (lastState == ConnectivityState.READY) {
      return;
    }
    BackendPool p = pool;
    Status status = p == null || endpoints.isEmpty()
        ? Status.UNAVAILABLE.withDescription("lb4j: name resolution failed: " + describe(error)).withCause(error.getCause())
        : failure(p);
    publish(ConnectivityState.TRANSIENT_FAILURE, new FixedPicker(PickResult.withError(status)));
  }

  @Override
  public void requestConnection() {
    for (Endpoint e : endpoints.values()) {
      if (e.state == ConnectivityState.IDLE) {
        e.subchannel.requestConnection();
      }
    }
  }

  @Override
  public void shutdown() {
    if (shutdown) {
      return;
    }
    shutdown = true;
    for (Endpoint e : endpoints.values()) {
      e.ready = false;
      e.subchannel.shutdown();
    }
    endpoints.clear();
    BackendPool p = pool;
    pool = null;
    membership = null;
    if (p != null) {
      p.close();
    }
  }

  /** The backend id of an address group: its addresses, in order, as {@code host:port}. */
  static String id(EquivalentAddressGroup g) {
    StringBuilder sb = new StringBuilder();
    for (SocketAddress a : g.getAddresses()) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      if (a instanceof InetSocketAddress i && !i.isUnresolved()) {
        InetAddress ip = i.getAddress();
        String host = ip.getHostAddress();
        sb.append(ip instanceof Inet6Address ? "[" + host + "]" : host).append(':').append(i.getPort());
      } else {
        sb.append(a);
      }
    }
    return sb.toString();
  }

  /**
   * The lb4j backend of an address group: its first IP socket address (what active health checks
   * probe), and the weight of {@link Lb4jGrpc#WEIGHT}. A group without an IP address (in-process,
   * Unix socket) gets the loopback address and port 0, which balancing ignores but health checks
   * would probe.
   */
  static Backend backend(String id, EquivalentAddressGroup g) {
    InetSocketAddress ip = null;
    for (SocketAddress a : g.getAddresses()) {
      if (a instanceof InetSocketAddress i && !i.isUnresolved()) {
        ip = i;
        break;
      }
    }
    Backend b = ip == null ? Backend.of(id, NO_IP, 0) : Backend.of(id, ip.getAddress(), ip.getPort());
    Attributes attrs = g.getAttributes();
    Integer weight = attrs.get(Lb4jGrpc.WEIGHT);
    return weight == null ? b : b.withWeight(weight);
  }

  /** A picker that answers every pick alike: queue (connecting) or fail (transient failure). */
  static final class FixedPicker extends SubchannelPicker {
    private final PickResult result;

    FixedPicker(PickResult result) {
      this.result = result;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      return result;
    }

    @Override
    public String toString() {
      return "FixedPicker{" + result + "}";
    }
  }
}
