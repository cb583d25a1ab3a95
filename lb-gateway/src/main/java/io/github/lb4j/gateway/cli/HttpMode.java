package io.github.lb4j.gateway.cli;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.gateway.config.Durations;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.gateway.config.ProxyConfigFile;
import io.github.lb4j.gateway.config.ProxyConfigFile.Entry;
import io.github.lb4j.gateway.http.HashOn;
import io.github.lb4j.gateway.http.HttpDrainReport;
import io.github.lb4j.gateway.http.HttpProxy;
import io.github.lb4j.gateway.http.HttpProxyStats;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.BackendState;
import io.github.lb4j.pool.MembershipSource;
import io.github.lb4j.pool.MembershipUnion;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code lb proxy --mode http} (or {@code mode = http} in the file): the same listen, backend,
 * algorithm, check and timeout settings as the TCP mode, plus the HTTP ones of {@link HttpOptions},
 * turned into a {@link BackendPool} and an {@link HttpProxy}. Every value is checked here and an
 * error names the file line or the flag. Stateless.
 */
final class HttpMode {

  /** Keys only the HTTP mode takes. */
  static final List<String> HTTP_KEYS = List.of("hash-on", "max-request-line", "max-header-size", "max-headers",
      "max-body-size", "header-timeout", "keepalive-timeout", "client-timeout", "backend-timeout",
      "backend-idle-timeout", "max-connections", "max-per-backend", "max-idle-per-backend",
      "max-requests-per-connection", "forwarded-headers", "via", "outlier-failures");

  /** Keys shared with the TCP mode. */
  private static final List<String> SHARED_KEYS = List.of("mode", "algorithm", "slow-start", "seed", "no-backend",
      "check", "check.interval", "check.timeout", "check.rise", "check.fall", "connect-timeout", "connect-attempts",
      "idle-timeout", "drain-timeout", "event-loops", "buffer-size", "backlog");

  private HttpMode() {}

  /**
   * Whether the HTTP mode is chosen: the flag wins over a {@code mode} line.
   *
   * @throws IllegalArgumentException for a mode other than tcp or http
   */
  static boolean chosen(@Nullable String flag, List<Entry> entries) {
    String mode = "tcp";
    String name = "--mode";
    for (Entry e : entries) {
      if (e.key().equalsIgnoreCase("mode")) {
        mode = e.value();
        name = e.origin().isEmpty() ? e.name() : e.origin() + ": mode";
      }
    }
    if (flag != null) {
      mode = flag;
      name = "--mode";
    }
    return switch (mode.strip().toLowerCase(Locale.ROOT)) {
      case "tcp" -> false;
      case "http" -> true;
      default -> throw new IllegalArgumentException(name + " must be tcp or http, was '" + mode + "'");
    };
  }

