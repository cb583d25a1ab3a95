package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import java.nio.ByteBuffer;

/**
 * Full NAT (source NAT plus destination NAT), seed S6.1b and the fix of S6.2: the request's source
 * becomes an address and port of the balancer's pool and its destination the real server, so the
 * server answers the balancer whatever its gateway or subnet; the reply is reversed on both sides.
 * Ports are handed out round-robin per pool address and reused only after their flow is gone or
 * expired; an exhausted pool is a drop of its own ({@code POOL_EXHAUSTED}). IPVS calls this FULLNAT
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
    if (bMac[handle] == 0) {
      return drop(DropReason.NO_NEIGHBOR);
    }
    ByteBuffer b = frame.buffer();
    int t = table.translation(slot);
    int a = snatIndex(t);
    setSource(b, poolHi[a], poolLo[a]);
    setPort(b, 0, t & 0xFFFF);
    setDestination(b, bHi[handle], bLo[handle]);
    setPort(b, 2, backendPort(slot, handle));
    macs(b, frame.offset(), bMac[handle], lbMac);
    return Verdict.forward(serverPort);
  }

  @Override
  int rewriteReply(Frame frame, int slot) {
    ByteBuffer b = frame.buffer();
    setSource(b, table.address(slot, 2), table.address(slot, 3));
    setPort(b, 0, table.destinationPort(slot));
    setDestination(b, table.address(slot, 0), table.address(slot, 1));
    setPort(b, 2, table.sourcePort(slot));
    macs(b, frame.offset(), clientGatewayMac, lbMac);
    return Verdict.forward(clientPort);
  }
}
