package io.github.lb4j.health.linux;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.health.spi.NativeCheckerProvider;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Supplies [icmp] (seed S2.1) to lb-health through {@link NativeCheckerProvider#ICMP}: an ICMP or ICMPv6 echo to the target, healthy on the matching echo
 * reply, with the round-trip time as the result's elapsed time; {@code UNREACHABLE} on a destination
 * unreachable or time exceeded message, {@code TIMEOUT} when nothing matching arrives in time.
 *
 * <p>Options: {@code socket} = {@code auto} (default: ping sockets where {@code
 * net.ipv4.ping_group_range} allows, raw sockets otherwise), {@code ping} or {@code raw}; {@code
 * payload-size} = echo data bytes, 8..1400, default 56 (as ping(8) and fping).
 *
 * <p>Thread-safe; {@link #create} allocates the checker, opens the shared sockets and starts the
 * engine thread the first time (one per family for the whole JVM per option set) and never blocks on
 * the network.
 */
public final class IcmpCheckerProvider implements NativeCheckerProvider {

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public IcmpCheckerProvider() {}

  @Override
  public String method() {
    return ICMP;
  }

  @Override
  public String description() {
    return "ICMP/ICMPv6 echo over one shared ping or raw socket per family, RTT in the result (S2.1)";
  }

  @Override
  public Set<String> optionNames() {
    return Set.of("socket", "payload-size");
  }

  @Override
  public HealthChecker create(Map<String, String> options) {
    for (String k : options.keySet()) {
      if (!optionNames().contains(k)) {
        throw new IllegalArgumentException("icmp has no option '" + k + "'; known: socket, payload-size");
      }
    }
    String socket = options.getOrDefault("socket", "auto");
    IcmpEngine.Mode mode = switch (socket.toLowerCase(Locale.ROOT)) {
      case "auto" -> IcmpEngine.Mode.AUTO;
      case "ping" -> IcmpEngine.Mode.PING;
      case "raw" -> IcmpEngine.Mode.RAW;
      default -> throw new IllegalArgumentException("icmp option socket must be auto, ping or raw, was '" + socket + "'");
    };
    String sizeText = options.getOrDefault("payload-size", "56");
    int size;
    try {
      size = Integer.parseInt(sizeText.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("icmp option payload-size must be a number 8..1400, was '" + sizeText + "'");
    }
    if (size < 8 || size > 1400) {
      throw new IllegalArgumentException("icmp option payload-size must be 8..1400, was " + size);
    }
    String key = Engines.key("icmp/" + mode + "/" + size);
    ProbeEngine engine;
    try {
      engine = Platform.require("icmp", () -> Engines.acquire(key, () -> new IcmpEngine(mode, size, NanoClock.system())));
    } catch (io.github.lb4j.linux.MissingCapabilityException e) {
      throw new UnsupportedOperationException("icmp with socket=" + socket + ": " + e.getMessage(), e);
    }
    return new SocketChecker("icmp", key, engine, false);
  }
}
