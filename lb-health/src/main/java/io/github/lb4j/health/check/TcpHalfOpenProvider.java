package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.health.spi.NativeCheckerProvider;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Registers [tcp-half-open] (seed S2.3): SYN, SYN/ACK, RST; the server application never accepts.
 * {@code way=unprivileged} (default) is {@link TcpChecker}'s delayed-ACK method on Linux; {@code
 * way=raw} is supplied by lb-health-linux through {@link NativeCheckerProvider#TCP_HALF_OPEN_RAW}, and
 * its other options pass through to it.
 *
 * <p>Stateless and thread-safe; {@code create} allocates the checker (which joins the shared check
 * loop) and never blocks on the network.
 */
public final class TcpHalfOpenProvider extends BaseProvider {

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public TcpHalfOpenProvider() {
    super("tcp-half-open", "TCP half-open: SYN, SYN/ACK, RST, never accepted by the server (S2.3)", Set.of("way"));
  }

  @Override
  public Set<String> optionNames() {
    NativeCheckerProvider raw = Natives.find(NativeCheckerProvider.TCP_HALF_OPEN_RAW);
    if (raw == null) {
      return super.optionNames();
    }
    Set<String> all = new HashSet<>(raw.optionNames());
    all.add("way");
    return Set.copyOf(all);
  }

  @Override
  HealthChecker create(Options o) {
    String way = o.choice("way", "unprivileged", "raw");
    if (way.equals("raw")) {
      NativeCheckerProvider raw = Natives.find(NativeCheckerProvider.TCP_HALF_OPEN_RAW);
      if (raw == null) {
        throw new UnsupportedOperationException("tcp-half-open with way=raw " + Natives.NEEDED);
      }
      Map<String, String> rest = new HashMap<>(o.all());
      rest.remove("way");
      return raw.create(rest);
    }
    if (o.all().size() > (o.get("way") == null ? 0 : 1)) {
      throw new IllegalArgumentException("tcp-half-open: with way=unprivileged the only option is 'way', got " + o.all().keySet());
    }
    if (!TcpChecker.quickAckSupported()) {
      throw new UnsupportedOperationException(
          "tcp-half-open with way=unprivileged needs Linux's TCP_QUICKACK socket option (jdk.net.ExtendedSocketOptions),"
              + " which this platform lacks; use way=raw with lb-health-linux on JDK 22+");
    }
    return new TcpChecker(name(), true, true);
  }
}
