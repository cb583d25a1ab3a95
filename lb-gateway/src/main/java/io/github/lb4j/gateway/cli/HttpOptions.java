package io.github.lb4j.gateway.cli;

import io.github.lb4j.gateway.config.Durations;
import io.github.lb4j.gateway.config.ProxyConfigFile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * The flags of {@code lb proxy --mode http}, a picocli mixin of {@code lb proxy}. Each becomes a
 * configuration entry with the same key as in a file ({@code hash-on = cookie:session}), so flags
 * and file lines meet the same checks in {@link HttpMode}.
 */
final class HttpOptions {

  @Option(names = "--hash-on", paramLabel = "none|source|path|header:NAME|cookie:NAME",
      description = "HTTP mode: what the request key comes from (default none: the algorithm alone decides).")
  @Nullable String hashOn;

  @Option(names = "--max-request-line", paramLabel = "BYTES", description = "HTTP mode: longest request line (default 8192; more is 414).")
  @Nullable Integer maxRequestLine;

  @Option(names = "--max-header-size", paramLabel = "BYTES", description = "HTTP mode: largest header section (default 16384; more is 431).")
  @Nullable Integer maxHeaderSize;

  @Option(names = "--max-headers", paramLabel = "N", description = "HTTP mode: most header fields (default 100; more is 431).")
  @Nullable Integer maxHeaders;

  @Option(names = "--max-body-size", paramLabel = "BYTES", description = "HTTP mode: largest request body (default none; more is 413).")
  @Nullable Long maxBodySize;

  @Option(names = "--header-timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "HTTP mode: time a request head may take (default 10s; then 408).")
  @Nullable Duration headerTimeout;

  @Option(names = "--keepalive-timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "HTTP mode: wait for the next request on a client connection (default 60s).")
  @Nullable Duration keepaliveTimeout;

  @Option(names = "--client-timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "HTTP mode: longest silence within a request body (default 30s; then 408).")
  @Nullable Duration clientTimeout;

  @Option(names = "--backend-timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "HTTP mode: wait for a backend's response, and longest silence in its body (default 30s; then 504).")
  @Nullable Duration backendTimeout;

  @Option(names = "--backend-idle-timeout", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "HTTP mode: how long an idle backend connection is kept for reuse (default 15s).")
  @Nullable Duration backendIdleTimeout;

  @Option(names = "--max-connections", paramLabel = "N", description = "HTTP mode: client connections at once (default 10000).")
  @Nullable Integer maxConnections;

  @Option(names = "--max-per-backend", paramLabel = "N", description = "HTTP mode: requests in flight per backend (default none; more go elsewhere or get 503).")
  @Nullable Integer maxPerBackend;

  @Option(names = "--max-idle-per-backend", paramLabel = "N", description = "HTTP mode: idle keep-alive connections kept per backend (default 64).")
  @Nullable Integer maxIdlePerBackend;

  @Option(names = "--max-requests-per-connection", paramLabel = "N", description = "HTTP mode: requests per client connection, then close (default 0: no limit).")
  @Nullable Integer maxRequestsPerConnection;

  @Option(names = "--forwarded-headers", paramLabel = "both|x-forwarded-for|forwarded|none",
      description = "HTTP mode: client headers added to requests (default both).")
  @Nullable String forwardedHeaders;

  @Option(names = "--via", paramLabel = "NAME", description = "HTTP mode: add 'Via: 1.1 NAME' (default none).")
  @Nullable String via;

  @Option(names = "--outlier-failures", paramLabel = "N",
      description = "HTTP mode: consecutive failures (5xx, resets, timeouts) that eject a backend for 30s (default 5; 0: off).")
  @Nullable Integer outlierFailures;

  /** The flags given, as entries. */
  List<ProxyConfigFile.Entry> entries() {
    List<ProxyConfigFile.Entry> out = new ArrayList<>();
    add(out, "hash-on", hashOn);
    add(out, "max-request-line", maxRequestLine);
    add(out, "max-header-size", maxHeaderSize);
    add(out, "max-headers", maxHeaders);
    add(out, "max-body-size", maxBodySize);
    add(out, "header-timeout", headerTimeout);
    add(out, "keepalive-timeout", keepaliveTimeout);
    add(out, "client-timeout", clientTimeout);
    add(out, "backend-timeout", backendTimeout);
    add(out, "backend-idle-timeout", backendIdleTimeout);
    add(out, "max-connections", maxConnections);
    add(out, "max-per-backend", maxPerBackend);
    add(out, "max-idle-per-backend", maxIdlePerBackend);
    add(out, "max-requests-per-connection", maxRequestsPerConnection);
    add(out, "forwarded-headers", forwardedHeaders);
    add(out, "via", via);
    add(out, "outlier-failures", outlierFailures);
    return out;
  }

  private static void add(List<ProxyConfigFile.Entry> out, String key, @Nullable Object value) {
    if (value != null) {
      String text = value instanceof Duration d ? Durations.format(d) : value.toString();
      out.add(ProxyConfigFile.Entry.fromFlag(key, text, "--" + key));
    }
  }
}
