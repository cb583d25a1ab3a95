package io.github.lb4j.gateway.demo;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.gateway.config.Durations;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.gateway.proxy.BackendStatus;
import io.github.lb4j.gateway.proxy.HealthCheckSpec;
import io.github.lb4j.gateway.proxy.ProxyServer;
import io.github.lb4j.gateway.proxy.ProxyStats;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code lb demo}: three HTTP backends on loopback, a {@link ProxyServer} in front of them with
 * health checks, steady client traffic, and a view of what happens while one backend is stopped
 * and started again: the health check marks it down within {@code fall x (interval + timeout)}, traffic moves
 * to the others without failed requests after detection, and when it returns slow start ramps its
 * share up. Ends with a summary.
 *
 * <p>Run it from one thread; {@link #stop()} may be called from any thread (the shutdown hook).
 */
public final class Demo {

  /**
   * What the demo runs.
   *
   * @param algorithm the scheduler's registry name
   * @param check the checker's registry name
   * @param checkOptions the checker's options
   * @param interval the check interval
   * @param rise the rise threshold
   * @param fall the fall threshold
   * @param slowStart the slow-start window
   * @param duration how long the demo runs
   * @param rate client requests per second
   * @param live whether to redraw a live view with ANSI escapes (else plain periodic lines)
   */
  public record Options(String algorithm, String check, Map<String, String> checkOptions, Duration interval, int rise,
      int fall, Duration slowStart, Duration duration, int rate, boolean live) {

    /**
     * Validates the fields.
     *
     * @param algorithm the algorithm
     * @param check the check
     * @param checkOptions the check options
     * @param interval the interval
     * @param rise the rise
     * @param fall the fall
     * @param slowStart the slow start
     * @param duration the duration
     * @param rate the rate
     * @param live the view
     * @throws IllegalArgumentException naming the field when one is out of range
     */
    public Options {
      Objects.requireNonNull(algorithm, "algorithm");
      Objects.requireNonNull(check, "check");
      checkOptions = Map.copyOf(checkOptions);
      if (duration.compareTo(Duration.ofSeconds(10)) < 0) {
        throw new IllegalArgumentException("--duration must be at least 10s, was " + Durations.format(duration));
      }
      if (rate < 1 || rate > 5000) {
        throw new IllegalArgumentException("--rate must be in 1..5000 requests per second, was " + rate);
      }
    }
  }

  private static final int BACKENDS = 3;
  private static final String VICTIM = "web-2";
  private static final long FRAME_MILLIS = 500;
  private static final long PLAIN_EVERY_MILLIS = 2000;
  /** Width of a 100% share bar; keeps every line of the view under 110 columns. */
  private static final int BAR_WIDTH = 20;

  private final Options options;
  private final PrintWriter out;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);
  private final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
  private final List<String> eventLog = new ArrayList<>();
  private final long t0 = System.nanoTime();
  private volatile long stoppedAt = -1;
  private volatile long detectedAt = -1;
  private volatile long restartedAt = -1;
  private volatile long upAgainAt = -1;
  private final Rates rates = new Rates(BACKENDS);
  private final List<Integer> ramp = new ArrayList<>();

  /**
   * Creates a demo.
   *
   * @param options what to run
   * @param out where the view goes
   */
  public Demo(Options options, PrintWriter out) {
    this.options = options;
    this.out = out;
  }

  /** Ends the demo early (Ctrl-C); it still prints its summary. */
  public void stop() {
    stop.countDown();
  }

  /**
   * Waits until the demo has printed its summary and released everything.
   *
   * @param timeout how long to wait
   * @throws InterruptedException when interrupted
   */
  public void awaitFinished(Duration timeout) throws InterruptedException {
    finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Runs the demo to its end or until {@link #stop()}.
   *
   * @return 0 when no request failed after the stopped backend was detected, else 1
   * @throws IOException when the loopback servers or the proxy cannot listen
   */
  public int run() throws IOException {
    InetAddress lo = InetAddress.getLoopbackAddress();
    List<HttpBackend> servers = new ArrayList<>();
    ProxyServer proxy = null;
    DemoClient client = null;
    try {
      ProxyServer.Builder b = ProxyServer.builder()
          .listen(new InetSocketAddress(lo, 0))
          .algorithm(options.algorithm())
          .slowStart(options.slowStart())
          .connectTimeout(Duration.ofSeconds(1))
          .healthCheck(new HealthCheckSpec(options.check(), options.checkOptions(), options.interval(),
              options.interval().dividedBy(2), options.rise(), options.fall()))
          .healthListener((backend, from, to, cause) -> onTransition(backend, from, to, cause.detail()));
      for (int i = 1; i <= BACKENDS; i++) {
        HttpBackend s = new HttpBackend("web-" + i, new InetSocketAddress(lo, 0));
        s.start();
        servers.add(s);
        b.backend(Backend.of(s.name(), s.address()));
      }
      proxy = b.build();
      proxy.start();
      InetSocketAddress front = proxy.listenAddresses().get(0);
      client = new DemoClient(front, options.rate(), 4);
      client.start();
      if (!options.live()) {
        printPlainHeader();
      }
      event("started " + BACKENDS + " backends and the proxy on " + Endpoints.format(front));
      loop(proxy, servers, client, front);
      client.close();
      printFinalFrame(proxy, servers, client, front);
      return summary(proxy, client);
    } finally {
      if (client != null) {
        client.close();
      }
      if (proxy != null) {
        proxy.close();
      }
      servers.forEach(HttpBackend::stop);
      if (options.live()) {
        out.print("\033[?25h");
        out.flush();
      }
      finished.countDown();
    }
  }

  private void loop(ProxyServer proxy, List<HttpBackend> servers, DemoClient client, InetSocketAddress front)
      throws IOException {
    long durationNanos = options.duration().toNanos();
    long stopAtNanos = durationNanos * 4 / 15;
    long restartAtNanos = durationNanos * 8 / 15;
    HttpBackend victim = servers.get(1);
    if (options.live()) {
      out.print("\033[?25l\033[2J");
    }
    long lastPlain = 0;
    while (true) {
      long now = System.nanoTime() - t0;
      if (now >= durationNanos) {
        break;
      }
      if (stoppedAt < 0 && now >= stopAtNanos) {
        victim.stop();
        stoppedAt = System.nanoTime();
        event(VICTIM + " stopped (listener and connections closed, as a crash)");
      }
      if (restartedAt < 0 && now >= restartAtNanos) {
        victim.start();
        restartedAt = System.nanoTime();
        event(VICTIM + " restarted");
      }
      rates.sample(servers, client);
      recordRamp();
      if (options.live()) {
        render(proxy, servers, client, front, rates);
      } else {
        drainEvents();
        if (now - lastPlain >= PLAIN_EVERY_MILLIS * 1_000_000L) {
          lastPlain = now;
          plainLine(proxy, servers, client, rates);
        }
      }
      try {
        if (stop.await(FRAME_MILLIS, TimeUnit.MILLISECONDS)) {
          event("stopped by the user");
          break;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
  }

  private void printFinalFrame(ProxyServer proxy, List<HttpBackend> servers, DemoClient client, InetSocketAddress front) {
    rates.sample(servers, client);
    if (options.live()) {
      renderFrame(proxy, servers, client, front, rates, true);
    } else {
      drainEvents();
    }
  }

  /** Plain mode has no live header: these lines say what runs, what will happen, and when it ends. */
  private void printPlainHeader() {
    long stopAtMillis = options.duration().toMillis() * 4 / 15;
    long restartAtMillis = options.duration().toMillis() * 8 / 15;
    out.printf(Locale.ROOT, "lb demo: %s over %d HTTP backends on loopback behind lb4j's proxy; check %s every %s"
        + " (fall %d, rise %d); slow start %s%n", options.algorithm(), BACKENDS, options.check(),
        Durations.format(options.interval()), options.fall(), options.rise(), Durations.format(options.slowStart()));
    out.printf(Locale.ROOT, "a client makes %d requests/s, each on a new connection; %s is stopped at %.1fs (as a crash)"
        + " and restarted at %.1fs%n", options.rate(), VICTIM, stopAtMillis / 1e3, restartAtMillis / 1e3);
    out.printf(Locale.ROOT, "the demo ends after %s (--duration) with a summary, or earlier on Ctrl-C;"
        + " a line every %ds below (a terminal shows a live view)%n", Durations.format(options.duration()),
        PLAIN_EVERY_MILLIS / 1000);
    out.flush();
  }

  /** Once a second during slow start: the returning backend's share of all answers. */
  private void recordRamp() {
    long up = upAgainAt;
    if (up < 0) {
      return;
    }
    long since = System.nanoTime() - up;
    int second = (int) (since / 1_000_000_000L);
    long window = options.slowStart().toNanos() + 2_000_000_000L;
    if (since <= window && second >= 1 && second > ramp.size()) {
      double total = rates.rate(BACKENDS);
      ramp.add(total <= 0 ? 0 : (int) Math.round(100 * rates.rate(1) / total));
    }
  }

  private void onTransition(Backend backend, HealthState from, HealthState to, String detail) {
    long now = System.nanoTime();
    String extra = "";
    if (backend.id().equals(VICTIM) && to == HealthState.DOWN && stoppedAt > 0 && detectedAt < 0) {
      detectedAt = now;
      extra = String.format(Locale.ROOT, ": detected %.1fs after the stop (bound %s)", (now - stoppedAt) / 1e9,
          Durations.format(options.interval().plus(options.interval().dividedBy(2)).multipliedBy(options.fall())));
    }
    if (backend.id().equals(VICTIM) && to == HealthState.UP && restartedAt > 0 && upAgainAt < 0) {
      upAgainAt = now;
      extra = ", slow start " + Durations.format(options.slowStart()) + " begins";
    }
    event(backend.id() + " " + from + " -> " + to + " (" + shorten(detail) + ")" + extra);
  }

  private static String shorten(String detail) {
    int colon = detail.indexOf("Exception: ");
    String d = colon >= 0 ? detail.substring(colon + "Exception: ".length()) : detail;
    return d.length() > 40 ? d.substring(0, 40) + "..." : d;
  }

  private void event(String text) {
    events.add(String.format(Locale.ROOT, "%6.1fs  %s", (System.nanoTime() - t0) / 1e9, text));
  }

  private void drainEvents() {
    String e;
    while ((e = events.poll()) != null) {
      eventLog.add(e);
      if (!options.live()) {
        out.println("event " + e.strip());
      }
    }
    out.flush();
  }

  /** Requests per second per backend over the last second, from the client's answers. */
  private static final class Rates {
    private static final int WINDOW = 2;
    private final long[][] history;
    private final long[] times = new long[WINDOW + 1];
    private long[] totals = new long[0];
    private int samples;

    Rates(int backends) {
      history = new long[WINDOW + 1][backends + 1];
    }

    void sample(List<HttpBackend> servers, DemoClient client) {
      int slot = samples % (WINDOW + 1);
      for (int i = 0; i < servers.size(); i++) {
        history[slot][i] = client.answeredBy(servers.get(i).name());
      }
      history[slot][servers.size()] = client.ok();
      times[slot] = System.nanoTime();
      samples++;
    }

    double rate(int i) {
      if (samples < 2) {
        return 0;
      }
      int newest = (samples - 1) % (WINDOW + 1);
      int oldest = samples > WINDOW ? samples % (WINDOW + 1) : 0;
      double seconds = (times[newest] - times[oldest]) / 1e9;
      return seconds <= 0 ? 0 : (history[newest][i] - history[oldest][i]) / seconds;
    }
  }

  private void render(ProxyServer proxy, List<HttpBackend> servers, DemoClient client, InetSocketAddress front, Rates rates) {
    renderFrame(proxy, servers, client, front, rates, false);
  }

  /** One frame of the live view; the last one has no Ctrl-C hint, since the summary follows it. */
  private void renderFrame(ProxyServer proxy, List<HttpBackend> servers, DemoClient client, InetSocketAddress front, Rates rates,
      boolean last) {
    drainEvents();
    StringBuilder sb = new StringBuilder("\033[H");
    double elapsed = (System.nanoTime() - t0) / 1e9;
    line(sb, String.format(Locale.ROOT, "\033[1mlb demo\033[0m  \033[1m%s\033[0m  check \033[1m%s\033[0m"
        + " %s fall %d rise %d  slow start %s   %5.1f/%s",
        options.algorithm(), options.check(), Durations.format(options.interval()), options.fall(), options.rise(),
        Durations.format(options.slowStart()), elapsed, Durations.format(options.duration())));
    ProxyStats st = proxy.stats();
    line(sb, String.format(Locale.ROOT, "proxy %s   requests ok %d  \033[%sm failed %d \033[0m  retries %d  %.0f req/s",
        Endpoints.format(front), client.ok(), client.failures() > 0 ? "41;97" : "0", client.failures(), st.retries(),
        rates.rate(servers.size())));
    line(sb, "");
    line(sb, String.format(Locale.ROOT, "%-8s %-16s %-8s %6s %7s %8s %7s  %s", "backend", "address", "health", "weight",
        "active", "answers", "req/s", "share of traffic"));
    List<BackendStatus> status = proxy.status();
    double total = rates.rate(servers.size());
    for (int i = 0; i < servers.size(); i++) {
      BackendStatus s = status.get(i);
      HttpBackend server = servers.get(i);
      double r = rates.rate(i);
      String color = switch (s.health()) {
        case UP -> "32";
        case DOWN -> "31";
        default -> "33";
      };
      int bar = total <= 0 ? 0 : (int) Math.round(BAR_WIDTH * r / total);
      line(sb, String.format(Locale.ROOT, "%-8s %-16s \033[%sm%-8s\033[0m %6d %7d %8d %7.0f  %s%s",
          s.backend().id(), Endpoints.format(s.backend().socketAddress()), color, s.health(), s.backend().weight(),
          s.activeSessions(), client.answeredBy(server.name()), r, "#".repeat(bar),
          server.running() ? rampNote(s.backend().id()) : "  (server stopped)"));
    }
    line(sb, "");
    line(sb, "events");
    int from = Math.max(0, eventLog.size() - 8);
    for (int i = from; i < eventLog.size(); i++) {
      line(sb, eventLog.get(i));
    }
    for (int i = eventLog.size() - from; i < 8; i++) {
      line(sb, "");
    }
    line(sb, last ? "" : "\033[2mCtrl-C ends the demo early\033[0m");
    // Clears whatever a longer earlier frame (a wrapped line) left below this one.
    sb.append("\033[J");
    out.print(sb);
    out.flush();
  }

  private String rampNote(String id) {
    long up = upAgainAt;
    if (!id.equals(VICTIM) || up < 0) {
      return "";
    }
    double since = (System.nanoTime() - up) / 1e9;
    double window = options.slowStart().toNanos() / 1e9;
    return since < window ? String.format(Locale.ROOT, "  slow start %.0f/%.0fs", since, window) : "";
  }

  private static void line(StringBuilder sb, String text) {
    sb.append(text).append("\033[K\n");
  }

  private void plainLine(ProxyServer proxy, List<HttpBackend> servers, DemoClient client, Rates rates) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "t=%5.1fs ok=%d failed=%d",
        (System.nanoTime() - t0) / 1e9, client.ok(), client.failures()));
    List<BackendStatus> status = proxy.status();
    for (int i = 0; i < servers.size(); i++) {
      BackendStatus s = status.get(i);
      sb.append(String.format(Locale.ROOT, " | %s %s w=%d active=%d %.0f req/s", s.backend().id(), s.health(),
          s.backend().weight(), s.activeSessions(), rates.rate(i)));
    }
    out.println(sb);
    out.flush();
  }

  private int summary(ProxyServer proxy, DemoClient client) {
    drainEvents();
    out.println();
    out.println("summary");
    out.printf(Locale.ROOT, "  requests ok %d, failed %d (last failure: %s)%n", client.ok(), client.failures(),
        client.failures() == 0 ? "none" : client.lastFailure());
    for (BackendStatus s : proxy.status()) {
      out.printf(Locale.ROOT, "  %-6s answered %6d, health %s, connect failures %d%n", s.backend().id(),
          client.answeredBy(s.backend().id()), s.health(), s.connectFailures());
    }
    ProxyStats st = proxy.stats();
    out.printf(Locale.ROOT, "  proxy: %d connections accepted, %d retried on another backend, %d refused%n",
        st.accepted(), st.retries(), st.rejected());
    int failedAfter = 0;
    if (stoppedAt > 0) {
      if (detectedAt > 0) {
        failedAfter = client.failuresSince(detectedAt);
        out.printf(Locale.ROOT, "  %s stopped at %.1fs, marked DOWN %.1fs later; requests failed after detection: %d%n",
            VICTIM, (stoppedAt - t0) / 1e9, (detectedAt - stoppedAt) / 1e9, failedAfter);
      } else {
        out.printf(Locale.ROOT, "  %s stopped at %.1fs and was not marked down before the end%n", VICTIM,
            (stoppedAt - t0) / 1e9);
      }
    }
    if (st.retries() > 0) {
      out.printf(Locale.ROOT, "  %d connections that reached a dead backend before detection were retried on another one%n",
          st.retries());
    }
    if (upAgainAt > 0) {
      StringBuilder r = new StringBuilder();
      for (int i = 0; i < ramp.size(); i++) {
        r.append(i == 0 ? "" : ", ").append(i + 1).append("s ").append(ramp.get(i)).append('%');
      }
      out.printf(Locale.ROOT, "  %s back UP %.1fs after its restart; slow start %s, its share of answers each second after: %s%n",
          VICTIM, (upAgainAt - restartedAt) / 1e9, Durations.format(options.slowStart()),
          r.length() == 0 ? "(the demo ended first)" : r);
    }
    out.flush();
    return failedAfter == 0 ? 0 : 1;
  }
}
