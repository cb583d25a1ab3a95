package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthChecker;
import java.util.Set;

/**
 * Registers [tcp] (seed S2.2): full handshake, then FIN ({@code close=fin}) or RST ({@code close=rst}).
 *
 * <p>Stateless and thread-safe; {@code create} allocates the checker (which joins the shared check
 * loop) and never blocks on the network.
 */
public final class TcpProvider extends BaseProvider {

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public TcpProvider() {
    super("tcp", "TCP connect: full three-way handshake, then close with FIN or RST (S2.2)", Set.of("close"));
  }

  @Override
  HealthChecker create(Options o) {
    return new TcpChecker(name(), o.choice("close", "fin", "rst").equals("rst"), false);
  }
}
