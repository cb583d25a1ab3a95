package io.github.lb4j.grpc;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.health.HealthMonitor;
import io.github.lb4j.health.OutlierDetector;
import io.github.lb4j.pool.BackendPool;
import io.grpc.Metadata;
import io.grpc.Status;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The {@code lb4j} policy's configuration, parsed from the JSON object the service config gives
 * under the policy's name (gRPC's {@code loadBalancingConfig}). Field names follow the service
 * config's lowerCamelCase; durations are protobuf JSON durations ({@code "2.5s"}); the outlier
 * settings use the names of gRPC's own {@code outlier_detection_experimental} policy (gRFC A50) and
 * add Envoy's {@code consecutiveFailures}.
 *
 * <p>Parsing is strict: an unknown field, a value of the wrong type or out of range, an unknown
 * scheduler or health-check method is an error that names the field and the accepted values, so a
 * typo never silently turns a feature off. Two configurations are equal when every setting is, which
 * is how the balancer decides whether a new service config needs a new pool.
 *
 * <p>Immutable; any thread. Parsing allocates and loads the scheduler and checker registries (control
 * plane only); never blocks.
 */
record PolicyConfig(
    String scheduler,
    Map<String, String> schedulerOptions,
    @Nullable Long seed,
    Duration slowStart,
    @Nullable String requestKeyHeader,
    @Nullable HealthCheck healthCheck,
    @Nullable Outlier outlierDetection,
    Set<Status.Code> failureStatusCodes,
    int maxRequestsPerBackend,
    int maxRequests,
    double retryBudgetPercent,
    int retryBudgetMinConcurrency) {

  /**
   * The status codes that count as the backend's failure by default: those Envoy maps to a 5xx
   * (source/common/grpc/status.cc, {@code grpcToHttpStatus}), which Envoy's outlier detection
   * counts. Every other code means the backend answered.
   */
  static final Set<Status.Code> DEFAULT_FAILURE_CODES = Set.copyOf(EnumSet.of(Status.Code.UNKNOWN,
      Status.Code.DEADLINE_EXCEEDED, Status.Code.UNIMPLEMENTED, Status.Code.INTERNAL, Status.Code.UNAVAILABLE,
      Status.Code.DATA_LOSS));

  /** The configuration of an empty JSON object. */
  static final PolicyConfig DEFAULT = new PolicyConfig("round-robin", Map.of(), null, Duration.ZERO, null, null, null,
      DEFAULT_FAILURE_CODES, Integer.MAX_VALUE, 1024, 20.0, 3);

  private static final List<String> FIELDS = List.of("scheduler", "schedulerOptions", "seed", "slowStart",
      "requestKeyHeader", "healthCheck", "outlierDetection", "failureStatusCodes", "maxRequestsPerBackend",
      "maxRequests", "retryBudget");

  /**
   * Active health checks: an lb-health method by name with its options, and the monitor's timing.
   *
   * @param method the registry name, for example {@code "tcp"} or {@code "http"}
   * @param options the method's options
   * @param interval time between checks
   * @param timeout one check's deadline
   * @param rise passes that bring a backend up
   * @param fall failures that take it down
   * @param healthyUntilChecked whether a backend serves before its checks decide
   */
  record HealthCheck(String method, Map<String, String> options, @Nullable Duration interval,
      @Nullable Duration timeout, int rise, int fall, boolean healthyUntilChecked) {

    void apply(HealthMonitor.Builder b) {
      Duration i = interval;
      if (i != null) {
        b.interval(i);
      }
      Duration t = timeout;
      if (t != null) {
        b.timeout(t);
      }
      if (rise > 0) {
        b.rise(rise);
      }
      if (fall > 0) {
        b.fall(fall);
      }
    }
  }

  /**
   * Outlier detection. Each algorithm runs only when configured, as in gRFC A50: {@code
   * consecutiveFailures} (Envoy's {@code consecutive_5xx}), {@code successRateEjection}, {@code
   * failurePercentageEjection}.
   *
   * @param settings the validated settings, applied in order to lb-health's builder
   */
  record Outlier(Map<String, Object> settings) {

    void apply(OutlierDetector.Builder b) {
      // gRFC A50: an algorithm is off unless its settings are present.
      b.enforcing(OutlierDetector.EjectionType.CONSECUTIVE_5XX, 0);
      b.enforcingSuccessRate(0);
      b.enforcingFailurePercentage(0);
      for (Map.Entry<String, Object> e : settings.entrySet()) {
        Object v = e.getValue();
        switch (e.getKey()) {
          case "interval" -> b.interval((Duration) v);
          case "baseEjectionTime" -> b.baseEjectionTime((Duration) v);
          case "maxEjectionTime" -> b.maxEjectionTime((Duration) v);
          case "maxEjectionPercent" -> b.maxEjectionPercent((Integer) v);
          case "consecutiveFailures" -> {
            b.consecutiveFailures((Integer) v);
            b.enforcing(OutlierDetector.EjectionType.CONSECUTIVE_5XX, 100);
          }
          case "successRateEjection.stdevFactor" -> b.successRateStdevFactor((Integer) v / 1000.0);
          case "successRateEjection.enforcementPercentage" -> b.enforcingSuccessRate((Integer) v);
          case "successRateEjection.minimumHosts" -> b.successRateMinimumHosts((Integer) v);
          case "successRateEjection.requestVolume" -> b.successRateRequestVolume((Integer) v);
          case "failurePercentageEjection.threshold" -> b.failurePercentageThreshold((Integer) v);
          case "failurePercentageEjection.enforcementPercentage" -> b.enforcingFailurePercentage((Integer) v);
          case "failurePercentageEjection.minimumHosts" -> b.failurePercentageMinimumHosts((Integer) v);
          case "failurePercentageEjection.requestVolume" -> b.failurePercentageRequestVolume((Integer) v);
          default -> throw new IllegalStateException("unparsed outlier setting " + e.getKey());
        }
      }
    }
  }

  /** Applies the pool-level settings (not membership, listeners or executor) to a pool builder. */
  void apply(BackendPool.Builder b) {
    b.scheduler(scheduler);
    schedulerOptions.forEach(b::schedulerOption);
    Long s = seed;
    if (s != null) {
      b.seed(s);
    }
    b.slowStart(slowStart);
    b.maxRequestsPerBackend(maxRequestsPerBackend);
    b.circuitBreaker(maxRequests, Integer.MAX_VALUE);
    b.retryBudget(retryBudgetPercent, retryBudgetMinConcurrency);
    HealthCheck hc = healthCheck;
    if (hc != null) {
      b.healthCheck(HealthCheckers.create(hc.method(), hc.options()), hc::apply);
      b.healthyUntilChecked(hc.healthyUntilChecked());
    }
    Outlier od = outlierDetection;
    if (od != null) {
      b.outlierDetection(od::apply);
    }
  }

  /**
   * Parses the policy's JSON object.
   *
   * @param json the object as gRPC's JSON parser gives it: String, Double, Boolean, List, Map, null
   * @return the configuration
   * @throws IllegalArgumentException naming the field and the problem
   */
  static PolicyConfig parse(Map<String, ?> json) {
    Fields f = new Fields("", json, FIELDS);
    String scheduler = f.string("scheduler", DEFAULT.scheduler);
    Map<String, String> schedulerOptions = f.stringMap("schedulerOptions");
    Long seed = f.has("seed") ? f.longValue("seed") : null;
    Duration slowStart = f.duration("slowStart", Duration.ZERO);
    String header = f.has("requestKeyHeader") ? header(f.string("requestKeyHeader", "")) : null;
    HealthCheck hc = f.has("healthCheck") ? healthCheck(f.object("healthCheck")) : null;
    Outlier od = f.has("outlierDetection") ? outlier(f.object("outlierDetection")) : null;
    Set<Status.Code> codes = f.has("failureStatusCodes") ? codes(f.list("failureStatusCodes")) : DEFAULT_FAILURE_CODES;
    int maxPerBackend = f.integer("maxRequestsPerBackend", Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
    int maxRequests = f.integer("maxRequests", DEFAULT.maxRequests, 1, Integer.MAX_VALUE);
    double budgetPercent = DEFAULT.retryBudgetPercent;
    int budgetMin = DEFAULT.retryBudgetMinConcurrency;
    if (f.has("retryBudget")) {
      Fields rb = f.child("retryBudget", List.of("budgetPercent", "minRetryConcurrency"));
      budgetPercent = rb.number("budgetPercent", budgetPercent, 0, 100);
      budgetMin = rb.integer("minRetryConcurrency", budgetMin, 0, Integer.MAX_VALUE);
    }
    PolicyConfig config = new PolicyConfig(scheduler, schedulerOptions, seed, slowStart, header, hc, od, codes,
        maxPerBackend, maxRequests, budgetPercent, budgetMin);
    config.checkScheduler();
    return config;
  }

  /** Creates the scheduler once so that an unknown name or a bad option fails at parse time. */
  private void checkScheduler() {
    SchedulerConfig.Builder b = SchedulerConfig.builder();
    schedulerOptions.forEach(b::option);
    try {
      Schedulers.create(scheduler, b.build());
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException("scheduler: " + e.getMessage(), e);
    }
  }

  private static String header(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.isEmpty() || lower.startsWith(":") || lower.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
      throw new IllegalArgumentException("requestKeyHeader must name an ASCII header that is not a pseudo-header and "
          + "does not end in -bin, was '" + name + "'");
    }
    try {
      Metadata.Key.of(lower, Metadata.ASCII_STRING_MARSHALLER);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("requestKeyHeader '" + name + "' is not a valid header name: " + e.getMessage(), e);
    }
    return lower;
  }

  private static HealthCheck healthCheck(Fields f) {
    Fields h = f.restrict(List.of("method", "options", "interval", "timeout", "rise", "fall", "healthyUntilChecked"));
    String method = h.requiredString("method");
    Map<String, String> options = h.stringMap("options");
    // Creating the checker once validates the method and its options here, not when the pool starts.
    try (HealthChecker probe = HealthCheckers.create(method, options)) {
      Objects.requireNonNull(probe);
    } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
      throw new IllegalArgumentException("healthCheck: " + e.getMessage(), e);
    }
    Duration interval = h.has("interval") ? h.duration("interval", Duration.ZERO) : null;
    Duration timeout = h.has("timeout") ? h.duration("timeout", Duration.ZERO) : null;
    positive(h, "interval", interval);
    positive(h, "timeout", timeout);
    int rise = h.integer("rise", 0, 1, 1000);
    int fall = h.integer("fall", 0, 1, 1000);
    boolean until = h.bool("healthyUntilChecked", true);
    return new HealthCheck(method, options, interval, timeout, rise, fall, until);
  }

  private static void positive(Fields f, String name, @Nullable Duration d) {
    if (d != null && (d.isZero() || d.isNegative())) {
      throw new IllegalArgumentException(f.path(name) + " must be positive, was " + d);
    }
  }

  private static Outlier outlier(Fields f) {
    Fields o = f.restrict(List.of("interval", "baseEjectionTime", "maxEjectionTime", "maxEjectionPercent",
        "consecutiveFailures", "successRateEjection", "failurePercentageEjection"));
    Map<String, Object> s = new LinkedHashMap<>();
    for (String d : List.of("interval", "baseEjectionTime", "maxEjectionTime")) {
      if (o.has(d)) {
        Duration v = o.duration(d, Duration.ZERO);
        positive(o, d, v);
        s.put(d, v);
      }
    }
    if (o.has("maxEjectionPercent")) {
      s.put("maxEjectionPercent", o.integer("maxEjectionPercent", 10, 0, 100));
    }
    if (o.has("consecutiveFailures")) {
      s.put("consecutiveFailures", o.integer("consecutiveFailures", 5, 1, 1_000_000));
    }
    if (o.has("successRateEjection")) {
      Fields sr = o.child("successRateEjection", List.of("stdevFactor", "enforcementPercentage", "minimumHosts",
          "requestVolume"));
      s.put("successRateEjection.stdevFactor", sr.integer("stdevFactor", 1900, 0, 1_000_000));
      s.put("successRateEjection.enforcementPercentage", sr.integer("enforcementPercentage", 100, 0, 100));
      s.put("successRateEjection.minimumHosts", sr.integer("minimumHosts", 5, 1, 1_000_000));
      s.put("successRateEjection.requestVolume", sr.integer("requestVolume", 100, 1, 1_000_000));
    }
    if (o.has("failurePercentageEjection")) {
      Fields fp = o.child("failurePercentageEjection", List.of("threshold", "enforcementPercentage", "minimumHosts",
          "requestVolume"));
      s.put("failurePercentageEjection.threshold", fp.integer("threshold", 85, 0, 100));
      s.put("failurePercentageEjection.enforcementPercentage", fp.integer("enforcementPercentage", 100, 0, 100));
      s.put("failurePercentageEjection.minimumHosts", fp.integer("minimumHosts", 5, 1, 1_000_000));
      s.put("failurePercentageEjection.requestVolume", fp.integer("requestVolume", 50, 1, 1_000_000));
    }
    Outlier outlier = new Outlier(Collections.unmodifiableMap(s));
    // Building once validates the combination with lb-health's own rules.
    try {
      OutlierDetector.Builder b = OutlierDetector.builder();
      outlier.apply(b);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("outlierDetection: " + e.getMessage(), e);
    }
    return outlier;
  }

  private static Set<Status.Code> codes(List<?> names) {
    Set<Status.Code> out = EnumSet.noneOf(Status.Code.class);
    for (Object n : names) {
      if (!(n instanceof String s)) {
        throw new IllegalArgumentException("failureStatusCodes must list status code names, found " + n);
      }
      try {
        Status.Code c = Status.Code.valueOf(s.toUpperCase(Locale.ROOT));
        if (c == Status.Code.OK) {
          throw new IllegalArgumentException("failureStatusCodes cannot list OK");
        }
        out.add(c);
      } catch (IllegalArgumentException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("failureStatusCodes")) {
          throw e;
        }
        List<String> known = new ArrayList<>();
        for (Status.Code c : Status.Code.values()) {
          known.add(c.name());
        }
        throw new IllegalArgumentException("failureStatusCodes: unknown status code '" + s + "'; known: " + known, e);
      }
    }
    return Set.copyOf(out);
  }

  /** Typed access to one JSON object, with the path of each field for error messages. */
  private static final class Fields {
    private final String prefix;
    private final Map<String, ?> json;

    Fields(String prefix, Map<String, ?> json, List<String> known) {
      this.prefix = prefix;
      this.json = json;
      Set<String> unknown = new TreeSet<>(json.keySet());
      unknown.removeAll(known);
      if (!unknown.isEmpty()) {
        throw new IllegalArgumentException("unknown field" + (unknown.size() > 1 ? "s " : " ")
            + unknown.stream().map(this::path).toList() + "; known: " + known);
      }
    }

    String path(String name) {
      return prefix + name;
    }

    boolean has(String name) {
      return json.get(name) != null;
    }

    Fields restrict(List<String> known) {
      return new Fields(prefix, json, known);
    }

    Fields object(String name) {
      return new Fields(path(name) + ".", map(name), new ArrayList<>(map(name).keySet()));
    }

    Fields child(String name, List<String> known) {
      return new Fields(path(name) + ".", map(name), known);
    }

    @SuppressWarnings("unchecked")
    private Map<String, ?> map(String name) {
      Object v = json.get(name);
      if (!(v instanceof Map)) {
        throw new IllegalArgumentException(path(name) + " must be a JSON object, was " + v);
      }
      return (Map<String, ?>) v;
    }

    List<?> list(String name) {
      Object v = json.get(name);
      if (!(v instanceof List<?> l)) {
        throw new IllegalArgumentException(path(name) + " must be a JSON array, was " + v);
      }
      return l;
    }

    String string(String name, String dflt) {
      Object v = json.get(name);
      if (v == null) {
        return dflt;
      }
      if (!(v instanceof String s)) {
        throw new IllegalArgumentException(path(name) + " must be a string, was " + v);
      }
      return s;
    }

    String requiredString(String name) {
      if (!has(name)) {
        throw new IllegalArgumentException(path(name) + " is required");
      }
      return string(name, "");
    }

    boolean bool(String name, boolean dflt) {
      Object v = json.get(name);
      if (v == null) {
        return dflt;
      }
      if (!(v instanceof Boolean b)) {
        throw new IllegalArgumentException(path(name) + " must be true or false, was " + v);
      }
      return b;
    }

    double number(String name, double dflt, double min, double max) {
      Object v = json.get(name);
      if (v == null) {
        return dflt;
      }
      if (!(v instanceof Number n) || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
        throw new IllegalArgumentException(path(name) + " must be a number in " + min + ".." + max + ", was " + v);
      }
      return n.doubleValue();
    }

    int integer(String name, int dflt, int min, int max) {
      Object v = json.get(name);
      if (v == null) {
        return dflt;
      }
      if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < min
          || n.doubleValue() > max) {
        throw new IllegalArgumentException(path(name) + " must be a whole number in " + min + ".." + max + ", was " + v);
      }
      return (int) n.doubleValue();
    }

    long longValue(String name) {
      Object v = json.get(name);
      // JSON numbers arrive as doubles, exact only to 2^53: a larger seed goes as a decimal string.
      if (v instanceof String s) {
        try {
          return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(path(name) + " must be a 64-bit integer, was '" + s + "'", e);
        }
      }
      if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
          || Math.abs(n.doubleValue()) > 0x1p53) {
        throw new IllegalArgumentException(path(name) + " must be a whole number of at most 2^53, or a decimal string, "
            + "was " + v);
      }
      return (long) n.doubleValue();
    }

    Map<String, String> stringMap(String name) {
      if (!has(name)) {
        return Map.of();
      }
      Map<String, String> out = new TreeMap<>();
      for (Map.Entry<String, ?> e : map(name).entrySet()) {
        Object v = e.getValue();
        String s;
        if (v instanceof String str) {
          s = str;
        } else if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) {
          s = Long.toString(d.longValue());
        } else if (v instanceof Number || v instanceof Boolean) {
          s = v.toString();
        } else {
          throw new IllegalArgumentException(path(name) + "." + e.getKey() + " must be a string, number or boolean, was " + v);
        }
        out.put(e.getKey(), s);
      }
      return Map.copyOf(out);
    }

    /** A protobuf JSON duration: decimal seconds with the suffix {@code s}, at most nanosecond precision. */
    Duration duration(String name, Duration dflt) {
      Object v = json.get(name);
      if (v == null) {
        return dflt;
      }
      if (v instanceof String s && s.endsWith("s") && s.length() > 1) {
        try {
          BigDecimal seconds = new BigDecimal(s.substring(0, s.length() - 1));
          if (seconds.signum() >= 0 && seconds.scale() <= 9 && seconds.compareTo(BigDecimal.valueOf(315_576_000_000L)) <= 0) {
            BigDecimal nanos = seconds.movePointRight(9);
            return Duration.ofSeconds(0, nanos.longValueExact());
          }
        } catch (NumberFormatException | ArithmeticException e) {
          // Reported below with the accepted form.
        }
      }
      throw new IllegalArgumentException(path(name) + " must be a duration such as \"2.5s\" (seconds, at most 9 decimals, "
          + "not negative), was " + v);
    }
  }
}
