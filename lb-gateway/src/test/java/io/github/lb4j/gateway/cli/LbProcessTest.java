package io.github.lb4j.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.gateway.proxy.HoldingServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code lb proxy} as a real process: signals, exit status and what it prints. */
class LbProcessTest {

  private static final Pattern LISTENING = Pattern.compile("^lb proxy: listening on 127\\.0\\.0\\.1:(\\d+),");
  /** slf4j-simple as the launcher configures it: ISO 8601 time with milliseconds and offset, then the level. */
  private static final Pattern LOG_LINE = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2}) \\[(INFO|WARN|ERROR)\\] ");
  private static final Pattern STATUS = Pattern.compile(
      "^accepted=(\\d+) active=(\\d+) rejected=(\\d+) retries=(\\d+) connect-failures=(\\d+) local-shortages=(\\d+) \\| web .* failures=(\\d+)$");

  private final ExecutorService clients = Executors.newCachedThreadPool();

  @AfterEach
  void stopClients() {
    clients.shutdownNow();
  }

  private static InetSocketAddress front(LbProcess lb) {
    Matcher m = LISTENING.matcher(lb.awaitOut(l -> LISTENING.matcher(l).find()));
    assertThat(m.find()).isTrue();
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(m.group(1)));
  }

  private List<CompletableFuture<String>> inFlight(InetSocketAddress front, HoldingServer backend, int n) {
    List<CompletableFuture<String>> answers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      answers.add(CompletableFuture.supplyAsync(() -> {
        try (Socket s = new Socket()) {
          s.connect(front, 10_000);
          s.getOutputStream().write("GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
          return "";
        }
      }, clients));
    }
    await().atMost(LbProcess.HANG_GUARD).until(() -> backend.received() == n);
    return answers;
  }

  @Test
  void sigterm_drainsTenSlowRequests_refusesNewConnections_andExitsWith143() throws Exception {
    try (HoldingServer backend = new HoldingServer();
        LbProcess lb = LbProcess.start("proxy", "--listen", "127.0.0.1:0", "--backend", "slow=127.0.0.1:" + backend.address().getPort(),
            "--drain-timeout", "60s")) {
      InetSocketAddress front = front(lb);
      List<CompletableFuture<String>> answers = inFlight(front, backend, 10);

      lb.terminate();
      lb.awaitOut(l -> l.equals("lb proxy: SIGTERM: stopped accepting; draining 10 connections for up to 1m (a second signal stops at once)"));
      assertThatThrownBy(() -> new Socket().connect(front, 10_000)).isInstanceOf(ConnectException.class);
      assertThat(answers).noneMatch(CompletableFuture::isDone);

      backend.release();
      assertThat(lb.awaitExit()).isEqualTo(143);
      assertThat(answers).allSatisfy(a -> assertThat(a.get()).startsWith("HTTP/1.1 200 OK").endsWith("slow\n"));
      assertThat(lb.out).anySatisfy(l -> assertThat(l).matches("lb proxy: drained in \\d+\\.\\ds: 10 connections finished, none cut"));
      assertThat(lb.err).noneMatch(l -> l.contains("Exception") || l.startsWith("\tat "));
      assertThat(lb.err).isNotEmpty().allSatisfy(l -> assertThat(l).containsPattern(LOG_LINE));
    }
  }

  @Test
  void aFailedStart_printsTheErrorOnly_withoutAStopLineBeforeIt() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        LbProcess lb = LbProcess.start("proxy", "--listen", "127.0.0.1:" + taken.getLocalPort(), "--backend", "127.0.0.1:9")) {
      assertThat(lb.awaitExit()).isEqualTo(1);
      assertThat(lb.err).containsExactly("lb proxy: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": address already in use");
      assertThat(lb.out).isEmpty();
    }
  }

  /**
   * Under a descriptor limit a little above what the idle proxy holds (prlimit), a burst of held
   * connections runs it out of descriptors: it warns once, backs off its accepts, counts the shortage
   * as its own (no backend connect failure, no retry), and serves again once descriptors are free.
   */
  @Test
  void runningOutOfDescriptors_warnsOnce_blamesNoBackend_andRecovers() throws Exception {
    java.nio.file.Path prlimit = io.github.lb4j.testing.Requirements.requireCommand("the descriptor-limit test", "prlimit");
    try (io.github.lb4j.gateway.demo.HttpBackend web = new io.github.lb4j.gateway.demo.HttpBackend("web",
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      web.start();
      String[] args = {"proxy", "--listen", "127.0.0.1:0", "--backend", "web=127.0.0.1:" + web.address().getPort(),
          "--status-interval", "200ms", "--event-loops", "1", "--warm-up", "0s"};
      int idle;
      try (LbProcess probe = LbProcess.start(args)) {
        InetSocketAddress front = front(probe);
        assertThat(get(front)).startsWith("HTTP/1.1 200 OK");
        idle = (int) java.nio.file.Files.list(java.nio.file.Path.of("/proc/" + probe.pid() + "/fd")).count();
      }
      int limit = idle + 8;
      try (LbProcess lb = LbProcess.start(List.of(prlimit.toString(), "--nofile=" + limit + ":" + limit), args)) {
        InetSocketAddress front = front(lb);
        assertThat(get(front)).startsWith("HTTP/1.1 200 OK");
        // Classes load from directories here (one descriptor per load, unlike lb.jar): let the status
        // code load before the descriptors run out.
        lb.awaitOut(l -> STATUS.matcher(l).find());
        List<Socket> held = new ArrayList<>();
        try {
          for (int i = 0; i < 30; i++) {
            Socket s = new Socket();
            s.connect(front, 10_000);
            held.add(s);
          }
          String status = lb.awaitOut(l -> {
            Matcher m = STATUS.matcher(l);
            return m.find() && Long.parseLong(m.group(6)) >= 3;
          });
          Matcher m = STATUS.matcher(status);
          assertThat(m.find()).isTrue();
          assertThat(m.group(4)).as("retries, in %s", status).isEqualTo("0");
          assertThat(m.group(5)).as("connect failures, in %s", status).isEqualTo("0");
          assertThat(m.group(7)).as("the backend's failures, in %s", status).isEqualTo("0");
          long shortages = Long.parseLong(m.group(6));
          List<String> warnings = lb.err.stream().filter(l -> l.contains("[WARN]")).toList();
          assertThat(warnings).as("one warning per 10 s, not one per failure: %s", warnings).isNotEmpty().hasSizeLessThan((int) shortages)
              .allSatisfy(w -> assertThat(w).containsPattern(
                  "cannot (accept a connection|open a backend connection): Too many open files; \\d+ such failures in the last 10 s"));
        } finally {
          for (Socket s : held) {
            s.close();
          }
        }
        await().atMost(LbProcess.HANG_GUARD).ignoreExceptions().until(() -> get(front).startsWith("HTTP/1.1 200 OK"));
        lb.terminate();
        assertThat(lb.awaitExit()).isEqualTo(143);
      }
    }
  }

  private static String get(InetSocketAddress front) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(front, 10_000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  @Test
  void aSecondSigterm_cutsAtOnce_andReportsWhatWasCut() throws Exception {
    try (HoldingServer backend = new HoldingServer();
        LbProcess lb = LbProcess.start("proxy", "--listen", "127.0.0.1:0", "--backend", "slow=127.0.0.1:" + backend.address().getPort())) {
      InetSocketAddress front = front(lb);
      List<CompletableFuture<String>> answers = inFlight(front, backend, 10);

      lb.terminate();
      lb.awaitOut(l -> l.startsWith("lb proxy: SIGTERM: stopped accepting; draining 10 connections for up to 30s"));
      lb.terminate();
      assertThat(lb.awaitExit()).isEqualTo(143);
      assertThat(lb.out).contains("lb proxy: second signal: stopping at once");
      assertThat(lb.out).anySatisfy(l -> assertThat(l)
          .matches("lb proxy: stopped at once by a second signal after \\d+\\.\\ds: 0 connections finished, 10 cut"));
      assertThat(answers).allSatisfy(a -> assertThat(a.get()).isEmpty());
      assertThat(backend.answered()).isZero();
    }
  }
}
