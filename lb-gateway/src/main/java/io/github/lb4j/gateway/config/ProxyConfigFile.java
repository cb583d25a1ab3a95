package io.github.lb4j.gateway.config;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.NoBackendPolicy;
import io.github.lb4j.gateway.proxy.HealthCheckSpec;
import io.github.lb4j.gateway.proxy.ProxyProtocol;
import io.github.lb4j.gateway.proxy.ProxyServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The configuration file of {@code lb proxy}, and the one place where its settings are checked: the
 * command-line flags are turned into the same entries, so a flag and a file line give the same
 * error for the same mistake.
 *
 * <p>The format is {@code key = value}, one per line, {@code #} starts a comment, blank lines are
 * ignored; {@code listen} and {@code backend} may repeat, for other keys the last one wins. The keys
 * follow HAProxy's vocabulary where it has one:
 *
 * <pre>
 * listen = 127.0.0.1:8080, [::1]:8080
 * backend web-1 = 127.0.0.1:8081 weight=3
 * backend web-2 = 127.0.0.1:8082
 * algorithm = maglev
 * algorithm.table-size = 65537      # an option of the algorithm
 * slow-start = 10s
 * check = http                      # or none
 * check.path = /health              # an option of the checker
 * check.interval = 2s
 * check.timeout = 1s
 * check.rise = 2
 * check.fall = 3
 * connect-timeout = 5s
 * connect-attempts = 3
 * idle-timeout = 5m                 # 0s: never
 * drain-timeout = 30s               # on SIGTERM: how long open connections may finish
 * proxy-protocol = v2               # none, v1 or v2
 * no-backend = fail-closed          # or fail-open
 * seed = 42
 * event-loops = 2
 * buffer-size = 32768
 * backlog = 4096
 * </pre>
 *
 * <p>Stateless; any thread may call it. Loading reads the file and may resolve host names.
 */
public final class ProxyConfigFile {

  /**
   * One setting and where it came from.
   *
   * @param key the key, for example {@code backend web-1} or {@code check.path}
   * @param value the value, trimmed
   * @param origin where it was written, for example {@code lb.conf:7} or {@code --algorithm}, named in errors
   */
  public record Entry(String key, String value, String origin) {

    /**
     * Validates the fields.
     *
     * @param key the key
     * @param value the value
     * @param origin the origin
     */
    public Entry {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      Objects.requireNonNull(origin, "origin");
    }
  }

  private static final List<String> SCALAR_KEYS = List.of("algorithm", "slow-start", "seed", "no-backend", "check",
      "check.interval", "check.timeout", "check.rise", "check.fall", "connect-timeout", "connect-attempts",
      "idle-timeout", "drain-timeout", "proxy-protocol", "event-loops", "buffer-size", "backlog");

  private ProxyConfigFile() {}

  /**
   * Reads a configuration file into a builder.
   *
   * @param file the file
   * @return a builder holding the file's settings
   * @throws IOException when the file cannot be read; a missing file's message names it
   * @throws IllegalArgumentException whose message starts with {@code file:line:} for a bad line
   */
  public static ProxyServer.Builder load(Path file) throws IOException {
    return apply(read(file), ProxyServer.builder());
  }

  /**
   * Reads a configuration file into entries, without checking them.
   *
   * @param file the file
   * @return the entries, in file order
   * @throws IOException when the file cannot be read
   * @throws IllegalArgumentException naming the line when one is not {@code key = value}
   */
  public static List<Entry> read(Path file) throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "configuration file not found");
    }
    return parse(lines, file.getFileName() == null ? file.toString() : file.getFileName().toString());
  }

  /**
   * Splits lines of text into entries.
   *
   * @param lines the lines
   * @param source the name used in errors, for example the file name
   * @return the entries
   * @throws IllegalArgumentException naming {@code source:line} when a line is not {@code key = value}
   */
  public static List<Entry> parse(List<String> lines, String source) {
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int hash = line.indexOf('#');
      if (hash >= 0) {
        line = line.substring(0, hash);
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      String origin = source + ":" + (i + 1);
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(origin + ": expected 'key = value', was '" + line + "'");
      }
      String key = line.substring(0, eq).strip().replaceAll("\\s+", " ");
      String value = line.substring(eq + 1).strip();
      if (value.isEmpty()) {
        throw new IllegalArgumentException(origin + ": " + key + " has no value");
      }
      out.add(new Entry(key, value, origin));
    }
    return out;
  }

  /**
   * Applies entries to a builder. Every value is checked here; the error names the entry's origin.
   *
   * @param entries the entries, later ones overriding earlier ones for single-valued keys
   * @param builder the builder to fill
   * @return the builder
   * @throws IllegalArgumentException whose message starts with the origin of the bad entry
   */
  public static ProxyServer.Builder apply(List<Entry> entries, ProxyServer.Builder builder) {
    Map<String, Entry> last = new LinkedHashMap<>();
    Map<String, Entry> checkOptions = new LinkedHashMap<>();
    for (Entry e : entries) {
      String key = e.key().toLowerCase(Locale.ROOT);
      try {
        if (key.equals("listen")) {
          for (String part : e.value().split(",")) {
            if (!part.isBlank()) {
              builder.listen(Endpoints.parse("listen", part));
            }
          }
        } else if (key.startsWith("backend ") || key.equals("backend")) {
          builder.backend(backend(e.key().substring("backend".length()).strip(), e.value()));
        } else if (key.startsWith("algorithm.")) {
          builder.schedulerOption(e.key().substring("algorithm.".length()), e.value());
        } else if (SCALAR_KEYS.contains(key)) {
          last.put(key, e);
        } else if (key.startsWith("check.")) {
          checkOptions.put(e.key().substring("check.".length()), e);
        } else {
          throw new IllegalArgumentException("unknown key '" + e.key() + "'; known: listen, backend ID, algorithm, "
              + "algorithm.OPTION, " + String.join(", ", SCALAR_KEYS.subList(1, SCALAR_KEYS.size())) + ", check.OPTION");
        }
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(e.origin() + ": " + ex.getMessage(), ex);
      }
    }
    for (Entry e : last.values()) {
      try {
        scalar(e, builder);
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(e.origin() + ": " + ex.getMessage(), ex);
      }
    }
    Entry check = last.get("check");
    if (check != null && !check.value().equalsIgnoreCase("none")) {
      Duration interval = HealthCheckSpec.DEFAULT_INTERVAL;
      Entry intervalEntry = last.get("check.interval");
      Entry timeoutEntry = last.get("check.timeout");
      Entry at = check;
      try {
        if (intervalEntry != null) {
          at = intervalEntry;
          interval = Durations.parse("check.interval", intervalEntry.value());
        }
        Duration timeout = interval.dividedBy(2);
        if (timeoutEntry != null) {
          at = timeoutEntry;
          timeout = Durations.parse("check.timeout", timeoutEntry.value());
        }
        at = last.getOrDefault("check.rise", check);
        int rise = integer(last.get("check.rise"), "check.rise", HealthCheckSpec.DEFAULT_RISE);
        at = last.getOrDefault("check.fall", check);
        int fall = integer(last.get("check.fall"), "check.fall", HealthCheckSpec.DEFAULT_FALL);
        at = timeoutEntry != null ? timeoutEntry : check;
        Map<String, String> options = new LinkedHashMap<>();
        checkOptions.forEach((k, v) -> options.put(k, v.value()));
        builder.healthCheck(new HealthCheckSpec(check.value(), options, interval, timeout, rise, fall));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(at.origin() + ": " + ex.getMessage(), ex);
      }
    } else if (!checkOptions.isEmpty()) {
      Entry first = checkOptions.values().iterator().next();
      throw new IllegalArgumentException(first.origin() + ": " + first.key()
          + " is set but no check is: add 'check = tcp' (or another checker)");
    } else {
      for (String k : List.of("check.interval", "check.timeout", "check.rise", "check.fall")) {
        Entry e = last.get(k);
        if (e != null) {
          throw new IllegalArgumentException(e.origin() + ": " + k + " is set but no check is: add 'check = tcp' (or another checker)");
        }
      }
    }
    return builder;
  }

  private static void scalar(Entry e, ProxyServer.Builder b) {
    String v = e.value();
    switch (e.key().toLowerCase(Locale.ROOT)) {
      case "algorithm" -> b.algorithm(v);
      case "slow-start" -> b.slowStart(Durations.parse("slow-start", v));
      case "seed" -> b.seed(longValue("seed", v));
      case "no-backend" -> b.noBackendPolicy(switch (v.toLowerCase(Locale.ROOT)) {
        case "fail-closed" -> NoBackendPolicy.FAIL_CLOSED;
        case "fail-open" -> NoBackendPolicy.FAIL_OPEN;
        default -> throw new IllegalArgumentException("no-backend must be fail-closed or fail-open, was '" + v + "'");
      });
      case "connect-timeout" -> b.connectTimeout(Durations.parse("connect-timeout", v));
      case "connect-attempts" -> b.connectAttempts(integer(e, "connect-attempts", 0));
      case "idle-timeout" -> b.idleTimeout(Durations.parse("idle-timeout", v));
      case "drain-timeout" -> b.drainTimeout(Durations.parse("drain-timeout", v));
      case "proxy-protocol" -> b.proxyProtocol(ProxyProtocol.parse(v));
      case "event-loops" -> b.eventLoops(integer(e, "event-loops", 0));
      case "buffer-size" -> b.bufferSize(integer(e, "buffer-size", 0));
      case "backlog" -> b.backlog(integer(e, "backlog", 0));
      default -> {
        // check and check.* are assembled into one HealthCheckSpec by the caller.
      }
    }
  }

  /**
   * Parses a backend written as {@code host:port [weight=N]} under the id that follows the word
   * {@code backend}.
   */
  private static Backend backend(String id, String value) {
    if (id.isEmpty()) {
      throw new IllegalArgumentException("backend needs an id: 'backend web-1 = 127.0.0.1:8081'");
    }
    String[] parts = value.trim().split("\\s+");
    InetSocketAddress address = Endpoints.parse("backend " + id, parts[0]);
    if (address.getAddress().isAnyLocalAddress()) {
      throw new IllegalArgumentException("backend " + id + " needs a host, was '" + parts[0] + "'");
    }
    Backend b = Backend.of(id, address);
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      if (p.startsWith("weight=")) {
        b = b.withWeight(intValue("backend " + id + " weight", p.substring("weight=".length())));
      } else {
        throw new IllegalArgumentException("backend " + id + " has an unknown setting '" + p + "'; known: weight=N");
      }
    }
    return b;
  }

  private static int integer(@Nullable Entry e, String field, int fallback) {
    return e == null ? fallback : intValue(field, e.value());
  }

  private static int intValue(String field, String text) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException ex) {
      throw new IllegalArgumentException(field + " must be a whole number, was '" + text + "'");
    }
  }

  private static long longValue(String field, String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException ex) {
      throw new IllegalArgumentException(field + " must be a whole number, was '" + text + "'");
    }
  }
}
