package io.github.lb4j.nat;

import io.github.lb4j.api.Frame;

/**
 * L2 direct server return, seed S5.3a (IPVS "direct routing", HAProxy's "DSR mode"): only the
 * MACs change, to the real server's (from the servers' port's); the IP packet is untouched, so the
 * server must hold the VIP on its loopback (arp_ignore=1, arp_announce=2) and answers the client
 * directly (S6.1c). One thread; never allocates; never blocks.
 */
final class DsrL2Translator extends BaseTranslator {

  DsrL2Translator(NatConfig config) {
    super(config);
  }

  @Override
  int rewriteRequest(Frame frame, int slot, int handle, int vip) {
    return link.toBackend(frame.buffer(), frame.offset(), backends, handle);
  }
}
