package io.github.lb4j.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.gateway.demo.HttpBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every registered scheduler, run by name inside the proxy over three real HTTP backends with weights
 * 3, 2 and 1 and 300 sequential connections from 127.0.0.1: every request is answered, the proxy's
 * session counters agree with what the backends answered, and each algorithm's shares are those it
 * promises (seed S3).
 */
class SharesPerAlgorithmTest {

  private static final InetAddress LO = InetAddress.getLoopbackAddress();
  private static final List<HttpBackend> WEB = new ArrayList<>();
  private static final int REQUESTS = 300;

  @BeforeAll
  static void startBackends() throws IOException {
    for (int i = 1; i <= 3; i++) {
      HttpBackend b = new HttpBackend("web-" + i, new InetSocketAddress(LO, 0));
      b.start();
      WEB.add(b);
    }
  }

  @AfterAll
  static void stopBackends() {
    WEB.forEach(HttpBackend::stop);
  }

  static Stream<String> algorithms() {
    return Schedulers.descriptions().keySet().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("algorithms")
  void everyAlgorithm_answersEveryRequest_withTheSharesItPromises(String algorithm) throws IOException {
    ProxyServer.Builder b = ProxyServer.builder().listen(new InetSocketAddress(LO, 0)).algorithm(algorithm).seed(7);
    int[] weights = {3, 2, 1};
    for (int i = 0; i < 3; i++) {
      b.backend(Backend.of(WEB.get(i).name(), WEB.get(i).address()).withWeight(weights[i]));
    }
    try (ProxyServer p = b.build()) {
      p.start();
      InetSocketAddress front = p.listenAddresses().get(0);
      Map<String, Integer> shares = new HashMap<>();
      for (int i = 0; i < REQUESTS; i++) {
        shares.merge(Http.get(front), 1, Integer::sum);
      }

      assertThat(shares.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(REQUESTS);
      await().untilAsserted(() -> assertThat(p.stats().active()).isZero());
      for (BackendStatus s : p.status()) {
        assertThat(s.totalSessions()).as("sessions counted for %s", s.backend().id())
            .isEqualTo(shares.getOrDefault(s.backend().id(), 0).longValue());
      }
      for (BackendLoad load : p.sessions().all()) {
        assertThat(load.active() + load.inactive()).isZero();
        assertThat(load.unmatchedCloses()).isZero();
      }
      promised(algorithm, shares);
    }
  }

  /** The algorithms that follow live load (active sessions, latency): they must avoid a slow backend. */
  static Stream<String> loadAware() {
    return Stream.of("least-connections", "weighted-least-connections", "shortest-expected-delay", "never-queue",
        "power-of-two-choices", "peak-ewma").filter(Schedulers.descriptions()::containsKey);
  }

  /**
   * Three backends of equal weight, one answering 100 ms late, eight clients in parallel: a scheduler
   * that reads live load sees the slow one's sessions pile up and gives it less than half its fair
   * third. Round robin, blind to load, gives it exactly a third: the bound separates the two.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("loadAware")
  void loadAwareAlgorithms_sendLessThanHalfAFairShareToASlowBackend(String algorithm) throws Exception {
    Map<String, Integer> shares = sharesUnderParallelLoad(algorithm);
    System.out.println(algorithm + " with a slow backend, 8 clients: " + shares);
    assertThat(shares.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(PARALLEL_REQUESTS);
    assertThat(shares.getOrDefault("slow", 0)).as("slow backend's share with %s: %s", algorithm, shares)
        .isLessThan(PARALLEL_REQUESTS / 6);
  }

  @Test
  void roundRobin_isBlindToLoad_andGivesTheSlowBackendItsThird() throws Exception {
    Map<String, Integer> shares = sharesUnderParallelLoad("round-robin");
    assertThat(shares.getOrDefault("slow", 0)).as("%s", shares).isEqualTo(PARALLEL_REQUESTS / 3);
  }

  private static final int PARALLEL_REQUESTS = 240;
  private static final int CLIENTS = 8;

  private static Map<String, Integer> sharesUnderParallelLoad(String algorithm) throws Exception {
    try (SlowServer slow = new SlowServer("slow", 100)) {
      ProxyServer.Builder b = ProxyServer.builder().listen(new InetSocketAddress(LO, 0)).algorithm(algorithm).seed(7)
          .backend(Backend.of(WEB.get(0).name(), WEB.get(0).address()))
          .backend(Backend.of(WEB.get(1).name(), WEB.get(1).address()))
          .backend(Backend.of(slow.name(), slow.address()));
      try (ProxyServer p = b.build()) {
        p.start();
        InetSocketAddress front = p.listenAddresses().get(0);
        Map<String, Integer> shares = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(PARALLEL_REQUESTS);
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(CLIENTS);
        try {
          List<java.util.concurrent.Future<?>> done = new ArrayList<>();
          for (int c = 0; c < CLIENTS; c++) {
            done.add(clients.submit(() -> {
              while (left.getAndDecrement() > 0) {
                shares.merge(Http.get(front), 1, Integer::sum);
              }
              return null;
            }));
          }
          for (java.util.concurrent.Future<?> f : done) {
            f.get(2, java.util.concurrent.TimeUnit.MINUTES);
          }
        } finally {
          clients.shutdownNow();
        }
        return shares;
      }
    }
  }

  private static void promised(String algorithm, Map<String, Integer> shares) {
    int a = shares.getOrDefault("web-1", 0);
    int b = shares.getOrDefault("web-2", 0);
    int c = shares.getOrDefault("web-3", 0);
    switch (algorithm) {
      case "round-robin" -> assertThat(List.of(a, b, c)).containsExactly(100, 100, 100);
      case "weighted-round-robin", "smooth-weighted-round-robin" -> assertThat(List.of(a, b, c)).containsExactly(150, 100, 50);
      case "weighted-random" -> {
        assertThat(a).isBetween(110, 190);
        assertThat(b).isBetween(65, 135);
        assertThat(c).isBetween(25, 80);
      }
      case "random" -> assertThat(List.of(a, b, c)).allSatisfy(n -> assertThat(n).isBetween(65, 135));
      // One client address: hashing the source alone keeps it on one backend (S3.3); failover
      // sends everything to the heaviest backend; lblc keys on the destination, one address here.
      case "source-hash", "locality-least-connections" -> assertThat(shares).hasSize(1);
      case "failover" -> assertThat(shares).containsOnlyKeys("web-1");
      // Jump hashing has no weights (Lamping and Veach): equal shares of the spread client ports.
      case "jump" -> assertThat(List.of(a, b, c)).allSatisfy(n -> assertThat(n).isBetween(60, 140));
      // The client port changes per connection, so four-tuple hashes spread, heaviest first.
      case "four-tuple-hash", "maglev", "ring-hash", "rendezvous" -> {
        assertThat(shares).hasSize(3);
        assertThat(a).isGreaterThan(c);
      }
      // With one client at a time every backend is idle at each pick, so load cannot tell them apart
      // here; loadAwareAlgorithms_sendLessThanHalfAFairShareToASlowBackend holds them to their promise.
      case "least-connections", "weighted-least-connections", "shortest-expected-delay", "never-queue",
          "power-of-two-choices", "peak-ewma" -> assertThat(shares).isNotEmpty();
      default -> assertThat(shares).as("an algorithm this test does not know yet answered").isNotEmpty();
    }
  }
}
