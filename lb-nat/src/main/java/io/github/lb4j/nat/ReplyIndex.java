package io.github.lb4j.nat;

import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.nat.flow.FlowTable;

/**
 * Finds a flow from its reply, in the modes whose replies pass the balancer: a reply to a source-NAT
 * address by the port's owner ({@link SnatPorts}); any other reply through its destination, the
 * client, under which the flow table stores the flow ({@link FlowTable#nextByClient}, as IPVS hashes
 * connections by their client side). A candidate matches only when the reply comes from the flow's
 * backend address and port.
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
   * Checks that a new flow is reachable from its reply key ({@link FlowTable#linkReverse} writes
   * nothing: the table finds replies through the client side of every flow).
   *
   * @return false when the flow's reply would not find it (the caller drops the flow)
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
    // The table stores a flow under its client side, which is the reply's destination (IPVS).
    for (int slot = table.nextByClient(proto, six, dstHi, dstLo, dport, FlowTable.MISSING); slot >= 0;
        slot = table.nextByClient(proto, six, dstHi, dstLo, dport, slot)) {
      if (sourceMatches(slot, srcHi, srcLo, sport)) {
        return slot;
      }
    }
    return FlowTable.MISSING;
  }

  private boolean sourceMatches(int slot, long srcHi, long srcLo, int sport) {
    int h = table.backend(slot);
    return backends.known(h) && backends.high(h) == srcHi && backends.low(h) == srcLo && backendPort(slot, h) == sport;
  }
}
