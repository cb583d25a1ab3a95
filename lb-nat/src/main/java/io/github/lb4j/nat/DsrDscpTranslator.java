package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Frame;
import java.nio.ByteBuffer;

/**
 * L3 direct server return by DSCP, seed S5.3b, as Yahoo's L3DSR (Lindsay et al., "L3DSR:
 * Overcoming Layer 2 Limitations of Direct Server Return Load Balancing", NANOG 51, 2011): the
 * destination IP becomes the real server's and the DSCP becomes the value that names the VIP, so
 * that the server restores the VIP statelessly (an nftables rule per DSCP) and answers from it
 * directly; ports are untouched. An ICMP error about a reply goes the same way, its quoted packet
 * untouched: the server restores the outer destination and finds its socket on the VIP. One thread;
 * never allocates; never blocks.
 */
final class DsrDscpTranslator extends BaseTranslator {

  DsrDscpTranslator(NatConfig config) {
    super(config);
  }

  @Override
  int rewriteRequest(Frame frame, int slot, int handle, int vip) {
    if (backends.ipv6(handle) != parsed.isIpv6()) {
      return drop(DropReason.UNSUPPORTED);
    }
    ByteBuffer b = frame.buffer();
    rewrites.destination(b, backends.high(handle), backends.low(handle));
    rewrites.dscp(b, vips.dscp(vip));
    if (parsed.icmpError()) {
      icmp.finishChecksum(b);
    }
    return link.toBackend(b, frame.offset(), backends, handle);
  }
}
