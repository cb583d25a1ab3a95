package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthChecker;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Registers [http] (seed S2.4): one HTTP/1.1 request, the status checked against a set of codes.
 *
 * <p>Stateless and thread-safe; {@code create} allocates the checker (which joins the shared check
 * loop) and never blocks on the network.
 */
public final class HttpProvider extends BaseProvider {

  static final Set<String> HTTP_OPTIONS = Set.of("method", "path", "host", "expect-status", "tls", "sni", "trust");
  static final int DEFAULT_MAX_BODY = 64 * 1024;

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public HttpProvider() {
    super("http", "HTTP/1.1 status: request a path, expect a status set such as 200-299,302 (S2.4)", HTTP_OPTIONS);
  }

  @Override
  HealthChecker create(Options o) {
    return build(name(), o, false);
  }

  static Set<String> contentOptions() {
    Set<String> s = new HashSet<>(HTTP_OPTIONS);
    s.addAll(Set.of("contains", "regex", "negate", "max-body-bytes"));
    return s;
  }

  static HealthChecker build(String name, Options o, boolean content) {
    String method = o.string("method", "GET").trim().toUpperCase(Locale.ROOT);
    if (!method.matches("[A-Z]{1,16}")) {
      throw o.bad("method", method, "an HTTP method token such as GET or HEAD");
    }
    String path = o.string("path", "/");
    if (!(path.startsWith("/") || path.equals("*")) || !path.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw o.bad("path", path, "a request target starting with '/' without spaces or control characters");
    }
    String host = o.get("host");
    if (host != null && (host.isBlank() || !host.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
      throw o.bad("host", host, "a Host header value without spaces or control characters");
    }
    StatusSet statuses = StatusSet.parse(o, "expect-status", "200");
    boolean useTls = o.bool("tls", false);
    if (!useTls && (o.get("sni") != null || o.get("trust") != null)) {
      throw new IllegalArgumentException(name + ": options 'sni' and 'trust' need tls=true");
    }
    TlsSettings tls = useTls ? TlsSettings.of(o, host == null ? null : stripPort(host)) : null;
    String contains = null;
    Pattern regex = null;
    boolean negate = false;
    int maxBody = DEFAULT_MAX_BODY;
    if (content) {
      contains = o.get("contains");
      regex = o.regex("regex");
      if ((contains == null) == (regex == null)) {
        throw new IllegalArgumentException(name + ": exactly one of the options 'contains' and 'regex' is required");
      }
      if (contains != null && contains.isEmpty()) {
        throw o.bad("contains", contains, "a non-empty string");
      }
      negate = o.bool("negate", false);
      maxBody = o.integer("max-body-bytes", DEFAULT_MAX_BODY, 1, 16 * 1024 * 1024);
    }
    return new HttpChecker(name, method, path, host, statuses, tls, contains, regex, negate, maxBody);
  }

  private static @Nullable String stripPort(String host) {
    if (host.startsWith("[")) {
      return null;
    }
    int colon = host.indexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }
}
