package io.github.lb4j.nat;

import io.github.lb4j.api.Frame;

/**
 * Router mode, seed S5.2: the balancer routes between a client-side and a server-side network. The
 * request's destination IP becomes the real server's, both MACs change (the servers' port's own as
 * source, the server's as destination) and the TTL or hop limit drops by one, with an ICMP time
 * exceeded answered at zero (RFC 1812 §5.3.1, RFC 8200 §3); the servers' default gateway is the
 * balancer, so replies come back through it, get the VIP back as source (S6.1a) and are routed: to
 * the client itself when it is on-link on the clients' port (resolved through the neighbour table),
 * else to the gateway towards the clients. One thread; never allocates; never blocks.
 */
final class RouterTranslator extends TransparentTranslator {

  RouterTranslator(NatConfig config) {
    super(config);
  }

  @Override
  boolean prepareRequest(Frame frame) {
    return rewrites.decrementTtl(frame.buffer());
  }

  @Override
  boolean prepareRequestError(Frame frame) {
    return rewrites.decrementTtl(frame.buffer());
  }

  @Override
  boolean prepareReply(Frame frame) {
    return rewrites.decrementTtl(frame.buffer());
  }

  @Override
  int addressReply(Frame frame, int slot) {
    return link.toAddress(frame.buffer(), frame.offset(), table.ipv6(slot), table.address(slot, 0), table.address(slot, 1));
  }
}
