package io.github.lb4j.nat;

import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.nat.flow.FlowTable;

/**
 * Finds a flow from its reply, in the modes whose replies pass the balancer: a reply to a source-NAT
 * address by the port's owner ({@link SnatPorts}); any other reply through the flow table's reverse
 * index, keyed by the reply 5-tuple (backend to client), which {@link #link} fills when the flow is
 * opened. A candidate matches only when the reply comes from the flow's backend address and port.
 *
 * <p>One thread (the translator's, the flow table's writer); never allocates; never blocks.
 */
final class ReplyIndex {

  private final FlowTable table;
  private final Backends backends;
  private final SnatPorts pool;
  private final MutableFlowKey key = new MutableFlowKey();

  ReplyIndex(FlowTable table, Backends backends, SnatPorts pool) {
    this.table = table;
    this.backends = backends;
    this.pool = pool;
  }

  /**
   * Links a new flow under its reply key, so that {@link #find} finds it.
   *
   * @return false when the reverse index has no room (the caller drops the flow)
   */
  boolean link(int slot, int handle, boolean six, int proto, long clientHigh, long clientLow, int clientPort) {
    int backendPort = backendPort(slot, handle);
    if (six) {
      key.setV6(proto, backends.high(handle), backends.low(handle), backendPort, clientHigh, clientLow, clientPort);
    } else {
      key.setV4(proto, (int) backends.low(handle), backendPort, (int) clientLow, clientPort);
    }
    return table.linkReverse(slot, table.reverseHash(key));
  }

  /** The backend port of a flow: the backend's own, or the one the client asked for. */
  int backendPort(int slot, int handle) {
    return backends.port(handle, table.destinationPort(slot));
  }

  /** Finds the flow of a reply key (server to client or to a source-NAT address), or {@link FlowTable#MISSING}. */
  int find(int proto, boolean six, long srcHi, long srcLo, int sport, long dstHi, long dstLo, int dport) {
    int a = pool.indexOf(six, dstHi, dstLo);
    if (a >= 0) {
      int owner = pool.owner(a, dport, proto);
      return owner >= 0 && sourceMatches(owner, srcHi, srcLo, sport) ? owner : FlowTable.MISSING;
    }
    if (six) {
      key.setV6(proto, srcHi, srcLo, sport, dstHi, dstLo, dport);
    } else {
      key.setV4(proto, (int) srcLo, sport, (int) dstLo, dport);
    }
    long home = table.reverseHash(key);
    // Both reverse buckets side by side, so that their cache misses overlap, each up to its first
    // position without a link (the table keeps a bucket's links a prefix of it).
    boolean first = true;
    boolean second = true;
    for (int i = 0; i < FlowTable.WINDOW && (first || second); i++) {
      if (first) {
        first = table.reverseLinked(home, i);
        int slot = first ? candidate(home, i, proto, six, srcHi, srcLo, sport, dstHi, dstLo, dport) : -1;
        if (slot >= 0) {
          return slot;
        }
      }
      if (second) {
        second = table.reverseLinked(home, FlowTable.WINDOW + i);
        int slot = second ? candidate(home, FlowTable.WINDOW + i, proto, six, srcHi, srcLo, sport, dstHi, dstLo, dport) : -1;
        if (slot >= 0) {
          return slot;
        }
      }
    }
    return FlowTable.MISSING;
  }

  private int candidate(long home, int i, int proto, boolean six, long srcHi, long srcLo, int sport, long dstHi,
      long dstLo, int dport) {
    int slot = table.reverseCandidate(home, i);
    if (slot >= 0 && table.protocol(slot) == proto && table.ipv6(slot) == six && table.sourcePort(slot) == dport
        && table.address(slot, 1) == dstLo && table.address(slot, 0) == dstHi
        && sourceMatches(slot, srcHi, srcLo, sport) && !table.isExpired(slot)) {
      return slot;
    }
    return FlowTable.MISSING;
  }

  private boolean sourceMatches(int slot, long srcHi, long srcLo, int sport) {
    int h = table.backend(slot);
    return backends.known(h) && backends.high(h) == srcHi && backends.low(h) == srcLo && backendPort(slot, h) == sport;
  }
}
