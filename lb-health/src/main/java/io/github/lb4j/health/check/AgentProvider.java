package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthChecker;
import java.util.Set;

/**
 * Registers [agent]: HAProxy's agent check, one line read from an agent beside the backend
 * ({@link io.github.lb4j.health.AgentChecker}).
 *
 * <p>Stateless and thread-safe; {@code create} allocates the checker (which joins the shared check
 * loop) and never blocks on the network.
 */
public final class AgentProvider extends BaseProvider {

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public AgentProvider() {
    super("agent", "HAProxy agent check: one line from an agent (weight %, maxconn, drain, maint, up, down)",
        Set.of("send", "max-line-bytes"));
  }

  @Override
  HealthChecker create(Options o) {
    byte[] send = o.payload("send", "");
    int maxLine = o.integer("max-line-bytes", 1024, 16, 65_536);
    return new AgentProbeChecker(name(), send, maxLine);
  }
}
