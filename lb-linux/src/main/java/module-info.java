/**
 * Linux I/O for lb4j through the Foreign Function and Memory API: raw IP, ping and packet sockets,
 * interface information, and the health checks that need them ([icmp] and the raw way of [tcp-half-open]), supplied to
 * lb-health through its NativeCheckerProvider SPI.
 */
module io.github.lb4j.linux {
  requires static transitive org.jspecify;
  requires transitive io.github.lb4j.api;
  requires io.github.lb4j.health;
  requires org.slf4j;

  exports io.github.lb4j.linux;

  provides io.github.lb4j.health.spi.NativeCheckerProvider with
      io.github.lb4j.linux.health.IcmpCheckerProvider,
      io.github.lb4j.linux.health.RawHalfOpenCheckerProvider;
}
