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
