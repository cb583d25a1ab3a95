package io.github.lb4j.benchmarks.health;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.health.HealthMonitor;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * How many TCP or HTTP checks per second lb4j runs against local servers, and what one check costs
 * in CPU. Not JMH: the question is a rate and a CPU share over seconds, against thousands of real
 * sockets.
 *
 * <p>Modes: {@code monitor} runs a {@link HealthMonitor} over N targets at a fixed interval (the
 * deployment case: 10,000 targets at 1 s should be 10,000 checks/s on at most one core); {@code max}
 * keeps a window of checks in flight as fast as they complete, for lb4j and, in the same run, for
 * the peer: a pool of threads doing the same check on blocking sockets (the thread-per-check design
 * lb4j avoids). CPU is read per thread from /proc/self/task: "checker" is lb4j's threads (the shared
 * loop and the monitor thread), "client" is the whole process minus the local server's thread.
 *
 * <p>Running out of file descriptors (EMFILE/ENFILE, on the checker's or the local server's side)
 * is a limit of this process, not a verdict on the targets: such failures are counted apart, named
 * in an {@code OUT OF FILE DESCRIPTORS} line with the process limit, and make the program exit with
 * status 3 so that the figures are not taken for a valid run. The {@code health-bench} script raises
 * the limit before starting Java.
 *
 * <p>Run: {@code lb-benchmarks/health-bench --method tcp --targets 10000 --mode monitor}; see {@code
 * lb-health/README.md} for the recorded figures.
 *
 * <p>A command-line program: single-threaded main, blocks for the whole measurement, allocates freely.
 */
public final class HealthCheckThroughput {

  /** Exit status when checks failed for lack of file descriptors: the figures are not valid. */
  static final int EXIT_OUT_OF_DESCRIPTORS = 3;

  private static boolean descriptorsRanOut;
  /** Read before the run: at the limit, /proc/self/limits itself cannot be opened. */
  static String limit = "unknown";

  private HealthCheckThroughput() {}

  /** Whether an error message is EMFILE or ENFILE ("Too many open files [in system]"). */
  static boolean outOfDescriptors(@Nullable String message) {
    return message != null && message.contains("Too many open files");
  }

