package io.github.lb4j.linux.health;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The shared, reference-counted engines: every checker with the same method and settings uses one
 * engine, hence one thread and one socket per family, however many checker objects the caller makes.
 *
 * <p>Thread-safe (one lock; control plane only). Allocates when an engine starts.
 */
final class Engines {

  private static final Map<String, ProbeEngine> ENGINES = new HashMap<>();

  private Engines() {}

  static synchronized ProbeEngine acquire(String key, Supplier<? extends ProbeEngine> factory) {
    ProbeEngine e = ENGINES.get(key);
    if (e == null) {
      e = factory.get();
      e.start();
      ENGINES.put(key, e);
    }
    e.references++;
    return e;
  }

  static void release(String key, ProbeEngine engine) {
    boolean last;
    synchronized (Engines.class) {
      last = --engine.references == 0;
      if (last) {
        ENGINES.remove(key, engine);
      }
    }
    if (last) {
      engine.shutdown();
    }
  }
}
