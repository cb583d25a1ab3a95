package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthChecker;

/**
 * Registers [http-content] (seed S2.5): [http] plus a body that contains, matches, or avoids content.
 *
 * <p>Stateless and thread-safe; {@code create} allocates the checker (which joins the shared check
 * loop) and never blocks on the network.
 */
public final class HttpContentProvider extends BaseProvider {

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public HttpContentProvider() {
    super("http-content", "HTTP/1.1 content: the body contains a string or matches a regex, or not (S2.5)", HttpProvider.contentOptions());
  }

  @Override
  HealthChecker create(Options o) {
    return HttpProvider.build(name(), o, true);
  }
}
