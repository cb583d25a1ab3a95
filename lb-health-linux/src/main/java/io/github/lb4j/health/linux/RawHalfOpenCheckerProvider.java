package io.github.lb4j.health.linux;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.health.spi.NativeCheckerProvider;
import java.util.Map;
import java.util.Set;

/**
 * Supplies the raw way of [tcp-half-open] (seed S2.3) to lb-health through {@link
 * NativeCheckerProvider#TCP_HALF_OPEN_RAW}, created as {@code HealthCheckers.create("tcp-half-open",
 * Map.of("way", "raw"))}: SYN on a raw socket; SYN/ACK is healthy and is answered
 * with RST, RST is {@code REFUSED}, an ICMP error about the SYN is {@code UNREACHABLE}, silence is
 * {@code TIMEOUT}. The server application never accepts
 * a connection. Needs {@code CAP_NET_RAW}. No options.
 *
 * <p>Thread-safe; {@link #create} allocates the checker, opens the shared raw sockets and starts the
 * engine thread the first time (one per family for the whole JVM) and never blocks on the network.
 */
public final class RawHalfOpenCheckerProvider implements NativeCheckerProvider {

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public RawHalfOpenCheckerProvider() {}

  @Override
  public String method() {
    return TCP_HALF_OPEN_RAW;
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
      throw new IllegalArgumentException("tcp-half-open with way=raw has no other options, was given " + options.keySet());
    }
    String key = Engines.key("tcp-half-open-raw");
    ProbeEngine engine;
    try {
      engine = Platform.require("tcp-half-open way=raw", () -> Engines.acquire(key, () -> new RawHalfOpenEngine(NanoClock.system())));
    } catch (io.github.lb4j.linux.MissingCapabilityException e) {
      throw new UnsupportedOperationException("tcp-half-open with way=raw: " + e.getMessage(), e);
    }
    return new SocketChecker("tcp-half-open", key, engine, true);
  }
}
