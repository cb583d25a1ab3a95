package io.github.lb4j.gateway.cli;

import io.github.lb4j.api.NoBackendPolicy;
import io.github.lb4j.gateway.config.Durations;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.gateway.config.ProxyConfigFile;
import io.github.lb4j.gateway.proxy.BackendStatus;
import io.github.lb4j.gateway.proxy.DrainReport;
import io.github.lb4j.gateway.proxy.ProxyProtocol;
import io.github.lb4j.gateway.proxy.ProxyServer;
import io.github.lb4j.gateway.proxy.ProxyStats;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lb proxy}: runs a {@link ProxyServer} until SIGINT or SIGTERM. Flags and the configuration
 * file become the same entries ({@link ProxyConfigFile}); flags come after the file, so a flag
 * overrides a single-valued key and adds to {@code listen} and {@code backend}.
 */
@Command(
    name = "proxy",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a TCP load-balancing proxy (a full proxy: backends see the proxy as their client, seed S6.1b).",
      "Example: lb proxy --listen 127.0.0.1:8080 --backend web-1=127.0.0.1:8081 --backend web-2=127.0.0.1:8082 "
          + "--algorithm least-connections --check tcp",
      "         lb proxy --listen 127.0.0.1:8080 --discover srv:_http._tcp.example.test --algorithm weighted-round-robin"
    })
final class ProxyCommand implements Callable<Integer> {

  /** The configuration key of {@code --warm-up}, read by the command rather than by the proxy. */
  static final String WARM_UP = "warm-up";

  static final Duration DEFAULT_WARM_UP = Duration.ofSeconds(5);

  @Spec CommandSpec spec;

  @Option(names = "--mode", paramLabel = "tcp|http",
      description = "tcp (default): balance connections; http: an HTTP/1.1 reverse proxy balancing each request.")
  @Nullable String mode;

  @Mixin HttpOptions http = new HttpOptions();

  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Configuration file (key = value lines; see README).")
  @Nullable Path config;

  @Option(names = {"-l", "--listen"}, paramLabel = "HOST:PORT", converter = Converters.EndpointConverter.class,
      description = "Address to listen on; repeatable ([::1]:8080 for IPv6, :8080 for all).")
  List<InetSocketAddress> listen = new ArrayList<>();

  @Option(names = {"-b", "--backend"}, paramLabel = "[ID=]HOST:PORT[,weight=N]", description = "A backend; repeatable. Without ID it is named backend-N.")
  List<String> backends = new ArrayList<>();

  @Option(names = "--discover", paramLabel = "SOURCE",
      description = "Backends from a membership source, followed as it changes; repeatable, with or instead of --backend: "
          + "srv:NAME (DNS SRV, e.g. srv:_http._tcp.example.test), dns:NAME:PORT (A/AAAA), file:PATH (a backends file).")
  List<String> discover = new ArrayList<>();

  @Option(names = "--dns-server", paramLabel = "HOST[:PORT]",
      description = "DNS server --discover asks (default: those of /etc/resolv.conf); repeatable.")
  List<String> dnsServers = new ArrayList<>();

  @Option(names = {"-a", "--algorithm"}, paramLabel = "NAME", description = "Scheduling algorithm (default round-robin); the list is below.")
  @Nullable String algorithm;

  @Option(names = "--algorithm-option", paramLabel = "KEY=VALUE", description = "An option of the algorithm, e.g. table-size=65537; repeatable.")
  Map<String, String> algorithmOptions = new LinkedHashMap<>();

