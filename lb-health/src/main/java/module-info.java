import io.github.lb4j.api.spi.HealthCheckerProvider;

/**
 * Every health-check method of lb4j (seed S2), the {@code HealthMonitor} (rise/fall, intervals,
 * jitter) and passive outlier detection. Checkers are created by name through {@link
 * io.github.lb4j.api.HealthCheckers}; native methods (ICMP, raw half-open) come from lb-health-linux through
 * {@link io.github.lb4j.health.spi.NativeCheckerProvider}.
 */
module io.github.lb4j.health {
  requires static transitive org.jspecify;
  requires transitive io.github.lb4j.api;
  requires org.slf4j;
  requires jdk.net;

  exports io.github.lb4j.health;
  exports io.github.lb4j.health.spi;

  uses io.github.lb4j.health.spi.NativeCheckerProvider;
  uses HealthCheckerProvider;

  provides HealthCheckerProvider with
      io.github.lb4j.health.check.TcpProvider,
      io.github.lb4j.health.check.TcpHalfOpenProvider,
      io.github.lb4j.health.check.HttpProvider,
      io.github.lb4j.health.check.HttpContentProvider,
      io.github.lb4j.health.check.UdpProvider,
      io.github.lb4j.health.check.TlsProvider,
      io.github.lb4j.health.check.ScriptProvider,
      io.github.lb4j.health.check.IcmpProvider,
      io.github.lb4j.health.check.AgentProvider;
}
