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
   */
  public static Scheduler create(String name, SchedulerConfig config) {
    SchedulerProvider p = providers().get(name);
    if (p == null) {
      throw new IllegalArgumentException("unknown scheduler '" + name + "'; known: " + String.join(", ", providers().keySet()));
    }
    return p.create(config);
  }

  /**
   * Returns every registered algorithm name with its one-line description, sorted by name.
   *
   * @return every registered algorithm name with its one-line description, sorted by name
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
