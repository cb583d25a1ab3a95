package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthChecker;
import java.util.Set;

/**
 * Registers [udp]: one datagram out, a reply (optionally containing {@code expect}) back.
 *
 * <p>Stateless and thread-safe; {@code create} allocates the checker (which joins the shared check
 * loop) and never blocks on the network.
 */
public final class UdpProvider extends BaseProvider {

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public UdpProvider() {
    super("udp", "UDP probe: send a datagram, expect a reply (ICMP port unreachable = refused)", Set.of("send", "expect"));
  }

  @Override
  HealthChecker create(Options o) {
    byte[] send = o.payload("send", "");
    String e = o.get("expect");
    byte[] expect = e == null ? null : o.unescapeValue("expect", e);
    if (expect != null && expect.length == 0) {
      throw o.bad("expect", e, "non-empty (omit it to accept any reply)");
    }
    return new UdpChecker(name(), send, expect);
  }
}
