package io.github.lb4j.nat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SessionCounters;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The backends a translator has forwarded to, by their {@code BackendLoad} handle (the number the
 * flow table stores): address, port and configured MAC in primitive arrays, learnt the first time
 * the scheduler returns a backend (or a new version of it, after a MAC change); and which of them
 * the scheduler's current membership still gives new flows ({@link #takesNewFlows}).
 *
 * <p>One thread (the translator's); allocates only when a backend is first seen or the membership
 * changed; never blocks.
 */
final class Backends {

  private final Scheduler scheduler;
  private final SessionCounters sessions;
  /** The eligible list {@link #membership} was built from (compared by identity), or null before the first use. */
  private @Nullable List<Backend> eligibleList;
  /** By handle: {@link #OUT}, {@link #DRAINED} or {@link #TAKES_NEW}. */
  private byte[] membership = new byte[0];
  private static final byte OUT = 0;
  private static final byte DRAINED = 1;
  private static final byte TAKES_NEW = 2;
  private Backend[] known = new Backend[0];
  private boolean[] ipv6 = new boolean[0];
  private long[] high = new long[0];
  private long[] low = new long[0];
  private int[] port = new int[0];
  private long[] mac = new long[0];

  Backends(Scheduler scheduler) {
    this.scheduler = scheduler;
    this.sessions = scheduler.sessions();
  }

  /**
   * Whether the scheduler's current membership gives new flows to a backend: it is eligible (healthy,
   * not removed) and not drained (weight above 0). Reads the scheduler's eligible list (its
   * snapshot's own: one volatile read) and rebuilds the table by handle only when it changed.
   *
   * @param handle a flow's backend handle
   * @return whether it takes new flows
   */
  boolean takesNewFlows(int handle) {
    return membership(handle) == TAKES_NEW;
  }

  /**
   * Whether a backend is in the scheduler's current eligible list, drained or not; one that is not
   * is down or removed.
   *
   * @param handle a flow's backend handle
   * @return whether it is eligible
   */
  boolean eligible(int handle) {
    return membership(handle) != OUT;
  }

  private byte membership(int handle) {
    List<Backend> current = scheduler.backends();
    if (current != eligibleList) {
      byte[] m = membership;
      Arrays.fill(m, OUT);
      for (Backend b : current) {
        int h = sessions.of(b.id()).handle();
        if (h >= m.length) {
          m = Arrays.copyOf(m, Math.max(h + 1, 2 * m.length));
        }
        m[h] = b.weight() > 0 ? TAKES_NEW : DRAINED;
      }
      membership = m;
      eligibleList = current;
    }
    return handle >= 0 && handle < membership.length ? membership[handle] : OUT;
  }

  /** The handle of a backend the scheduler returned, learning it when new or changed. */
  int handleOf(Backend backend) {
    int h = sessions.of(backend.id()).handle();
    if (h >= known.length || known[h] != backend) {
      learn(h, backend);
    }
    return h;
  }

  private void learn(int h, Backend backend) {
    if (h >= known.length) {
      int n = Math.max(h + 1, known.length * 2);
      known = Arrays.copyOf(known, n);
      ipv6 = Arrays.copyOf(ipv6, n);
      high = Arrays.copyOf(high, n);
      low = Arrays.copyOf(low, n);
      port = Arrays.copyOf(port, n);
      mac = Arrays.copyOf(mac, n);
    }
    known[h] = backend;
    ipv6[h] = !IpAddresses.isV4(backend.address());
    high[h] = IpAddresses.high(backend.address());
    low[h] = IpAddresses.low(backend.address());
    port[h] = backend.port();
    MacAddress m = backend.mac();
    mac[h] = m == null ? 0 : m.toLong();
  }

  /** Whether a handle (from the flow or fragment table) names a backend seen before. */
  boolean known(int h) {
    return h >= 0 && h < known.length && known[h] != null;
  }

  boolean ipv6(int h) {
    return ipv6[h];
  }

  long high(int h) {
    return high[h];
  }

  long low(int h) {
    return low[h];
  }

  /** The backend's configured MAC (the next hop towards it), 0 when none. */
  long mac(int h) {
    return mac[h];
  }

  /** The backend's port, or {@code requestPort} when the backend keeps the port it is sent (0). */
  int port(int h, int requestPort) {
    int p = port[h];
    return p != 0 ? p : requestPort;
  }

  /** Whether an address is a known backend's (a backend calling a VIP is a hairpin, S6.2). */
  boolean isBackend(boolean six, long hi, long lo) {
    for (int h = 0; h < known.length; h++) {
      if (known[h] != null && ipv6[h] == six && high[h] == hi && low[h] == lo) {
        return true;
      }
    }
    return false;
  }
}
