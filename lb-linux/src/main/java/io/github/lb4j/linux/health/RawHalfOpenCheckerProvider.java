package io.github.lb4j.linux.health;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.api.spi.HealthCheckerProvider;
import java.util.Map;
import java.util.Set;

/**
 * Registers [tcp-half-open-raw] (seed S2.3): SYN on a raw socket; SYN/ACK is healthy and is answered
 * with RST, RST is {@code REFUSED}, silence is {@code TIMEOUT}. The server application never accepts
 * a connection. Needs {@code CAP_NET_RAW}. No options.
 *
 * <p>Thread-safe; {@link #create} opens the shared raw sockets the first time (one per family for the
 * whole JVM) and never blocks on the network.
 */
public final class RawHalfOpenCheckerProvider implements HealthCheckerProvider {

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public RawHalfOpenCheckerProvider() {}

  @Override
  public String name() {
    return "tcp-half-open-raw";
  }

  @Override
  public String description() {
    return "TCP half-open on raw sockets: SYN, SYN/ACK answered with RST, never accepted (S2.3); needs CAP_NET_RAW";
  }

  @Override
  public Set<String> optionNames() {
    return Set.of();
  }

  @Override
  public HealthChecker create(Map<String, String> options) {
    if (!options.isEmpty()) {
      throw new IllegalArgumentException("tcp-half-open-raw has no options, was given " + options.keySet());
    }
    String key = Engines.key("tcp-half-open-raw");
    ProbeEngine engine;
    try {
      engine = Engines.acquire(key, () -> new RawHalfOpenEngine(NanoClock.system()));
    } catch (io.github.lb4j.linux.MissingCapabilityException e) {
      throw new UnsupportedOperationException("tcp-half-open-raw: " + e.getMessage(), e);
    }
    return new SocketChecker(name(), key, engine, true);
  }
}
