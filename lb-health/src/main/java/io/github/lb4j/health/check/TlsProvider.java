package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthChecker;
import java.util.Set;

/**
 * Registers [tls]: a TCP connect and a complete TLS handshake, with SNI and a trust setting.
 *
 * <p>Stateless and thread-safe; {@code create} allocates the checker (which joins the shared check
 * loop) and never blocks on the network.
 */
public final class TlsProvider extends BaseProvider {

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public TlsProvider() {
    super("tls", "TLS handshake: connect and complete a TLS handshake (SNI, trust default|all)", Set.of("sni", "trust"));
  }

  @Override
  HealthChecker create(Options o) {
    return new TlsChecker(name(), TlsSettings.of(o, null));
  }
}
