package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.spi.HealthCheckerProvider;
import io.github.lb4j.health.spi.NativeCheckerProvider;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Registers [icmp] (seed S2.1) so that the name always resolves: it delegates to lb-health-linux, either
 * through {@link NativeCheckerProvider#ICMP} or to another {@link HealthCheckerProvider} named
 * {@code icmp}, and otherwise fails with a message saying that lb-health-linux on JDK 22+ is
 * needed. It
 * never falls back to {@code InetAddress.isReachable}, which without privileges silently tries a TCP
 * connection to port 7 instead of sending an echo request.
 *
 * <p>Stateless and thread-safe; {@code create} looks the native provider up with {@link
 * ServiceLoader} and returns its checker, allocating both; it never blocks on the network.
 */
public final class IcmpProvider implements HealthCheckerProvider {

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public IcmpProvider() {}

  @Override
  public String name() {
    return "icmp";
  }

  @Override
  public String description() {
    NativeCheckerProvider n = Natives.find(NativeCheckerProvider.ICMP);
    if (n != null) {
      return n.description();
    }
    HealthCheckerProvider other = other();
    return other != null ? other.description() : "ICMP echo request/reply (S2.1); " + Natives.NEEDED;
  }

  @Override
  public Set<String> optionNames() {
    NativeCheckerProvider n = Natives.find(NativeCheckerProvider.ICMP);
    if (n != null) {
      return n.optionNames();
    }
    HealthCheckerProvider other = other();
    return other != null ? other.optionNames() : Set.of();
  }

  @Override
  public HealthChecker create(Map<String, String> options) {
    NativeCheckerProvider n = Natives.find(NativeCheckerProvider.ICMP);
    if (n != null) {
      return n.create(options);
    }
    HealthCheckerProvider other = other();
    if (other != null) {
      return other.create(options);
    }
    throw new UnsupportedOperationException("icmp " + Natives.NEEDED);
  }

  private static @Nullable HealthCheckerProvider other() {
    for (HealthCheckerProvider p : ServiceLoader.load(HealthCheckerProvider.class, IcmpProvider.class.getClassLoader())) {
      if (p.name().equals("icmp") && !(p instanceof IcmpProvider)) {
        return p;
      }
    }
    return null;
  }
}
