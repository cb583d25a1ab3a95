/**
 * The health checks that need Linux sockets through lb-linux's FFM bindings: [icmp] (S2.1) and the
 * raw way of [tcp-half-open] (S2.3), supplied to lb-health through its {@code NativeCheckerProvider}
 * SPI and created by name with {@code HealthCheckers.create}. Exports nothing.
 */
module io.github.lb4j.health.linux {
  requires static org.jspecify;
  requires io.github.lb4j.api;
  requires io.github.lb4j.health;
  requires io.github.lb4j.linux;
  requires io.github.lb4j.nat;
  requires org.slf4j;

  provides io.github.lb4j.health.spi.NativeCheckerProvider with
      io.github.lb4j.health.linux.IcmpCheckerProvider,
      io.github.lb4j.health.linux.RawHalfOpenCheckerProvider;
}
