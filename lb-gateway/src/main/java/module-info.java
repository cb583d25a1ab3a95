/**
 * The runnable reference gateway {@code lb}: an embeddable socket-level TCP load balancer ({@link
 * io.github.lb4j.gateway.proxy.ProxyServer}) and the {@code lb} command (proxy, demo, trace, serve).
 */
module io.github.lb4j.gateway {
  requires static transitive org.jspecify;
  requires transitive io.github.lb4j.api;
  requires io.github.lb4j.algorithms;
  requires io.github.lb4j.health;
  requires io.github.lb4j.nat;
  requires io.github.lb4j.announce;
  requires io.github.lb4j.linux;
  requires info.picocli;
  requires org.slf4j;

  exports io.github.lb4j.gateway.proxy;

  opens io.github.lb4j.gateway.cli to info.picocli;

  uses io.github.lb4j.api.spi.SchedulerProvider;
  uses io.github.lb4j.api.spi.HealthCheckerProvider;
}
