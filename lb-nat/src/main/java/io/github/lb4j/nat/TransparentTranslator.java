package io.github.lb4j.nat;

import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import java.nio.ByteBuffer;

/**
 * Transparent (L2) mode, seed S5.1: the request's destination IP (and port, when the backend names
 * one) becomes the real server's and the frame goes to the server's MAC, since VIP and servers share
 * one network; the reply's source goes back to the VIP. A reply the balancer bridges (inline, sent
 * to the servers' real gateway) keeps its MACs; a reply sent to the balancer's own MAC (one-arm
 * with the servers' gateway set to the balancer: the S6.1a fix) is routed: TTL or hop limit down by
 * one (RFC 1812 §5.3.1) and addressed to the client if on-link, else to the gateway towards the
 * clients, never left addressed to the balancer itself. IPVS calls this the masquerading (NAT)
 * method. One thread; never allocates; never blocks.
 */
class TransparentTranslator extends BaseTranslator {

  TransparentTranslator(NatConfig config) {
    super(config);
  }

  @Override
  int rewriteRequest(Frame frame, int slot, int handle, int vip) {
    if (!prepareRequest(frame)) {
      return icmp.timeExceeded(frame);
    }
    rewriteDnat(frame.buffer(), slot, handle);
    return link.toBackend(frame.buffer(), frame.offset(), backends, handle);
  }

  /** Router mode decrements TTL here. */
  boolean prepareRequest(Frame frame) {
    return true;
  }

  private void rewriteDnat(ByteBuffer b, int slot, int handle) {
    if (slot >= 0 && Translation.isSnat(table.translation(slot))) {
      int t = table.translation(slot);
      int a = Translation.poolIndex(t);
      rewrites.source(b, pool.high(a), pool.low(a));
      rewrites.sourcePort(b, Translation.port(t));
    }
    rewrites.destination(b, backends.high(handle), backends.low(handle));
    rewrites.destinationPort(b, backends.port(handle, parsed.destinationPort()));
  }

  /** Routed replies (addressed to the balancer) lose one hop; bridged ones do not. */
  @Override
  boolean prepareReply(Frame frame) {
    return !link.addressedToBalancer(frame.buffer(), frame.offset()) || rewrites.decrementTtl(frame.buffer());
  }

  @Override
  void rewriteReply(Frame frame, int slot) {
    ByteBuffer b = frame.buffer();
    rewrites.source(b, table.address(slot, 2), table.address(slot, 3));
    rewrites.sourcePort(b, table.destinationPort(slot));
    if (Translation.isSnat(table.translation(slot))) {
      rewrites.destination(b, table.address(slot, 0), table.address(slot, 1));
      rewrites.destinationPort(b, table.sourcePort(slot));
    }
  }

  @Override
  int addressReply(Frame frame, int slot) {
    if (link.addressedToBalancer(frame.buffer(), frame.offset())) {
      return super.addressReply(frame, slot);
    }
    // a bridge: the MACs the server chose stay
    return Verdict.forward(link.clients().index());
  }
}
