package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Frame;
import java.nio.ByteBuffer;

/**
 * Full NAT (source NAT plus destination NAT), seed S6.1b and the fix of S6.2: the request's source
 * becomes an address and port of the balancer's pool ({@link SnatPorts}, O(1)) and its destination
 * the real server, so the server answers the balancer whatever its gateway or subnet; the reply is
 * reversed on both sides and routed to the client (on-link, or through the gateway towards the
 * clients). An exhausted pool is a drop of its own ({@code POOL_EXHAUSTED}). IPVS calls this FULLNAT
 * (Alibaba's LVS fork); HAProxy and Envoy do it by proxying. One thread; never allocates; never blocks.
 */
final class FullNatTranslator extends BaseTranslator {

  FullNatTranslator(NatConfig config) {
    super(config);
  }

  @Override
  int rewriteRequest(Frame frame, int slot, int handle, int vip) {
    if (slot < 0) {
      return drop(DropReason.TABLE_FULL);
    }
    ByteBuffer b = frame.buffer();
    int t = table.translation(slot);
    int a = Translation.poolIndex(t);
    rewrites.source(b, pool.high(a), pool.low(a));
    rewrites.sourcePort(b, Translation.port(t));
    rewrites.destination(b, backends.high(handle), backends.low(handle));
    rewrites.destinationPort(b, backends.port(handle, table.destinationPort(slot)));
    return link.toBackend(b, frame.offset(), backends, handle);
  }

  @Override
  void rewriteReply(Frame frame, int slot) {
    ByteBuffer b = frame.buffer();
    rewrites.source(b, table.address(slot, 2), table.address(slot, 3));
    rewrites.sourcePort(b, table.destinationPort(slot));
    rewrites.destination(b, table.address(slot, 0), table.address(slot, 1));
    rewrites.destinationPort(b, table.sourcePort(slot));
  }
}
