package io.github.lb4j.health.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

  /**
   * Returns the engine for {@code method} in the calling thread's network namespace (sockets belong
   * to the namespace they were opened in, so a thread inside another namespace gets its own engine).
   */
  static String key(String method) {
    String ns;
    try {
      ns = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
    } catch (IOException | UnsupportedOperationException e) {
      ns = "net";
    }
    return method + "@" + ns;
  }

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