  @Option(names = "--slow-start", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Slow-start window after a backend comes up, e.g. 10s.")
  @Nullable Duration slowStart;

  @Option(names = "--check", paramLabel = "NAME", description = "Health check by name (default none); the list is below.")
  @Nullable String check;

  @Option(names = "--check-option", paramLabel = "KEY=VALUE", description = "An option of the check, e.g. path=/health; repeatable.")
  Map<String, String> checkOptions = new LinkedHashMap<>();

  @Option(names = "--check-interval", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Time between checks of one backend (default 2s).")
  @Nullable Duration checkInterval;

  @Option(names = "--check-timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Timeout of one check (default half the interval).")
  @Nullable Duration checkTimeout;

  @Option(names = "--rise", paramLabel = "N", description = "Passes that bring a backend up (default 2).")
  @Nullable Integer rise;

  @Option(names = "--fall", paramLabel = "N", description = "Failures that take a backend down (default 3).")
  @Nullable Integer fall;

  @Option(names = "--connect-timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Backend connect timeout (default 5s).")
  @Nullable Duration connectTimeout;

  @Option(names = "--connect-attempts", paramLabel = "N", description = "Backends tried per connection (default 3).")
  @Nullable Integer connectAttempts;

  @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Close connections silent this long (default 0s: never).")
  @Nullable Duration idleTimeout;

  @Option(names = "--drain-timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "On SIGTERM or SIGINT: stop accepting, let open connections finish for this long, then cut them (default 30s); a second signal stops at once.")
  @Nullable Duration drainTimeout;

  @Option(names = "--proxy-protocol", paramLabel = "none|v1|v2", converter = Converters.ProxyProtocolConverter.class,
      description = "PROXY protocol header towards backends (default none).")
  @Nullable ProxyProtocol proxyProtocol;

  @Option(names = "--no-backend", paramLabel = "fail-closed|fail-open", converter = Converters.NoBackendConverter.class,
      description = "When no backend is healthy: refuse (default) or use unhealthy ones.")
  @Nullable NoBackendPolicy noBackend;

  @Option(names = "--seed", paramLabel = "N", description = "Hash seed, for several proxies that must choose alike.")
  @Nullable Long seed;

  @Option(names = "--event-loops", paramLabel = "N", description = "Event-loop threads (default 2).")
  @Nullable Integer eventLoops;

  @Option(names = "--buffer-size", paramLabel = "BYTES", description = "Relay buffer per direction (default 32768).")
  @Nullable Integer bufferSize;

  @Option(names = "--status-interval", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Print each backend's status this often (default 0s: never).")
  Duration statusInterval = Duration.ZERO;

  @Option(names = "--warm-up", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Before listening, relay loopback traffic through a copy of this proxy (20,000 exchanges, for at most "
          + "this long) so that the JIT has compiled the relay before the first user arrives (default 5s; 0s listens at once). TCP mode only.")
  @Nullable Duration warmUp;

  @Option(names = "--metrics", paramLabel = "HOST:PORT", converter = Converters.EndpointConverter.class,
      description = "Serve Prometheus metrics at http://HOST:PORT/metrics.")
  @Nullable InetSocketAddress metrics;

  @Override
  public Integer call() throws Exception {
    List<ProxyConfigFile.Entry> entries = new ArrayList<>();
    if (config != null) {
      entries.addAll(ProxyConfigFile.read(config));
    }
    entries.addAll(flagEntries());
    entries.addAll(http.entries());
    add(entries, WARM_UP, warmUp, "--warm-up");
    ProxyConfigFile.Entry warmUpEntry = null;
    for (ProxyConfigFile.Entry e : entries) {
      if (e.key().equalsIgnoreCase(WARM_UP)) {
        warmUpEntry = e;
      }
    }
    entries.removeIf(e -> e.key().equalsIgnoreCase(WARM_UP));
    if (HttpMode.chosen(mode, entries)) {
      if (warmUpEntry != null) {
        String where = warmUpEntry.origin().isEmpty() ? "" : warmUpEntry.origin() + ": ";
        throw new IllegalArgumentException(where + warmUpEntry.name() + " applies only to the TCP mode");
      }
      return HttpMode.run(spec, entries, statusInterval);
    }
    HttpMode.requireTcp(entries);
    Duration warmUpFor = warmUpEntry == null ? DEFAULT_WARM_UP : Durations.parse(warmUpEntry.name(), warmUpEntry.value());
    long statusMillis = statusInterval.toMillis();
    ProxyServer.Builder builder = ProxyConfigFile.apply(entries, ProxyServer.builder());
    if (entries.stream().noneMatch(e -> e.key().equalsIgnoreCase("listen"))) {
      throw new IllegalArgumentException("no listen address: give --listen HOST:PORT" + orInFile("listen = HOST:PORT"));
    }
    if (entries.stream().noneMatch(e -> e.key().toLowerCase(Locale.ROOT).startsWith("backend")
        || e.key().equalsIgnoreCase("discover"))) {
      throw new IllegalArgumentException("no backend: give --backend [ID=]HOST:PORT or --discover SOURCE"
          + orInFile("backend ID = HOST:PORT"));
    }
    ProxyServer proxy = builder.build();
    PrintWriter out = spec.commandLine().getOut();
    // An address that cannot be bound now fails the start below at once, without a warm-up first.
    String warmed = JitWarmUp.bindable(entries) ? JitWarmUp.run(entries, warmUpFor) : "";
    try {
      proxy.start();
    } catch (Exception e) {
      proxy.close();
      throw e;
    }
    if (!warmed.isEmpty()) {
      out.println("lb proxy: " + warmed);
    }
    MetricsEndpoint endpoint;
    try {
      endpoint = metrics == null ? null : MetricsEndpoint.proxy(proxy, metrics);
    } catch (RuntimeException e) {
      proxy.close();
      throw e;
    }
    try (MetricsEndpoint m = endpoint;
        StopSignals signals = StopSignals.install(() -> {
          out.println("lb proxy: second signal: stopping at once");
          proxy.close();
        })) {
      out.println("lb proxy: listening on "
          + proxy.listenAddresses().stream().map(Endpoints::format).collect(Collectors.joining(", "))
          + ", algorithm " + proxy.scheduler().name()
          + (proxy.healthCheck() == null ? ", no health check" : ", check " + proxy.healthCheck().checker())
          + ", " + proxy.status().size() + " backends"
          + (proxy.membershipSources().isEmpty() ? "" : " (discovering " + String.join(", ", proxy.membershipSources().keySet()) + ")")
          + "; SIGTERM or Ctrl-C drains for up to "
          + Durations.format(proxy.drainTimeout()) + ", a second one stops at once");
      if (m != null) {
        out.println("lb proxy: metrics at " + m.url());
      }
      while (!signals.await(statusMillis > 0 ? statusMillis : 3_600_000)) {
        if (statusMillis > 0) {
          printStatus(proxy);
        }
      }
      out.println("lb proxy: " + signals.name() + ": stopped accepting; draining " + proxy.stats().active()
          + " connections for up to " + Durations.format(proxy.drainTimeout()) + " (a second signal stops at once)");
      out.println("lb proxy: " + describe(proxy.drain(), proxy.drainTimeout()));
      return signals.exitStatus();
    }
  }

  private String orInFile(String line) {
    return config == null ? "" : " or '" + line + "' in " + config;
  }

  /** One line saying how the drain ended, what finished and what was cut. */
  static String describe(DrainReport r, Duration timeout) {
    String counts = r.finished() + " connections finished, " + (r.cut() == 0 ? "none" : r.cut()) + " cut";
    String took = String.format(Locale.ROOT, "%.1fs", r.elapsed().toNanos() / 1e9);
    return switch (r.outcome()) {
      case COMPLETE -> "drained in " + took + ": " + counts;
      case DEADLINE -> "drain timeout " + Durations.format(timeout) + " passed: " + counts;
      case STOPPED -> "stopped at once by a second signal after " + took + ": " + counts;
    };
  }

  private void printStatus(ProxyServer proxy) {
    ProxyStats s = proxy.stats();
    StringBuilder sb = new StringBuilder();
    sb.append("accepted=").append(s.accepted()).append(" active=").append(s.active()).append(" rejected=")
        .append(s.rejected()).append(" retries=").append(s.retries()).append(" connect-failures=").append(s.connectFailures())
        .append(" local-shortages=").append(s.localShortages());
    for (BackendStatus b : proxy.status()) {
      sb.append(" | ").append(b.backend().id()).append(' ').append(b.health()).append(" w=").append(b.backend().weight())
          .append(" active=").append(b.activeSessions()).append(" total=").append(b.totalSessions())
          .append(" failures=").append(b.connectFailures());
    }
    proxy.membershipSources().forEach((name, source) -> sb.append(" | ").append(DiscoveryStatus.describe(name, source)));
    spec.commandLine().getOut().println(sb);
  }

  /** The flags as configuration entries, checked by the same code as file lines and named as flags in errors. */
  private List<ProxyConfigFile.Entry> flagEntries() {
    List<ProxyConfigFile.Entry> out = new ArrayList<>();
    for (InetSocketAddress l : listen) {
      out.add(ProxyConfigFile.Entry.fromFlag("listen", Endpoints.format(l), "--listen"));
    }
    int n = 0;
    for (String b : backends) {
      n++;
      String text = b.strip();
      int eq = text.indexOf('=');
      int comma = text.indexOf(',');
      String id;
      String rest;
      if (eq > 0 && (comma < 0 || eq < comma)) {
        id = text.substring(0, eq);
        rest = text.substring(eq + 1);
      } else {
        id = "backend-" + n;
        rest = text;
      }
      out.add(new ProxyConfigFile.Entry("backend " + id, rest.replace(',', ' '), "--backend " + b, "--backend"));
    }
    discover.forEach(d -> out.add(ProxyConfigFile.Entry.fromFlag("discover", d, "--discover")));
    dnsServers.forEach(d -> out.add(ProxyConfigFile.Entry.fromFlag("dns-server", d, "--dns-server")));
    add(out, "algorithm", algorithm, "--algorithm");
    algorithmOptions.forEach((k, v) -> out.add(ProxyConfigFile.Entry.fromFlag("algorithm." + k, v, "--algorithm-option " + k)));
    add(out, "slow-start", slowStart, "--slow-start");
    add(out, "check", check, "--check");
    checkOptions.forEach((k, v) -> out.add(ProxyConfigFile.Entry.fromFlag("check." + k, v, "--check-option " + k)));
    add(out, "check.interval", checkInterval, "--check-interval");
    add(out, "check.timeout", checkTimeout, "--check-timeout");
    add(out, "check.rise", rise, "--rise");
    add(out, "check.fall", fall, "--fall");
    add(out, "connect-timeout", connectTimeout, "--connect-timeout");
    add(out, "connect-attempts", connectAttempts, "--connect-attempts");
    add(out, "idle-timeout", idleTimeout, "--idle-timeout");
    add(out, "drain-timeout", drainTimeout, "--drain-timeout");
    add(out, "proxy-protocol", proxyProtocol == null ? null : proxyProtocol.configName(), "--proxy-protocol");
    add(out, "no-backend", noBackend == null ? null : noBackend == NoBackendPolicy.FAIL_OPEN ? "fail-open" : "fail-closed", "--no-backend");
    add(out, "seed", seed, "--seed");
    add(out, "event-loops", eventLoops, "--event-loops");
    add(out, "buffer-size", bufferSize, "--buffer-size");
    return out;
  }

  private static void add(List<ProxyConfigFile.Entry> out, String key, @Nullable Object value, String flag) {
    if (value != null) {
      String text = value instanceof Duration d ? Durations.format(d) : value.toString();
      out.add(ProxyConfigFile.Entry.fromFlag(key, text, flag));
    }
  }
}
