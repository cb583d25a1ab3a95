package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import java.nio.ByteBuffer;

/**
 * L3 direct server return by DSCP, seed S5.3b, as Yahoo's L3DSR (Lindsay et al., "L3DSR:
 * Overcoming Layer 2 Limitations of Direct Server Return Load Balancing", NANOG 51, 2011): the
 * destination IP becomes the real server's and the DSCP becomes the value that names the VIP, so
 * that the server restores the VIP statelessly (an nftables rule per DSCP) and answers from it
 * directly; ports are untouched. One thread; never allocates; never blocks.
 */
final class DsrDscpTranslator extends BaseTranslator {

  DsrDscpTranslator(NatConfig config) {
    super(config);
  }

  @Override
  int rewriteRequest(Frame frame, int slot, int handle, int vip) {
    if (bMac[handle] == 0) {
      return drop(DropReason.NO_NEIGHBOR);
    }
    if (bV6[handle] != p.isIpv6()) {
      return drop(DropReason.UNSUPPORTED);
    }
    ByteBuffer b = frame.buffer();
    setDestination(b, bHi[handle], bLo[handle]);
    setDscp(b, vipDscp[vip]);
    macs(b, frame.offset(), bMac[handle], lbMac);
    return Verdict.forward(serverPort);
  }
}
