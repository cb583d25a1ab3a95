package io.github.lb4j.api.spi;

import io.github.lb4j.api.HealthChecker;
import java.util.Map;
import java.util.Set;

/**
 * Makes one health-check method available by name to {@link io.github.lb4j.api.HealthCheckers}.
 *
 * <p>Implementations must be thread-safe; {@link #create} may allocate and open sockets but must not
 * block on the network.
 */
public interface HealthCheckerProvider {

  /**
   * Returns the registry name, for example {@code "http"}.
   *
   * @return the registry name, for example {@code "http"}
   */
  String name();

  /**
   * Returns one line saying what the method checks (and the seed point it serves).
   *
   * @return one line saying what the method checks (and the seed point it serves)
   */
  String description();

  /**
   * Returns the option names {@link #create} accepts, each documented in the README.
   *
   * @return the option names {@link #create} accepts, each documented in the README
   */
  Set<String> optionNames();

  /**
   * Creates a checker.
   *
   * @param options method options by name, for example {@code path=/health}, {@code expect-status=200-299}
   * @return a new checker, to be closed by the caller
   * @throws IllegalArgumentException naming the option and value when one is unknown or invalid
   * @throws UnsupportedOperationException saying what is missing when the platform cannot run the
   *     method (for example ICMP without lb-linux on JDK 22+)
   */
  HealthChecker create(Map<String, String> options);
}
