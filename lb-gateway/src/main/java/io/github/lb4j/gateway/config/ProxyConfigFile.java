package io.github.lb4j.gateway.config;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.NoBackendPolicy;
import io.github.lb4j.discovery.Discovery;
import io.github.lb4j.gateway.proxy.HealthCheckSpec;
import io.github.lb4j.gateway.proxy.ProxyProtocol;
import io.github.lb4j.gateway.proxy.ProxyServer;
import io.github.lb4j.pool.MembershipSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
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
 * command-line flags are turned into the same entries, so a flag and a file line meet the same
 * checks, and each error names the setting as the user wrote it: {@code lb.conf:7: slow-start must
 * be ...} for a file line, {@code --slow-start must be ...} for a flag.
 *
 * <p>The format is UTF-8 text, {@code key = value}, one per line; blank lines are ignored; {@code
 * listen}, {@code backend}, {@code discover} and {@code dns-server} may repeat, for other keys the last one wins. A {@code #} starts a
 * comment when it begins the line or follows a space or a tab; anywhere else it is part of the value
 * ({@code check.path = /status#x}), and {@code \#} writes a {@code #} that follows a space ({@code
 * check.contains = build \#42}). The keys follow HAProxy's vocabulary where it has one:
 *
 * <pre>
 * listen = 127.0.0.1:8080, [::1]:8080
 * backend web-1 = 127.0.0.1:8081 weight=3
 * backend web-2 = 127.0.0.1:8082
 * discover = srv:_http._tcp.example.test   # or dns:NAME:PORT, file:PATH; repeatable, with or instead of backends
 * dns-server = 127.0.0.1:53          # the DNS servers discover asks (default: /etc/resolv.conf's)
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
   * @param key the canonical key, for example {@code backend web-1} or {@code check.path}
   * @param value the value, trimmed
   * @param origin what an error starts with: {@code lb.conf:7} for a file line, the flag and its
   *     value for a {@code --backend}, empty for other flags (their name starts the message)
   * @param name the setting as the user wrote it, used in messages: {@code check.interval} in a
   *     file, {@code --check-interval} as a flag
   */
  public record Entry(String key, String value, String origin, String name) {

    /**
     * Validates the fields.
     *
     * @param key the key
     * @param value the value
     * @param origin the origin
     * @param name the name
     */
    public Entry {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      Objects.requireNonNull(origin, "origin");
      Objects.requireNonNull(name, "name");
    }

    /**
     * An entry from a file line, named by its key.
     *
     * @param key the key as written
     * @param value the value
     * @param origin {@code file:line}
     * @return the entry
     */
    public static Entry fromFile(String key, String value, String origin) {
      return new Entry(key, value, origin, key);
    }

    /**
     * An entry from a command-line flag.
     *
     * @param key the canonical key
     * @param value the value
     * @param flag the flag, for example {@code --slow-start}
     * @return the entry
     */
    public static Entry fromFlag(String key, String value, String flag) {
      return new Entry(key, value, "", flag);
    }

    /** Prefixes a message with the origin, when there is one. */
    String at(String message) {
      return origin.isEmpty() ? message : origin + ": " + message;
    }
  }

  /** The flag of each single-valued key, for messages about a flag that name another setting. */
  private static final Map<String, String> FLAGS = Map.of("check.interval", "--check-interval",
      "check.timeout", "--check-timeout", "check.rise", "--rise", "check.fall", "--fall");

  private static final List<String> SCALAR_KEYS = List.of("algorithm", "slow-start", "seed", "no-backend", "check",
      "check.interval", "check.timeout", "check.rise", "check.fall", "connect-timeout", "connect-attempts",
      "idle-timeout", "drain-timeout", "proxy-protocol", "event-loops", "buffer-size", "backlog");

  private ProxyConfigFile() {}

  /**
   * Reads a configuration file into a builder.
   *
   * @param file the file
   * @return a builder holding the file's settings
   * @throws IllegalArgumentException whose message starts with the file's name (and line) when the
   *     file cannot be read (missing, a directory, not UTF-8) or a line is wrong
   */
  public static ProxyServer.Builder load(Path file) {
    return apply(read(file), ProxyServer.builder());
  }

  /**
   * Reads a configuration file into entries, without checking their values.
   *
   * @param file the file, named in errors as given
   * @return the entries, in file order
   * @throws IllegalArgumentException naming the file when it is missing, a directory, unreadable or
   *     not UTF-8 text (with the line and column of the first bad byte), or naming the line when one
   *     is not {@code key = value}
   */
  public static List<Entry> read(Path file) {
    String name = file.toString();
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException(name + ": is a directory, not a configuration file");
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(name + ": no such configuration file");
    } catch (AccessDeniedException e) {
      throw new IllegalArgumentException(name + ": cannot be read: permission denied");
    } catch (IOException e) {
      throw new IllegalArgumentException(name + ": cannot be read: " + e.getMessage());
    }
    return parse(decodeLines(bytes, name), name);
  }

  /** Splits UTF-8 bytes into lines, naming the line and column of the first byte that is not UTF-8. */
  private static List<String> decodeLines(byte[] bytes, String name) {
    List<String> lines = new ArrayList<>();
    int start = bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB && (bytes[2] & 0xFF) == 0xBF ? 3 : 0;
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    while (start <= bytes.length) {
      int end = start;
      while (end < bytes.length && bytes[end] != '\n') {
        end++;
      }
      if (start == bytes.length && end == start) {
        break;
      }
      try {
        lines.add(utf8.decode(ByteBuffer.wrap(bytes, start, end - start)).toString());
      } catch (CharacterCodingException e) {
        int column = firstBadByte(bytes, start, end);
        throw new IllegalArgumentException(name + ":" + (lines.size() + 1) + ": not UTF-8 text (byte 0x"
            + String.format(Locale.ROOT, "%02X", bytes[start + column] & 0xFF) + " at column " + (column + 1) + ")");
      }
      start = end + 1;
    }
    return lines;
  }

  private static int firstBadByte(byte[] bytes, int start, int end) {
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    for (int n = 1; n <= end - start; n++) {
      try {
        utf8.reset().decode(ByteBuffer.wrap(bytes, start, n));
      } catch (CharacterCodingException e) {
        // The prefix ending here is bad: either this byte, or a sequence that began earlier.
        for (int back = n - 1; back >= Math.max(0, n - 4); back--) {
          try {
            utf8.reset().decode(ByteBuffer.wrap(bytes, start, back));
            return back;
          } catch (CharacterCodingException stillBad) {
            // keep looking for the longest good prefix
          }
        }
        return n - 1;
      }
    }
    return end - start - 1;
  }

  /**
   * Splits lines of text into entries.
   *
   * @param lines the lines
   * @param source the name used in errors, for example the file's path
   * @return the entries
   * @throws IllegalArgumentException naming {@code source:line} when a line is not {@code key = value}
   */
  public static List<Entry> parse(List<String> lines, String source) {
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String origin = source + ":" + (i + 1);
      String line = withoutComment(lines.get(i)).strip();
      if (line.isEmpty()) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(origin + ": expected 'key = value', was '" + line + "'");
      }
      String key = line.substring(0, eq).strip().replaceAll("\\s+", " ");
      String value = line.substring(eq + 1).strip();
      if (value.isEmpty()) {
        throw new IllegalArgumentException(origin + ": " + key + " has no value");
      }
      out.add(Entry.fromFile(key, value, origin));
    }
    return out;
  }

  /**
   * Cuts a comment off a line: a {@code #} at the start or after a space or tab begins one; {@code
   * \#} is a literal {@code #}.
   */
  static String withoutComment(String line) {
    StringBuilder sb = new StringBuilder(line.length());
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\' && i + 1 < line.length() && line.charAt(i + 1) == '#') {
        sb.append('#');
        i++;
      } else if (c == '#' && (i == 0 || line.charAt(i - 1) == ' ' || line.charAt(i - 1) == '\t')) {
        break;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * Applies entries to a builder. Every value is checked here; the error names the entry's origin
   * and the setting as the user wrote it.
   *
   * @param entries the entries, later ones overriding earlier ones for single-valued keys
   * @param builder the builder to fill
   * @return the builder
   * @throws IllegalArgumentException whose message starts with the origin of the bad entry, or with
   *     the flag's name
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
              builder.listen(Endpoints.parse(e.name(), part));
            }
          }
        } else if (key.startsWith("backend ") || key.equals("backend")) {
          builder.backend(backend(e));
        } else if (key.equals("discover") || key.equals("dns-server")) {
          continue;
        } else if (key.startsWith("algorithm.")) {
          builder.schedulerOption(e.key().substring("algorithm.".length()), e.value());
        } else if (SCALAR_KEYS.contains(key)) {
          last.put(key, e);
        } else if (key.startsWith("check.")) {
          checkOptions.put(e.key().substring("check.".length()), e);
        } else {
          throw new IllegalArgumentException("unknown key '" + e.key() + "'; known: listen, backend ID, discover, dns-server, algorithm, "
              + "algorithm.OPTION, " + String.join(", ", SCALAR_KEYS.subList(1, SCALAR_KEYS.size())) + ", check.OPTION");
        }
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(e.at(ex.getMessage()), ex);
      }
    }
    membershipSources(entries).forEach(builder::membership);
    for (Entry e : last.values()) {
      try {
        scalar(e, builder);
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(e.at(renamed(ex.getMessage(), last, e)), ex);
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
          interval = Durations.parse(intervalEntry.name(), intervalEntry.value());
        }
        Duration timeout = interval.dividedBy(2);
        if (timeoutEntry != null) {
          at = timeoutEntry;
          timeout = Durations.parse(timeoutEntry.name(), timeoutEntry.value());
        }
        at = last.getOrDefault("check.rise", check);
        int rise = integer(last.get("check.rise"), HealthCheckSpec.DEFAULT_RISE);
        at = last.getOrDefault("check.fall", check);
        int fall = integer(last.get("check.fall"), HealthCheckSpec.DEFAULT_FALL);
        at = timeoutEntry != null ? timeoutEntry : check;
        Map<String, String> options = new LinkedHashMap<>();
        checkOptions.forEach((k, v) -> options.put(k, v.value()));
        builder.healthCheck(new HealthCheckSpec(check.value(), options, interval, timeout, rise, fall));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(at.at(renamed(ex.getMessage(), last, at)), ex);
      }
    } else if (!checkOptions.isEmpty()) {
      Entry first = checkOptions.values().iterator().next();
      throw new IllegalArgumentException(first.at(noCheck(first)));
    } else {
      for (String k : List.of("check.interval", "check.timeout", "check.rise", "check.fall")) {
        Entry e = last.get(k);
        if (e != null) {
          throw new IllegalArgumentException(e.at(noCheck(e)));
        }
      }
    }
    return builder;
  }

  /**
   * Builds the membership sources of the {@code discover} entries, their DNS queries sent to the
   * {@code dns-server} entries' servers (a server without a port is on 53), named by their specs.
   *
   * @param entries every entry; the others are ignored
   * @return the sources by spec, in entry order, none started
   * @throws IllegalArgumentException naming the entry: a malformed spec (with what is expected), a
   *     bad file source (its file and line), a bad server, a server given with no DNS source, or a
   *     spec given twice
   */
  public static Map<String, MembershipSource> membershipSources(List<Entry> entries) {
    List<InetSocketAddress> servers = new ArrayList<>();
    Entry firstServer = null;
    for (Entry e : entries) {
      if (e.key().equalsIgnoreCase("dns-server")) {
        firstServer = firstServer == null ? e : firstServer;
        for (String part : e.value().split(",")) {
          String t = part.strip();
          if (t.isEmpty()) {
            continue;
          }
          boolean noPort = t.indexOf(':') < 0 || (t.startsWith("[") && t.endsWith("]"));
          try {
            InetSocketAddress a = Endpoints.parse(e.name(), noPort ? t + ":53" : t);
            if (a.getAddress().isAnyLocalAddress() || a.getPort() == 0) {
              throw new IllegalArgumentException(e.name() + " needs an address and a port, was '" + t + "'");
            }
            servers.add(a);
          } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(e.at(ex.getMessage()), ex);
          }
        }
      }
    }
    Map<String, MembershipSource> out = new LinkedHashMap<>();
    boolean asksDns = false;
    try {
      for (Entry e : entries) {
        if (!e.key().equalsIgnoreCase("discover")) {
          continue;
        }
        String spec = e.value().strip();
        if (out.containsKey(spec)) {
          throw new IllegalArgumentException(e.at(e.name() + " " + spec + " is given twice"));
        }
        try {
          out.put(spec, Discovery.parse(spec, servers));
        } catch (IllegalArgumentException | java.io.UncheckedIOException ex) {
          throw new IllegalArgumentException(e.at(e.name() + ": " + ex.getMessage()), ex);
        }
        asksDns |= !spec.regionMatches(true, 0, "file:", 0, 5);
      }
      if (firstServer != null && !asksDns) {
        throw new IllegalArgumentException(firstServer.at(firstServer.name() + " is set but no DNS source is: add "
            + (firstServer.origin().isEmpty() ? "--discover srv:NAME" : "'discover = srv:NAME'") + " (or dns:NAME:PORT)"));
      }
    } catch (RuntimeException ex) {
      out.values().forEach(MembershipSource::close);
      throw ex;
    }
    return out;
  }

  private static String noCheck(Entry e) {
    boolean flag = e.origin().isEmpty() || e.origin().startsWith("--");
    return e.name() + " is set but no check is: " + (flag ? "add --check tcp" : "add 'check = tcp'") + " (or another checker)";
  }

  /**
   * Rewrites the canonical keys a message names (the builder's and the health check's messages use
   * them) into the names the user wrote, so that an error about a flag speaks of the flag.
   */
  private static String renamed(@Nullable String message, Map<String, Entry> byKey, Entry failed) {
    String m = message == null ? "invalid value" : message;
    boolean flag = failed.name().startsWith("--");
    for (String key : SCALAR_KEYS) {
      Entry e = byKey.get(key);
      String name = e != null ? e.name() : flag ? FLAGS.getOrDefault(key, "--" + key) : key;
      if (!key.equals(name)) {
        m = m.replaceAll("(?<![\\w.-])" + java.util.regex.Pattern.quote(key) + "(?![\\w.-])",
            java.util.regex.Matcher.quoteReplacement(name));
      }
    }
    return m;
  }

  private static void scalar(Entry e, ProxyServer.Builder b) {
    String v = e.value();
    String n = e.name();
    switch (e.key().toLowerCase(Locale.ROOT)) {
      case "algorithm" -> b.algorithm(v);
      case "slow-start" -> b.slowStart(Durations.parse(n, v));
      case "seed" -> b.seed(longValue(n, v));
      case "no-backend" -> b.noBackendPolicy(noBackendPolicy(n, v));
      case "connect-timeout" -> b.connectTimeout(Durations.parse(n, v));
      case "connect-attempts" -> b.connectAttempts(intValue(n, v));
      case "idle-timeout" -> b.idleTimeout(Durations.parse(n, v));
      case "drain-timeout" -> b.drainTimeout(Durations.parse(n, v));
      case "proxy-protocol" -> b.proxyProtocol(proxyProtocol(n, v));
      case "event-loops" -> b.eventLoops(intValue(n, v));
      case "buffer-size" -> b.bufferSize(intValue(n, v));
      case "backlog" -> b.backlog(intValue(n, v));
      default -> {
        // check and check.* are assembled into one HealthCheckSpec by the caller.
      }
    }
  }

  /**
   * Parses {@code fail-closed} or {@code fail-open}.
   *
   * @param name the setting as written, for the error
   * @param text the value
   * @return the policy
   */
  public static NoBackendPolicy noBackendPolicy(String name, String text) {
    return switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "fail-closed" -> NoBackendPolicy.FAIL_CLOSED;
      case "fail-open" -> NoBackendPolicy.FAIL_OPEN;
      default -> throw new IllegalArgumentException(name + " must be fail-closed or fail-open, was '" + text + "'");
    };
  }

  /**
   * Parses {@code none}, {@code v1} or {@code v2}.
   *
   * @param name the setting as written, for the error
   * @param text the value
   * @return the version
   */
  public static ProxyProtocol proxyProtocol(String name, String text) {
    try {
      return ProxyProtocol.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " must be none, v1 or v2, was '" + text + "'", e);
    }
  }

  /**
   * Parses a backend: {@code host:port [weight=N]} under the id that follows the word {@code
   * backend}. A file line names the backend in its errors ({@code backend web-1 port must be ...});
   * a flag's error starts with the flag as given.
   */
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
        b = b.withWeight(intValue(subject + "weight", p.substring("weight=".length())));
      } else {
        throw new IllegalArgumentException(subject + "has an unknown setting '" + p + "'; known: weight=N");
      }
    }
    return b;
  }

  private static int integer(@Nullable Entry e, int fallback) {
    return e == null ? fallback : intValue(e.name(), e.value());
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
