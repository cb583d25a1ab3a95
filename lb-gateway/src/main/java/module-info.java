/**
 * The runnable reference gateway {@code lb} and its embeddable engines: the socket-level TCP load
 * balancer ({@link io.github.lb4j.gateway.proxy.ProxyServer}), the HTTP/1.1 reverse proxy ({@link
 * io.github.lb4j.gateway.http.HttpProxy}) and the packet datapath ({@link
 * io.github.lb4j.gateway.datapath.Datapath}). The {@code lb} command (proxy, demo, datapath, trace,
 * serve) and its configuration parsing are internal.
 */
// micrometer-core and micrometer-registry-prometheus are automatic modules.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.github.lb4j.gateway {
  requires static transitive org.jspecify;
  requires transitive io.github.lb4j.api;
  requires io.github.lb4j.algorithms;
  requires io.github.lb4j.health;
  // Datapath.pool(): drain and weights of a running datapath
  requires transitive io.github.lb4j.pool;
  requires transitive io.github.lb4j.nat;
  requires transitive io.github.lb4j.linux;
  requires transitive io.github.lb4j.announce;
  requires io.github.lb4j.micrometer;
  // lb proxy --discover: DNS SRV, A/AAAA and file membership sources.
  requires io.github.lb4j.discovery;
  requires micrometer.registry.prometheus;
  // The --metrics endpoint of lb proxy and lb datapath.
  requires jdk.httpserver;
  requires info.picocli;
  requires org.slf4j;
  // sun.misc.Signal: lb proxy drains on SIGTERM and stops at once on a second signal.
  requires jdk.unsupported;

  exports io.github.lb4j.gateway.proxy;
  exports io.github.lb4j.gateway.datapath;
  exports io.github.lb4j.gateway.http;

  opens io.github.lb4j.gateway.cli to info.picocli;

  uses io.github.lb4j.api.spi.SchedulerProvider;
  uses io.github.lb4j.api.spi.HealthCheckerProvider;
}