  /** The "Max open files" soft limit of this process, as /proc/self/limits gives it. */
  static String openFileLimit() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          return line.substring("Max open files".length()).trim().split("\\s+")[0];
        }
      }
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
    return "unknown";
  }

  /** Says clearly when a measurement ran out of descriptors; those failures are not check failures. */
  static void descriptorVerdict(String label, long checks, long accepts) {
    if (checks == 0 && accepts == 0) {
      return;
    }
    descriptorsRanOut = true;
    System.out.printf(Locale.ROOT, "OUT OF FILE DESCRIPTORS in %s: %d checks could not open a socket and the local server"
        + " failed %d accepts (EMFILE/ENFILE; open-file limit %s). These are not check failures and the figures above"
        + " are not valid: raise the limit (ulimit -n; lb-benchmarks/health-bench raises it to the hard limit)"
        + " or use fewer targets.%n", label, checks, accepts, limit);
  }

  /**
   * Runs one measurement.
   *
   * @param args {@code --method tcp|http --targets N --mode monitor|max --seconds S --warmup S
   *     --interval-ms MS --window W --threads T --close fin|rst}
   * @throws Exception when the local servers cannot be set up
   */
  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>(Map.of("method", "tcp", "targets", "1000", "mode", "monitor", "seconds", "15",
        "warmup", "5", "interval-ms", "1000", "window", "256", "threads", "64", "close", "fin"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--") || !a.containsKey(args[i].substring(2))) {
        throw new IllegalArgumentException("unknown argument " + args[i] + "; known: --" + String.join(" --", a.keySet()));
      }
      a.put(args[i].substring(2), args[i + 1]);
    }
    String method = a.get("method");
    boolean http = method.equals("http");
    int targets = Integer.parseInt(a.get("targets"));
    int seconds = Integer.parseInt(a.get("seconds"));
    int warmup = Integer.parseInt(a.get("warmup"));
    limit = openFileLimit();
    System.out.println("open-file limit: " + limit);
    LoopbackTargets local;
    try {
      local = new LoopbackTargets(targets, http);
    } catch (IOException e) {
      if (!outOfDescriptors(String.valueOf(e.getCause()))) {
        throw e;
      }
      System.out.println(e.getMessage());
      System.exit(EXIT_OUT_OF_DESCRIPTORS);
      return;
    }
    try (LoopbackTargets servers = local) {
      run(a, method, http, seconds, warmup, servers);
    } catch (IOException | RuntimeException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (outOfDescriptors(t.getMessage())) {
          System.out.println("OUT OF FILE DESCRIPTORS: the measurement stopped at " + t + " (open-file limit "
              + limit + "): raise the limit (ulimit -n; lb-benchmarks/health-bench raises it to the hard"
              + " limit) or use fewer targets");
          System.exit(EXIT_OUT_OF_DESCRIPTORS);
        }
      }
      throw e;
    }
    if (descriptorsRanOut) {
      System.exit(EXIT_OUT_OF_DESCRIPTORS);
    }
  }

  private static void run(Map<String, String> a, String method, boolean http, int seconds, int warmup,
      LoopbackTargets servers) throws Exception {
    Map<String, String> options = http ? Map.of() : Map.of("close", a.get("close"));
    if (a.get("mode").equals("monitor")) {
      monitor(method, options, servers, Duration.ofMillis(Long.parseLong(a.get("interval-ms"))), warmup, seconds);
    } else {
      int window = Integer.parseInt(a.get("window"));
      Result ours = max(method, options, servers, window, warmup, seconds);
      Result peer = blocking(http, servers, Integer.parseInt(a.get("threads")), warmup, seconds);
      System.out.printf(Locale.ROOT, "ratio lb4j/blocking-pool: healthy checks/s %.2f, client CPU per check %.2f%n",
          ours.healthyRate / peer.healthyRate, ours.clientNanosPerCheck / peer.clientNanosPerCheck);
    }
  }

  record Result(double rate, double healthyRate, double clientNanosPerCheck) {}

  /** Counts completions of a real checker. */
  static final class Counting implements HealthChecker {
    final HealthChecker delegate;
    final LongAdder done = new LongAdder();
    final LongAdder healthy = new LongAdder();
    final LongAdder noDescriptors = new LongAdder();
    final java.util.concurrent.ConcurrentHashMap<String, LongAdder> reasons = new java.util.concurrent.ConcurrentHashMap<>();

    Counting(HealthChecker delegate) {
      this.delegate = delegate;
    }

    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public CompletableFuture<HealthResult> check(InetSocketAddress target, Duration timeout) {
      return delegate.check(target, timeout).whenComplete((r, e) -> {
        done.increment();
        if (r != null && r.healthy()) {
          healthy.increment();
        } else if (r != null ? outOfDescriptors(r.detail()) : e != null && outOfDescriptors(e.toString())) {
          noDescriptors.increment();
        } else if (r != null) {
          reasons.computeIfAbsent(r.reason() + " " + r.detail().replaceAll("[0-9]+", "N"), k -> new LongAdder()).increment();
        }
      });
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  static final class Sample {
    final long nanos = System.nanoTime();
    final long checker;
    final long process;
    final long server;

    Sample(String checkerPrefix) throws IOException {
      checker = ThreadCpu.nanos(checkerPrefix);
      process = ThreadCpu.processNanos();
      server = ThreadCpu.nanos("bench-server");
    }
  }

  static Result report(String label, Sample s0, Sample s1, long checks, long healthy) {
    double secs = (s1.nanos - s0.nanos) / 1e9;
    double rate = checks / secs;
    long checkerCpu = s1.checker - s0.checker;
    long clientCpu = (s1.process - s0.process) - (s1.server - s0.server);
    double perCheck = checks == 0 ? Double.NaN : (double) clientCpu / checks;
    System.out.printf(Locale.ROOT,
        "%s: %d checks in %.1f s = %.0f checks/s, healthy %.1f %%; checker threads %.1f %% of one core (%.1f us/check);"
            + " client (process minus server) %.1f %% of one core (%.1f us/check); server %.1f %% of one core%n",
        label, checks, secs, rate, checks == 0 ? 0 : 100.0 * healthy / checks,
        100.0 * checkerCpu / (secs * 1e9), checks == 0 ? 0 : checkerCpu / 1e3 / checks,
        100.0 * clientCpu / (secs * 1e9), perCheck / 1e3,
        100.0 * (s1.server - s0.server) / (secs * 1e9));
    return new Result(rate, healthy / secs, perCheck);
  }

  static void monitor(String method, Map<String, String> options, LoopbackTargets servers, Duration interval,
      int warmup, int seconds) throws Exception {
    List<InetSocketAddress> addrs = servers.addresses();
    try (Counting checker = new Counting(HealthCheckers.create(method, options));
        HealthMonitor m = HealthMonitor.builder(checker).interval(interval).timeout(Duration.ofSeconds(1)).build()) {
      for (int i = 0; i < addrs.size(); i++) {
        m.add(Backend.of("t" + i, addrs.get(i)));
      }
      Thread.sleep(warmup * 1000L);
      checker.reasons.clear();
      Sample s0 = new Sample("lb4j-");
      long c0 = checker.done.sum();
      long h0 = checker.healthy.sum();
      long n0 = checker.noDescriptors.sum();
      long a0 = servers.acceptsOutOfDescriptors();
      int maxFds = 0;
      for (int i = 0; i < seconds * 10; i++) {
        Thread.sleep(100);
        String[] fds = new java.io.File("/proc/self/fd").list();
        maxFds = Math.max(maxFds, fds == null ? 0 : fds.length);
      }
      Sample s1 = new Sample("lb4j-");
      System.out.println("open descriptors, most seen: " + maxFds + " (" + Math.min(addrs.size(), LoopbackTargets.MAX_LISTENERS)
          + " of them listeners)");
      String label = String.format(Locale.ROOT, "lb4j %s monitor, %d targets, interval %d ms", method, addrs.size(),
          interval.toMillis());
      report(label, s0, s1, checker.done.sum() - c0, checker.healthy.sum() - h0);
      descriptorVerdict(label, checker.noDescriptors.sum() - n0, servers.acceptsOutOfDescriptors() - a0);
      System.out.println("states: " + m);
      if (!checker.reasons.isEmpty()) {
        System.out.println("failures while measuring: " + checker.reasons);
      }
    }
  }

  static Result max(String method, Map<String, String> options, LoopbackTargets servers, int window, int warmup,
      int seconds) throws Exception {
    List<InetSocketAddress> addrs = servers.addresses();
    try (Counting checker = new Counting(HealthCheckers.create(method, options))) {
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger next = new AtomicInteger();
      Runnable[] launch = new Runnable[1];
      launch[0] = () -> {
        if (!stop.get()) {
          InetSocketAddress t = addrs.get(Math.floorMod(next.getAndIncrement(), addrs.size()));
          checker.check(t, Duration.ofSeconds(1)).whenComplete((r, e) -> launch[0].run());
        }
      };
      for (int i = 0; i < window; i++) {
        launch[0].run();
      }
      Thread.sleep(warmup * 1000L);
      Sample s0 = new Sample("lb4j-");
      long c0 = checker.done.sum();
      long h0 = checker.healthy.sum();
      long n0 = checker.noDescriptors.sum();
      long a0 = servers.acceptsOutOfDescriptors();
      Thread.sleep(seconds * 1000L);
      Sample s1 = new Sample("lb4j-");
      String label = String.format(Locale.ROOT, "lb4j %s max, %d targets, window %d", method, addrs.size(), window);
      Result r = report(label, s0, s1, checker.done.sum() - c0, checker.healthy.sum() - h0);
      descriptorVerdict(label, checker.noDescriptors.sum() - n0, servers.acceptsOutOfDescriptors() - a0);
      stop.set(true);
      Thread.sleep(1500);
      return r;
    }
  }

  /** The peer: the same check on blocking sockets, one thread per check in flight. */
  static Result blocking(boolean http, LoopbackTargets servers, int threads, int warmup, int seconds) throws Exception {
    List<InetSocketAddress> addrs = servers.addresses();
    LongAdder noDescriptors = new LongAdder();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger next = new AtomicInteger();
    LongAdder done = new LongAdder();
    LongAdder healthy = new LongAdder();
    byte[] request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    List<Thread> pool = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[4096];
        while (!stop.get()) {
          InetSocketAddress target = addrs.get(Math.floorMod(next.getAndIncrement(), addrs.size()));
          boolean ok = false;
          try (Socket s = new Socket()) {
            s.connect(target, 1000);
            if (http) {
              s.setSoTimeout(1000);
              s.getOutputStream().write(request);
              InputStream in = s.getInputStream();
              // The local server sends one fixed response and waits for the client to close, as
              // lb4j's checker does after a complete Content-Length body.
              int got = 0;
              int n;
              while (got < LoopbackTargets.RESPONSE.length && (n = in.read(buf, got, buf.length - got)) > 0) {
                got += n;
              }
              ok = got >= 12 && new String(buf, 9, 3, StandardCharsets.US_ASCII).equals("200");
            } else {
              ok = true;
            }
          } catch (IOException e) {
            ok = false;
            if (outOfDescriptors(e.getMessage())) {
              noDescriptors.increment();
            }
          }
          done.increment();
          if (ok) {
            healthy.increment();
          }
        }
      }, "bench-blocking-" + i);
      t.setDaemon(true);
      pool.add(t);
      t.start();
    }
    Thread.sleep(warmup * 1000L);
    Sample s0 = new Sample("bench-blocking");
    long c0 = done.sum();
    long h0 = healthy.sum();
    long n0 = noDescriptors.sum();
    long a0 = servers.acceptsOutOfDescriptors();
    Thread.sleep(seconds * 1000L);
    Sample s1 = new Sample("bench-blocking");
    String label = String.format(Locale.ROOT, "blocking-pool %s, %d targets, %d threads", http ? "http" : "tcp", addrs.size(), threads);
    Result r = report(label, s0, s1, done.sum() - c0, healthy.sum() - h0);
    descriptorVerdict(label, noDescriptors.sum() - n0, servers.acceptsOutOfDescriptors() - a0);
    stop.set(true);
    for (Thread t : pool) {
      t.join(TimeUnit.SECONDS.toMillis(3));
    }
    return r;
  }
}
