package io.github.lb4j.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.Backend;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The graceful stop of {@link ProxyServer#drain}: stop accepting, let in-flight requests finish up
 * to a deadline, cut the rest, and say which happened (HAProxy soft stop and hard-stop-after).
 */
class DrainTest {

  private static final InetAddress LO = InetAddress.getLoopbackAddress();
  private static final Duration HANG_GUARD = Duration.ofSeconds(60);

  private HoldingServer backend;
  private ProxyServer proxy;
  private final ExecutorService clients = Executors.newCachedThreadPool();

  @BeforeEach
  void start() throws IOException {
    backend = new HoldingServer();
    proxy = ProxyServer.builder().listen(new InetSocketAddress(LO, 0)).backend(Backend.of("slow", backend.address())).build();
    proxy.start();
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    backend.close();
    clients.shutdownNow();
  }

  /** Sends one GET and reads the whole answer, or what arrived before the connection ended. */
  static String request(InetSocketAddress to) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(to, 10_000);
      s.setSoTimeout((int) HANG_GUARD.toMillis());
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      try {
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      } catch (java.net.SocketException reset) {
        return "";
      }
    }
  }

  private List<CompletableFuture<String>> inFlight(int n) {
    InetSocketAddress front = proxy.listenAddresses().get(0);
    List<CompletableFuture<String>> answers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      answers.add(CompletableFuture.supplyAsync(() -> {
        try {
          return request(front);
        } catch (IOException e) {
          return "failed: " + e;
        }
      }, clients));
    }
    await().atMost(HANG_GUARD).until(() -> backend.received() == n);
    return answers;
  }

  @Test
  void drain_letsTenSlowRequestsFinish_andRefusesNewConnectionsMeanwhile() throws Exception {
    InetSocketAddress front = proxy.listenAddresses().get(0);
    List<CompletableFuture<String>> answers = inFlight(10);
    CompletableFuture<DrainReport> drain = CompletableFuture.supplyAsync(() -> proxy.drain(HANG_GUARD), clients);

    // Accepting stops first: a new connection is refused while the ten are still held.
    await().atMost(HANG_GUARD).untilAsserted(() ->
        assertThatThrownBy(() -> new Socket().connect(front, 10_000)).isInstanceOf(ConnectException.class));
    assertThat(drain).isNotDone();
    assertThat(answers).noneMatch(CompletableFuture::isDone);

    backend.release();
    DrainReport report = drain.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
    assertThat(answers).allSatisfy(a -> assertThat(a.get()).startsWith("HTTP/1.1 200 OK").endsWith("slow\n"));
    assertThat(report.outcome()).isEqualTo(DrainReport.Outcome.COMPLETE);
    assertThat(report.finished()).isEqualTo(10);
    assertThat(report.cut()).isZero();
  }

  @Test
  void drain_pastItsDeadline_cutsWhatIsLeft_andSaysSo() throws Exception {
    List<CompletableFuture<String>> answers = inFlight(4);
    DrainReport report = proxy.drain(Duration.ofMillis(200));
    assertThat(report.outcome()).isEqualTo(DrainReport.Outcome.DEADLINE);
    assertThat(report.cut()).isEqualTo(4);
    assertThat(report.finished()).isZero();
    assertThat(answers).allSatisfy(a -> assertThat(a.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)).isEmpty());
  }

  @Test
  void close_duringADrain_cutsAtOnce_andTheDrainSaysStopped() throws Exception {
    List<CompletableFuture<String>> answers = inFlight(3);
    CompletableFuture<DrainReport> drain = CompletableFuture.supplyAsync(() -> proxy.drain(Duration.ofHours(1)), clients);
    await().atMost(HANG_GUARD).until(() -> proxy.listenAddresses().isEmpty());
    proxy.close();
    DrainReport report = drain.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
    assertThat(report.outcome()).isEqualTo(DrainReport.Outcome.STOPPED);
    assertThat(report.cut()).isEqualTo(3);
    assertThat(answers).allSatisfy(a -> assertThat(a.get(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)).isEmpty());
  }

  @Test
  void drain_withNothingOpen_endsAtOnce() {
    DrainReport report = proxy.drain(HANG_GUARD);
    assertThat(report.outcome()).isEqualTo(DrainReport.Outcome.COMPLETE);
    assertThat(report.finished()).isZero();
    assertThat(report.cut()).isZero();
  }
}