  /**
   * Prepares entries for the TCP mode: drops {@code mode = tcp} and refuses HTTP-only settings.
   *
   * @throws IllegalArgumentException naming the first HTTP-only setting
   */
  static void requireTcp(List<Entry> entries) {
    entries.removeIf(e -> e.key().equalsIgnoreCase("mode"));
    for (Entry e : entries) {
      if (HTTP_KEYS.contains(e.key().toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(at(e, e.name() + " applies only to the HTTP mode: add "
            + (e.origin().isEmpty() ? "--mode http" : "'mode = http'")));
      }
    }
  }

  /** The proxy and its pool, built but not started. */
  record Built(HttpProxy proxy, BackendPool pool, String algorithm, @Nullable String check, int backends,
      Duration drainTimeout, HashOn hashOn, Map<String, MembershipSource> sources) {}

  /**
   * Builds the pool and the proxy from entries.
   *
   * @throws IllegalArgumentException naming the bad entry
   */
  static Built build(List<Entry> entries) {
    Map<String, Entry> last = new LinkedHashMap<>();
    Map<String, String> checkOptions = new LinkedHashMap<>();
    Entry firstCheckOption = null;
    List<InetSocketAddress> listen = new ArrayList<>();
    List<Backend> backends = new ArrayList<>();
    Map<String, String> algorithmOptions = new LinkedHashMap<>();
    Map<String, Entry> byAddress = new HashMap<>();
    for (Entry e : entries) {
      String key = e.key().toLowerCase(Locale.ROOT);
      try {
        if (key.equals("listen")) {
          for (String part : e.value().split(",")) {
            if (!part.isBlank()) {
              listen.add(Endpoints.parse(e.name(), part));
            }
          }
        } else if (key.equals("backend") || key.startsWith("backend ")) {
          Backend b = backend(e);
          for (Backend o : backends) {
            if (o.id().equals(b.id())) {
              throw new IllegalArgumentException("backend " + b.id() + " is given twice");
            }
          }
          String addr = Endpoints.format(b.address(), b.port());
          Entry before = byAddress.putIfAbsent(addr, e);
          if (before != null) {
            throw new IllegalArgumentException("backend " + b.id() + " has the address " + addr + " of an earlier backend"
                + " (one server would get a double share); give it a weight instead");
          }
          backends.add(b);
        } else if (key.equals("discover") || key.equals("dns-server")) {
          continue;
        } else if (key.startsWith("algorithm.")) {
          algorithmOptions.put(e.key().substring("algorithm.".length()), e.value());
        } else if (SHARED_KEYS.contains(key) || HTTP_KEYS.contains(key)) {
          last.put(key, e);
        } else if (key.startsWith("check.")) {
          checkOptions.put(e.key().substring("check.".length()), e.value());
          if (firstCheckOption == null) {
            firstCheckOption = e;
          }
        } else if (key.equals("proxy-protocol")) {
          throw new IllegalArgumentException(e.name() + " does not apply to the HTTP mode (backend connections are"
              + " shared by clients); the client is named in X-Forwarded-For and Forwarded");
        } else {
          throw new IllegalArgumentException("unknown key '" + e.key() + "'; the HTTP mode knows: listen, backend ID, discover, dns-server, "
              + "algorithm, algorithm.OPTION, check, check.OPTION, " + String.join(", ", SHARED_KEYS.subList(1, SHARED_KEYS.size()))
              .replace("check, check.interval, check.timeout, check.rise, check.fall, ", "") + ", " + String.join(", ", HTTP_KEYS));
        }
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(at(e, ex.getMessage()), ex);
      }
    }
    if (listen.isEmpty()) {
      throw new IllegalArgumentException("no listen address: give --listen HOST:PORT or 'listen = HOST:PORT' in the file");
    }
    boolean discovers = entries.stream().anyMatch(e -> e.key().equalsIgnoreCase("discover"));
    if (backends.isEmpty() && !discovers) {
      throw new IllegalArgumentException("no backend: give --backend [ID=]HOST:PORT or --discover SOURCE, or 'backend ID = HOST:PORT' in the file");
    }
    Map<String, MembershipSource> sources = ProxyConfigFile.membershipSources(entries);
    BackendPool.Builder pb = BackendPool.builder();
    if (sources.isEmpty()) {
      pb.backends(backends);
    } else {
      List<MembershipSource> parts = new ArrayList<>();
      List<String> names = new ArrayList<>();
      if (!backends.isEmpty()) {
        parts.add(MembershipSource.of(backends));
        names.add("static backends");
      }
      parts.addAll(sources.values());
      names.addAll(sources.keySet());
      pb.membership(MembershipUnion.of(parts, names));
    }
    Entry current = null;
    try {
      String algorithm = "round-robin";
      if ((current = last.get("algorithm")) != null) {
        algorithm = current.value().strip();
      }
      pb.scheduler(algorithm);
      for (Map.Entry<String, String> o : algorithmOptions.entrySet()) {
        pb.schedulerOption(o.getKey(), o.getValue());
      }
      if ((current = last.get("seed")) != null) {
        pb.seed(longValue(current));
      }
      if ((current = last.get("slow-start")) != null) {
        Duration d = duration(current);
        if (!d.isZero()) {
          pb.slowStart(d);
        }
      }
      if ((current = last.get("no-backend")) != null) {
        pb.noBackendPolicy(ProxyConfigFile.noBackendPolicy(current.name(), current.value()));
      }
      if ((current = last.get("max-per-backend")) != null) {
        pb.maxRequestsPerBackend(positiveInt(current));
      }
      int outlier = 5;
      if ((current = last.get("outlier-failures")) != null) {
        outlier = nonNegativeInt(current);
      }
      if (outlier > 0) {
        int n = outlier;
        pb.outlierDetection(d -> d.consecutiveFailures(n));
      }
      current = null;
      String checkName = null;
      Entry check = last.get("check");
      if (check != null && !check.value().equalsIgnoreCase("none")) {
        current = check;
        checkName = check.value().strip();
        HealthChecker checker = HealthCheckers.create(checkName, checkOptions);
        Duration interval = Duration.ofSeconds(2);
        if ((current = last.get("check.interval")) != null) {
          interval = positiveDuration(current);
        }
        Duration timeout = interval.dividedBy(2);
        if ((current = last.get("check.timeout")) != null) {
          timeout = positiveDuration(current);
          if (timeout.compareTo(interval) > 0) {
            throw new IllegalArgumentException(current.name() + " must not exceed the check interval, was "
                + Durations.format(timeout) + " > " + Durations.format(interval));
          }
        }
        int rise = 2;
        int fall = 3;
        if ((current = last.get("check.rise")) != null) {
          rise = positiveInt(current);
        }
        if ((current = last.get("check.fall")) != null) {
          fall = positiveInt(current);
        }
        current = check;
        Duration i = interval;
        Duration t = timeout;
        int r = rise;
        int f = fall;
        pb.healthCheck(checker, m -> m.interval(i).timeout(t).rise(r).fall(f));
      } else {
        Entry stray = firstCheckOption;
        for (String k : List.of("check.interval", "check.timeout", "check.rise", "check.fall")) {
          if (stray == null) {
            stray = last.get(k);
          }
        }
        if (stray != null) {
          current = stray;
          throw new IllegalArgumentException(stray.name() + " is set but no check is: add "
              + (stray.origin().isEmpty() ? "--check http" : "'check = http'") + " (or another checker)");
        }
      }
      current = null;
      BackendPool pool = pb.build();
      try {
        HttpProxy.Builder hb = HttpProxy.builder(pool).closePool(true);
        for (InetSocketAddress l : listen) {
          hb.listen(l);
        }
        Duration drain = Duration.ofSeconds(30);
        HashOn hashOn = HashOn.NONE;
        if ((current = last.get("hash-on")) != null) {
          hashOn = HashOn.parse(current.value());
          hb.hashOn(hashOn);
        }
        HttpLimitsEntries limits = new HttpLimitsEntries(last);
        current = limits.first();
        hb.limits(limits.requestLine, limits.headerSize, limits.headers, limits.body);
        if ((current = last.get("header-timeout")) != null) {
          hb.headerTimeout(positiveDuration(current));
        }
        if ((current = last.get("idle-timeout")) != null) {
          Duration d = duration(current);
          if (!d.isZero()) {
            hb.keepAliveTimeout(d).clientTimeout(d);
          }
        }
        if ((current = last.get("keepalive-timeout")) != null) {
          hb.keepAliveTimeout(positiveDuration(current));
        }
        if ((current = last.get("client-timeout")) != null) {
          hb.clientTimeout(positiveDuration(current));
        }
        if ((current = last.get("backend-timeout")) != null) {
          hb.backendTimeout(positiveDuration(current));
        }
        if ((current = last.get("backend-idle-timeout")) != null) {
          hb.backendIdleTimeout(positiveDuration(current));
        }
        if ((current = last.get("connect-timeout")) != null) {
          hb.connectTimeout(positiveDuration(current));
        }
        if ((current = last.get("connect-attempts")) != null) {
          hb.maxAttempts(positiveInt(current));
        }
        if ((current = last.get("drain-timeout")) != null) {
          drain = duration(current);
        }
        if ((current = last.get("max-connections")) != null) {
          hb.maxConnections(positiveInt(current));
        }
        if ((current = last.get("max-idle-per-backend")) != null) {
          hb.maxIdlePerBackend(nonNegativeInt(current));
        }
        if ((current = last.get("max-requests-per-connection")) != null) {
          hb.maxRequestsPerConnection(nonNegativeInt(current));
        }
        if ((current = last.get("forwarded-headers")) != null) {
          hb.forwardedHeaders(HttpProxy.ForwardedHeaders.parse(current.value()));
        }
        if ((current = last.get("via")) != null) {
          hb.via(current.value().strip());
        }
        if ((current = last.get("buffer-size")) != null) {
          hb.bufferSize(intValue(current));
        }
        if ((current = last.get("backlog")) != null) {
          hb.backlog(positiveInt(current));
        }
        if ((current = last.get("event-loops")) != null) {
          hb.eventLoops(positiveInt(current));
        }
        current = null;
        return new Built(hb.build(), pool, algorithm, checkName, backends.size(), drain, hashOn, sources);
      } catch (RuntimeException ex) {
        pool.close();
        throw ex;
      }
    } catch (IllegalArgumentException ex) {
      sources.values().forEach(MembershipSource::close);
      throw new IllegalArgumentException(current == null ? ex.getMessage() : at(current, renamed(ex.getMessage(), current)), ex);
    }
  }

  /** The four size limits, each from its entry or its default. */
  private static final class HttpLimitsEntries {
    final int requestLine;
    final int headerSize;
    final int headers;
    final long body;
    private final @Nullable Entry first;

    HttpLimitsEntries(Map<String, Entry> last) {
      Entry a = last.get("max-request-line");
      Entry b = last.get("max-header-size");
      Entry c = last.get("max-headers");
      Entry d = last.get("max-body-size");
      requestLine = a == null ? 8192 : intValue(a);
      headerSize = b == null ? 16384 : intValue(b);
      headers = c == null ? 100 : intValue(c);
      long body0 = d == null ? 0 : longValue(d);
      if (body0 < 0) {
        throw new IllegalArgumentException(at(d, d.name() + " must be 0 (no limit) or more, was " + body0));
      }
      body = body0 == 0 ? Long.MAX_VALUE : body0;
      first = a != null ? a : b != null ? b : c != null ? c : d;
    }

    @Nullable Entry first() {
      return first;
    }
  }

  /** Runs the proxy until a signal, then drains it. */
  static int run(CommandSpec spec, List<Entry> entries, Duration statusInterval) throws Exception {
    for (Entry e : entries) {
      if (e.key().equalsIgnoreCase("event-loops")) {
        // Also the carriers of the virtual threads that serve bodies with blocking I/O: read once,
        // before the first virtual thread starts.
        System.setProperty("jdk.virtualThreadScheduler.parallelism", e.value().strip());
      }
    }
    Built built = build(entries);
    HttpProxy proxy = built.proxy();
    PrintWriter out = spec.commandLine().getOut();
    try {
      proxy.start();
    } catch (Exception e) {
      proxy.close();
      throw e;
    }
    long statusMillis = statusInterval.toMillis();
    try (StopSignals signals = StopSignals.install(() -> {
      out.println("lb proxy: second signal: stopping at once");
      out.flush();
      proxy.close();
    })) {
      out.println("lb proxy: listening on "
          + proxy.listenAddresses().stream().map(Endpoints::format).collect(Collectors.joining(", "))
          + ", mode http, algorithm " + built.algorithm() + ", hash-on " + built.hashOn()
          + (built.check() == null ? ", no health check" : ", check " + built.check())
          + ", " + proxy.pool().backends().size() + " backends"
          + (built.sources().isEmpty() ? "" : " (discovering " + String.join(", ", built.sources().keySet()) + ")")
          + "; SIGTERM or Ctrl-C drains for up to "
          + Durations.format(built.drainTimeout()) + ", a second one stops at once");
      out.flush();
      while (!signals.await(statusMillis > 0 ? statusMillis : 3_600_000)) {
        if (statusMillis > 0) {
          out.println(status(proxy, built.sources()));
          out.flush();
        }
      }
      out.println("lb proxy: " + signals.name() + ": stopped accepting; draining " + proxy.stats().active()
          + " connections for up to " + Durations.format(built.drainTimeout()) + " (a second signal stops at once)");
      out.flush();
      HttpDrainReport r = proxy.drain(built.drainTimeout());
      String counts = r.finished() + " connections finished, " + (r.cut() == 0 ? "none" : r.cut()) + " cut";
      out.println("lb proxy: " + (r.complete()
          ? String.format(Locale.ROOT, "drained in %.1fs: ", r.elapsed().toNanos() / 1e9)
          : "drain timeout " + Durations.format(built.drainTimeout()) + " passed: ") + counts);
      return signals.exitStatus();
    } finally {
      proxy.close();
    }
  }

  static String status(HttpProxy proxy, Map<String, MembershipSource> sources) {
    HttpProxyStats s = proxy.stats();
    StringBuilder sb = new StringBuilder();
    sb.append("connections=").append(s.active()).append(" requests=").append(s.requests()).append(" forwarded=")
        .append(s.forwarded()).append(" client-errors=").append(s.clientErrors()).append(" backend-errors=")
        .append(s.backendErrors()).append(" retries=").append(s.retries()).append(" backend-connects=")
        .append(s.backendConnects()).append(" reuses=").append(s.backendReuses());
    for (BackendState b : proxy.pool().backends()) {
      sb.append(" | ").append(b);
    }
    sources.forEach((name, source) -> sb.append(" | ").append(DiscoveryStatus.describe(name, source)));
    return sb.toString();
  }

  private static String at(Entry e, @Nullable String message) {
    String m = message == null ? "invalid value" : message;
    return e.origin().isEmpty() || e.origin().startsWith("--") ? m : e.origin() + ": " + m;
  }

  /** Builder messages name canonical keys; the user wrote a flag or a file key. */
  private static String renamed(@Nullable String message, Entry e) {
    String m = message == null ? "invalid value" : message;
    String key = e.key().toLowerCase(Locale.ROOT);
    if (!e.name().equals(key) && m.startsWith(key)) {
      return e.name() + m.substring(key.length());
    }
    return m;
  }

  private static Backend backend(Entry e) {
    String id = e.key().substring("backend".length()).strip();
    if (id.isEmpty()) {
      throw new IllegalArgumentException("backend needs an id: 'backend web-1 = 127.0.0.1:8081'");
    }
    String subject = e.name().startsWith("--") ? "" : "backend " + id + " ";
    String[] parts = e.value().trim().split("\\s+");
    InetSocketAddress address = Endpoints.parse(subject.isEmpty() ? "address" : subject.strip(), parts[0]);
    if (address.getAddress().isAnyLocalAddress()) {
      throw new IllegalArgumentException(subject + "needs a host, was '" + parts[0] + "'");
    }
    Backend b = Backend.of(id, address);
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      if (p.startsWith("weight=")) {
        String w = p.substring("weight=".length());
        try {
          b = b.withWeight(Integer.parseInt(w));
        } catch (NumberFormatException ex) {
          throw new IllegalArgumentException(subject + "weight must be a whole number, was '" + w + "'");
        }
      } else {
        throw new IllegalArgumentException(subject + "has an unknown setting '" + p + "'; known: weight=N");
      }
    }
    return b;
  }

  private static Duration duration(Entry e) {
    return Durations.parse(e.name(), e.value());
  }

  private static Duration positiveDuration(Entry e) {
    Duration d = duration(e);
    if (d.isZero()) {
      throw new IllegalArgumentException(e.name() + " must be positive, was " + e.value().strip());
    }
    return d;
  }

  private static int intValue(Entry e) {
    try {
      return Integer.parseInt(e.value().strip());
    } catch (NumberFormatException ex) {
      throw new IllegalArgumentException(at(e, e.name() + " must be a whole number, was '" + e.value() + "'"));
    }
  }

  private static long longValue(Entry e) {
    try {
      return Long.parseLong(e.value().strip());
    } catch (NumberFormatException ex) {
      throw new IllegalArgumentException(at(e, e.name() + " must be a whole number, was '" + e.value() + "'"));
    }
  }

  private static int positiveInt(Entry e) {
    int n = intValue(e);
    if (n < 1) {
      throw new IllegalArgumentException(e.name() + " must be at least 1, was " + n);
    }
    return n;
  }

  private static int nonNegativeInt(Entry e) {
    int n = intValue(e);
    if (n < 0) {
      throw new IllegalArgumentException(e.name() + " must be 0 or more, was " + n);
    }
    return n;
  }

}
