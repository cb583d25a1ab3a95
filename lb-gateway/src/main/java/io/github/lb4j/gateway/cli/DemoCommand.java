package io.github.lb4j.gateway.cli;

import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.gateway.config.Durations;
import io.github.lb4j.gateway.demo.Demo;
import java.io.Console;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lb demo}: balancing, health checks, failover and slow start on loopback, with no set-up. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Shows lb4j balancing, health-checking and failing over on loopback, live, with no set-up.",
      "Starts three HTTP backends, the proxy in front of them with health checks and steady client traffic; stops one",
      "backend (marked down, traffic moves to the others) and starts it again (slow start), then prints a summary."
    })
final class DemoCommand implements Callable<Integer> {

  /** Preferred defaults, in order, when registered: a weighted algorithm shows slow start best. */
  private static final String[] ALGORITHM_PREFERENCE = {"weighted-round-robin", "smooth-weighted-round-robin", "round-robin"};
  private static final String[] CHECK_PREFERENCE = {"http", "tcp"};

  @Spec CommandSpec spec;

  @Option(names = {"-a", "--algorithm"}, paramLabel = "NAME", description = "Scheduling algorithm (default weighted-round-robin); the list is below.")
  @Nullable String algorithm;

  @Option(names = "--check", paramLabel = "NAME", description = "Health check (default http); the list is below.")
  @Nullable String check;

  @Option(names = "--check-option", paramLabel = "KEY=VALUE", description = "An option of the check; repeatable.")
  Map<String, String> checkOptions = new LinkedHashMap<>();

  @Option(names = "--check-interval", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Check interval (default 500ms).")
  Duration interval = Duration.ofMillis(500);

  @Option(names = "--fall", paramLabel = "N", description = "Failures that take a backend down (default ${DEFAULT-VALUE}).")
  int fall = 2;

  @Option(names = "--rise", paramLabel = "N", description = "Passes that bring it back (default ${DEFAULT-VALUE}).")
  int rise = 2;

  @Option(names = "--slow-start", paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "Slow-start window (default 8s).")
  Duration slowStart = Duration.ofSeconds(8);

  @Option(names = {"-d", "--duration"}, paramLabel = "DURATION", converter = Converters.DurationConverter.class,
      description = "How long the demo runs (default 30s).")
  Duration duration = Duration.ofSeconds(30);

  @Option(names = "--rate", paramLabel = "N", description = "Client requests per second (default ${DEFAULT-VALUE}).")
  int rate = 200;

  @Option(names = "--plain", description = "Print plain lines instead of a live view (the default when stdout is not a terminal).")
  boolean plain;

  @Override
  public Integer call() throws Exception {
    String alg = algorithm != null ? algorithm : pick(Schedulers.descriptions().keySet(), ALGORITHM_PREFERENCE, "algorithm");
    String chk = check != null ? check : pick(HealthCheckers.descriptions().keySet(), CHECK_PREFERENCE, "check");
    Map<String, String> opts = new LinkedHashMap<>(checkOptions);
    if (chk.startsWith("http") && !opts.containsKey("path")) {
      opts.put("path", "/health");
    }
    if (chk.equals("http-content") && !opts.containsKey("contains") && !opts.containsKey("regex")) {
      opts.put("contains", "ok");
    }
    Console console = System.console();
    boolean live = !plain && console != null && console.isTerminal();
    Demo.Options o = new Demo.Options(alg, chk, opts, positive("--check-interval", interval), rise, fall,
        slowStart, duration, rate, live);
    if (rise < 1 || fall < 1) {
      throw new IllegalArgumentException("--rise and --fall must be at least 1, were " + rise + " and " + fall);
    }
    Demo demo = new Demo(o, spec.commandLine().getOut());
    Thread hook = new Thread(() -> {
      demo.stop();
      try {
        demo.awaitFinished(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "lb-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return demo.run();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook is running and waits for the summary printed above.
      }
    }
  }

  private static Duration positive(String flag, Duration d) {
    if (d.isZero()) {
      throw new IllegalArgumentException(flag + " must be positive, was " + Durations.format(d));
    }
    return d;
  }

  private static String pick(Set<String> known, String[] preference, String what) {
    for (String p : preference) {
      if (known.contains(p)) {
        return p;
      }
    }
    if (known.isEmpty()) {
      throw new IllegalStateException("no " + what + " is registered: lb-algorithms and lb-health must be on the class path");
    }
    return known.iterator().next();
  }
}
