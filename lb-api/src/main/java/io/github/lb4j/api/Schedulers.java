package io.github.lb4j.api;

import io.github.lb4j.api.spi.SchedulerProvider;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The registry of scheduling algorithms: finds every {@link SchedulerProvider} with {@link
 * ServiceLoader} and creates schedulers by name.
 *
 * <p>Any thread may call it. Lookups load providers on each call (allocates; may read the class
 * path) so call it from the control plane, not per request. Never blocks on I/O beyond class
 * loading.
 */
public final class Schedulers {

  private Schedulers() {}

  /**
   * Creates a scheduler by name.
   *
   * @param name the algorithm name, for example {@code "round-robin"}
   * @param config the configuration
   * @return a new scheduler with no backends
   * @throws IllegalArgumentException when the name is unknown (the message lists the known names) or
   *     an option is invalid
   * @throws IllegalStateException when no algorithm at all is registered: lb-algorithms (module
   *     {@code io.github.lb4j.algorithms}) is not on the class path or module path at run time
   */
  public static Scheduler create(String name, SchedulerConfig config) {
    Map<String, SchedulerProvider> providers = providers();
    SchedulerProvider p = providers.get(name);
    if (p == null) {
      if (providers.isEmpty()) {
        throw new IllegalStateException(noProviderMessage(name));
      }
      throw new IllegalArgumentException("unknown scheduler '" + name + "'; known: " + String.join(", ", providers.keySet()));
    }
    return p.create(config);
  }

  // lb-algorithms exports nothing, so nothing makes a build fail when it is left out; the mistake
  // only shows here, at run time, and the message is the one place that can name the fix.
  static String noProviderMessage(String name) {
    return "cannot create scheduler '" + name + "': no scheduler provider (" + SchedulerProvider.class.getName()
        + ") found on the class path or module path; the algorithms live in io.github.lb4j:lb-algorithms"
        + " (module io.github.lb4j.algorithms), which exports no package but must be on the run-time path";
  }

  /**
   * Returns every registered algorithm name with its one-line description, sorted by name.
   *
   * @return every registered algorithm name with its one-line description, sorted by name; empty
   *     when lb-algorithms is not on the run-time path
   */
  public static Map<String, String> descriptions() {
    Map<String, String> out = new TreeMap<>();
    providers().forEach((n, p) -> out.put(n, p.description()));
    return out;
  }

  private static Map<String, SchedulerProvider> providers() {
    Map<String, SchedulerProvider> out = new TreeMap<>();
    for (SchedulerProvider p : ServiceLoader.load(SchedulerProvider.class, Schedulers.class.getClassLoader())) {
      out.putIfAbsent(p.name(), p);
    }
    if (out.isEmpty()) {
      for (SchedulerProvider p : ServiceLoader.load(SchedulerProvider.class)) {
        out.putIfAbsent(p.name(), p);
      }
    }
    return out;
  }
}
