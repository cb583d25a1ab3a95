package io.github.lb4j.api;

import io.github.lb4j.api.spi.HealthCheckerProvider;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The registry of health-check methods: finds every {@link HealthCheckerProvider} with {@link
 * ServiceLoader} and creates checkers by name.
 *
 * <p>Any thread may call it; it allocates and may load classes, so call it from the control plane.
 */
public final class HealthCheckers {

  private HealthCheckers() {}

  /**
   * Creates a checker by name.
   *
   * @param name the method, for example {@code "tcp"}
   * @param options the method's options
   * @return a new checker
   * @throws IllegalArgumentException when the name is unknown (the message lists the known names) or
   *     an option is invalid
   * @throws UnsupportedOperationException when the platform cannot run the method
   * @throws IllegalStateException when no method at all is registered: lb-health (module {@code
   *     io.github.lb4j.health}) is not on the class path or module path at run time
   */
  public static HealthChecker create(String name, Map<String, String> options) {
    Map<String, HealthCheckerProvider> providers = providers();
    HealthCheckerProvider p = providers.get(name);
    if (p == null) {
      if (providers.isEmpty()) {
        throw new IllegalStateException(noProviderMessage(name));
      }
      throw new IllegalArgumentException("unknown health check '" + name + "'; known: " + String.join(", ", providers.keySet()));
    }
    return p.create(options);
  }

  static String noProviderMessage(String name) {
    return "cannot create health check '" + name + "': no health-check provider (" + HealthCheckerProvider.class.getName()
        + ") found on the class path or module path; the checks live in io.github.lb4j:lb-health"
        + " (module io.github.lb4j.health), which must be on the run-time path";
  }

  /**
   * Returns every registered method name with its one-line description, sorted by name.
   *
   * @return every registered method name with its one-line description, sorted by name; empty when
   *     lb-health is not on the run-time path
   */
  public static Map<String, String> descriptions() {
    Map<String, String> out = new TreeMap<>();
    providers().forEach((n, p) -> out.put(n, p.description()));
    return out;
  }

  private static Map<String, HealthCheckerProvider> providers() {
    Map<String, HealthCheckerProvider> out = new TreeMap<>();
    for (HealthCheckerProvider p : ServiceLoader.load(HealthCheckerProvider.class, HealthCheckers.class.getClassLoader())) {
      out.putIfAbsent(p.name(), p);
    }
    if (out.isEmpty()) {
      for (HealthCheckerProvider p : ServiceLoader.load(HealthCheckerProvider.class)) {
        out.putIfAbsent(p.name(), p);
      }
    }
    return out;
  }
}
