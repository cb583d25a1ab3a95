package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.EthernetFlyweight;
import java.nio.ByteBuffer;

/**
 * Transparent (L2) mode, seed S5.1: the request's destination IP (and port, when the backend names
 * one) becomes the real server's, and only the destination MAC changes, since VIP and servers share
 * one network; the reply's source goes back to the VIP with the MACs unchanged, the balancer acting
 * as the bridge the reply crosses (inline, or one-arm with the servers' gateway set to it: the S6.1a
 * fix). IPVS calls this the masquerading (NAT) method. One thread; never allocates; never blocks.
 */
class TransparentTranslator extends BaseTranslator {

  TransparentTranslator(NatConfig config) {
    super(config);
  }

  @Override
  int rewriteRequest(Frame frame, int slot, int handle, int vip) {
    if (bMac[handle] == 0) {
      return drop(DropReason.NO_NEIGHBOR);
    }
    ByteBuffer b = frame.buffer();
    int off = frame.offset();
    if (!prepareRequest(frame)) {
      return timeExceeded(frame);
    }
    rewriteDnat(frame, slot, handle);
    setRequestMacs(b, off, handle);
    return Verdict.forward(serverPort);
  }

  /** Router mode decrements TTL here. */
  boolean prepareRequest(Frame frame) {
    return true;
  }

  void setRequestMacs(ByteBuffer b, int off, int handle) {
    EthernetFlyweight.destination(b, off, bMac[handle]);
  }

  final void rewriteDnat(Frame frame, int slot, int handle) {
    ByteBuffer b = frame.buffer();
    if (slot >= 0 && (table.translation(slot) & SNAT_FLAG) != 0) {
      int t = table.translation(slot);
      int a = snatIndex(t);
      setSource(b, poolHi[a], poolLo[a]);
      setPort(b, 0, t & 0xFFFF);
    }
    setDestination(b, bHi[handle], bLo[handle]);
    setPort(b, 2, requestBackendPort(handle));
  }

  @Override
  int rewriteReply(Frame frame, int slot) {
    ByteBuffer b = frame.buffer();
    if (!prepareReply(frame)) {
      return timeExceeded(frame);
    }
    setSource(b, table.address(slot, 2), table.address(slot, 3));
    setPort(b, 0, table.destinationPort(slot));
    if ((table.translation(slot) & SNAT_FLAG) != 0) {
      setDestination(b, table.address(slot, 0), table.address(slot, 1));
      setPort(b, 2, table.sourcePort(slot));
    }
    setReplyMacs(b, frame.offset());
    return Verdict.forward(clientPort);
  }

  boolean prepareReply(Frame frame) {
    return true;
  }

  void setReplyMacs(ByteBuffer b, int off) {
    // a bridge: the MACs the server chose stay
  }
}
