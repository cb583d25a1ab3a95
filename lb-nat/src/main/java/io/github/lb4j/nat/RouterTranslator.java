package io.github.lb4j.nat;

import io.github.lb4j.api.Frame;
import java.nio.ByteBuffer;

/**
 * Router mode, seed S5.2: the balancer routes between a client-side and a server-side network. The
 * request's destination IP becomes the real server's, both MACs change (the balancer's own as
 * source, the server's as destination) and the TTL or hop limit drops by one, with an ICMP time
 * exceeded answered at zero; the servers' default gateway is the balancer, so replies come back
 * through it and get the VIP back as source (S6.1a), routed to the client-side gateway. One thread;
 * never allocates; never blocks.
 */
final class RouterTranslator extends TransparentTranslator {

  RouterTranslator(NatConfig config) {
    super(config);
  }

  @Override
  boolean prepareRequest(Frame frame) {
    return decrementTtl(frame.buffer());
  }

  @Override
  void setRequestMacs(ByteBuffer b, int off, int handle) {
    macs(b, off, bMac[handle], lbMac);
  }

  @Override
  boolean prepareReply(Frame frame) {
    return decrementTtl(frame.buffer());
  }

  @Override
  void setReplyMacs(ByteBuffer b, int off) {
    macs(b, off, clientGatewayMac, lbMac);
  }
}
