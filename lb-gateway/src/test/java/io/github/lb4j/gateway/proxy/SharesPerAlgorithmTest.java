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
      default -> assertThat(shares).isNotEmpty();
    }
  }
}
