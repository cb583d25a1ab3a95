package io.github.lb4j.gateway.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.discovery.DnsMembership;
import io.github.lb4j.discovery.FileMembership;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.gateway.datapath.Datapath;
import io.github.lb4j.gateway.proxy.BackendStatus;
import io.github.lb4j.gateway.proxy.ProxyServer;
import io.github.lb4j.gateway.proxy.ProxyStats;
import io.github.lb4j.linux.PacketSocket;
import io.github.lb4j.micrometer.FlowTableMetrics;
import io.github.lb4j.micrometer.TranslatorMetrics;
import io.github.lb4j.nat.flow.FlowTable;
import io.github.lb4j.pool.MembershipSource;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.ToLongFunction;

/**
 * The {@code --metrics HOST:PORT} of {@code lb proxy} and {@code lb datapath}: a Prometheus text
 * endpoint at {@code http://HOST:PORT/metrics} (JDK HTTP server, one thread), serving lb-micrometer's
 * meters of the running proxy or datapath. Values are read from the engines' own counters at each
 * scrape. Closing stops the server and its thread.
 */
final class MetricsEndpoint implements AutoCloseable {

  /** The Prometheus text exposition format, version 0.0.4. */
  private static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;
  /** Runs before each scrape: registers the meters of backends that joined, removes those that left. */
  private final Runnable beforeScrape;
  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsEndpoint(PrometheusMeterRegistry registry, Runnable beforeScrape, InetSocketAddress listen) {
    this.registry = registry;
    this.beforeScrape = beforeScrape;
    try {
      server = HttpServer.create(listen, 16);
    } catch (BindException e) {
      throw new IllegalArgumentException("--metrics: cannot listen on " + Endpoints.format(listen) + ": address already in use", e);
    } catch (IOException e) {
      throw new IllegalArgumentException("--metrics: cannot listen on " + Endpoints.format(listen) + ": " + e.getMessage(), e);
    }
    server.createContext("/metrics", this::scrape);
    executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "lb-metrics");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.start();
  }

  /** The URL to scrape. */
  String url() {
    return "http://" + Endpoints.format(server.getAddress()) + "/metrics";
  }

  private void scrape(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      beforeScrape.run();
      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", TEXT_FORMAT);
      if (exchange.getRequestMethod().equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Serves the meters of a running proxy. */
  static MetricsEndpoint proxy(ProxyServer proxy, InetSocketAddress listen) {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    proxyCounter(r, proxy, "lb.proxy.connections.accepted", ProxyStats::accepted, "Client connections accepted");
    proxyCounter(r, proxy, "lb.proxy.connections.rejected", ProxyStats::rejected, "Client connections closed without a backend");
    proxyCounter(r, proxy, "lb.proxy.connect.failures", ProxyStats::connectFailures, "Backend connection attempts that failed");
    proxyCounter(r, proxy, "lb.proxy.connect.timeouts", ProxyStats::connectTimeouts, "Backend connection attempts that timed out");
    proxyCounter(r, proxy, "lb.proxy.retries", ProxyStats::retries, "Attempts on another backend after a failed one");
    proxyCounter(r, proxy, "lb.proxy.idle.timeouts", ProxyStats::idleTimeouts, "Connections closed by the idle timeout");
    proxyCounter(r, proxy, "lb.proxy.local.shortages", ProxyStats::localShortages,
        "Accepts and backend sockets that failed for the proxy's own lack of descriptors or ports");
    Gauge.builder("lb.proxy.connections.active", proxy, p -> p.stats().active())
        .description("Client connections open").register(r);
    proxy.membershipSources().forEach((name, source) -> discoveryMeters(r, name, source));
    Map<String, List<Meter>> byBackend = new HashMap<>();
    Runnable sync = () -> {
      Set<String> now = new HashSet<>();
      for (BackendStatus b : proxy.status()) {
        now.add(b.backend().id());
        byBackend.computeIfAbsent(b.backend().id(), id -> backendMeters(r, proxy, id));
      }
      byBackend.entrySet().removeIf(e -> {
        if (now.contains(e.getKey())) {
          return false;
        }
        e.getValue().forEach(r::remove);
        return true;
      });
    };
    sync.run();
    return new MetricsEndpoint(r, sync, listen);
  }

  /** The meters of one backend of a proxy: what its status says. */
  private static List<Meter> backendMeters(PrometheusMeterRegistry r, ProxyServer proxy, String id) {
    Tags t = Tags.of("backend", id);
    List<Meter> m = new ArrayList<>();
    m.add(Gauge.builder("lb.backend.sessions.active", proxy, p -> backend(p, id, BackendStatus::activeSessions)).tags(t)
        .description("Connections relayed now").register(r));
    m.add(FunctionCounter.builder("lb.backend.sessions", proxy, p -> backend(p, id, BackendStatus::totalSessions)).tags(t)
        .description("Connections opened to the backend").register(r));
    m.add(FunctionCounter.builder("lb.backend.connect.failures", proxy, p -> backend(p, id, BackendStatus::connectFailures)).tags(t)
        .description("Connection attempts to the backend that failed").register(r));
    m.add(Gauge.builder("lb.backend.weight", proxy, p -> backend(p, id, s -> s.backend().weight())).tags(t)
        .description("The backend's weight (0 while drained)").register(r));
    m.add(Gauge.builder("lb.backend.serving", proxy, p -> backend(p, id, s -> s.eligible() ? 1 : 0)).tags(t)
        .description("1 when the backend takes new connections").register(r));
    for (HealthState h : HealthState.values()) {
      m.add(Gauge.builder("lb.backend.health", proxy, p -> backend(p, id, s -> s.health() == h ? 1 : 0)).tags(t)
          .tag("state", h.name().toLowerCase(Locale.ROOT)).description("1 for the backend's health now").register(r));
    }
    return m;
  }

  /**
   * The state of a discovery source: backends it gives, lookups (or file loads) that failed in a row
   * (0 while it answers; above 0 the last good membership is kept), lookups made.
   */
  private static void discoveryMeters(PrometheusMeterRegistry r, String name, MembershipSource source) {
    Tags t = Tags.of("source", name);
    if (source instanceof DnsMembership dns) {
      Gauge.builder("lb.discovery.backends", dns, d -> d.status().backends().size()).tags(t)
          .description("Backends the source gives now (its last good answer)").register(r);
      Gauge.builder("lb.discovery.failures", dns, d -> d.status().consecutiveFailures()).tags(t)
          .description("Lookups failed since the last good answer (the last good membership is kept)").register(r);
      FunctionCounter.builder("lb.discovery.lookups", dns, d -> d.status().lookups()).tags(t)
          .description("Lookups made, good or not").register(r);
    } else if (source instanceof FileMembership file) {
      Gauge.builder("lb.discovery.backends", file, f -> f.status().backends().size()).tags(t)
          .description("Backends the source gives now (its last good answer)").register(r);
      Gauge.builder("lb.discovery.failures", file, f -> f.status().lastError() == null ? 0 : 1).tags(t)
          .description("1 while the file is rejected (the last good membership is kept)").register(r);
      FunctionCounter.builder("lb.discovery.lookups", file, f -> f.status().loads()).tags(t)
          .description("Lookups made, good or not").register(r);
    }
  }

  private static void proxyCounter(PrometheusMeterRegistry r, ProxyServer proxy, String name, ToLongFunction<ProxyStats> f,
      String description) {
    FunctionCounter.builder(name, proxy, p -> f.applyAsLong(p.stats())).description(description).register(r);
  }

  private static double backend(ProxyServer p, String id, ToLongFunction<BackendStatus> f) {
    for (BackendStatus s : p.status()) {
      if (s.backend().id().equals(id)) {
        return f.applyAsLong(s);
      }
    }
    return Double.NaN;
  }

  /** Serves the meters of a running datapath. */
  static MetricsEndpoint datapath(Datapath datapath, String mode, InetSocketAddress listen) {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Tags mt = Tags.of("mode", mode);
    new TranslatorMetrics(datapath, datapath::count, datapath::drops, mt).bindTo(r);
    // One flow table per worker: with several, each table's meters under the same names, told apart
    // by a worker tag (every series of a name then has it); with one, the table is the datapath's.
    List<FlowTable> tables = datapath.flowTables();
    for (int w = 0; w < tables.size(); w++) {
      new FlowTableMetrics(tables.get(w), tables.size() == 1 ? mt : mt.and("worker", Integer.toString(w))).bindTo(r);
    }
    for (PacketSocket.Counter c : PacketSocket.Counter.values()) {
      FunctionCounter.builder("lb.datapath.socket", datapath, d -> d.count(c)).tags(mt)
          .tag("counter", c.name().toLowerCase(Locale.ROOT))
          .description("What the packet sockets did to receive frames as on the wire, or could not do").register(r);
    }
    Gauge.builder("lb.datapath.backends.eligible", datapath, d -> d.eligible().size()).tags(mt)
        .description("Servers eligible for new flows (healthy, MAC resolved)").register(r);
    return new MetricsEndpoint(r, () -> { }, listen);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    registry.close();
  }

  @Override
  public String toString() {
    return "MetricsEndpoint{" + url() + "}";
  }
}
