package io.github.lb4j.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.gateway.demo.HttpBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Health checks through lb-health's checkers drive the proxy's scheduler (seed S2): a stopped
 * backend is marked down within fall x (interval + timeout) and no request fails after that;
 * a backend whose HTTP check fails while its port stays open is taken out too.
 */
class HealthFailoverTest {

  private static final InetAddress LO = InetAddress.getLoopbackAddress();
  private final List<HttpBackend> web = new ArrayList<>();
  private ProxyServer proxy;
  private final Map<String, Long> downAt = new ConcurrentHashMap<>();
  private final Map<String, Long> upAt = new ConcurrentHashMap<>();

  private void start(HealthCheckSpec spec) throws IOException {
    ProxyServer.Builder b = ProxyServer.builder().listen(new InetSocketAddress(LO, 0)).algorithm("round-robin")
        .healthCheck(spec)
        .healthListener((backend, from, to, cause) -> {
          if (to == HealthState.DOWN) {
            downAt.put(backend.id(), System.nanoTime());
          } else if (to == HealthState.UP) {
            upAt.put(backend.id(), System.nanoTime());
          }
        });
    for (int i = 1; i <= 3; i++) {
      HttpBackend w = new HttpBackend("web-" + i, new InetSocketAddress(LO, 0));
      w.start();
      web.add(w);
      b.backend(Backend.of(w.name(), w.address()));
    }
    proxy = b.build();
    proxy.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> upAt.size() == 3);
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    web.forEach(HttpBackend::stop);
  }

  @Test
  void tcpCheck_marksAStoppedBackendDown_andNoRequestFailsAfterTheDetection() throws Exception {
    HealthCheckSpec spec = new HealthCheckSpec("tcp", Map.of(), Duration.ofMillis(200), Duration.ofMillis(100), 2, 2);
    start(spec);
    InetSocketAddress front = proxy.listenAddresses().get(0);
    ConcurrentLinkedQueue<Long> failures = new ConcurrentLinkedQueue<>();
    Thread traffic = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          Http.get(front);
        } catch (IOException e) {
          failures.add(System.nanoTime());
        }
      }
    });
    traffic.start();
    try {
      // Traffic reaches every backend before one stops. How soon the monitor detects it is
      // HealthMonitorTest's subject (fall x (interval + timeout), on a hand-driven clock).
      await().atMost(Duration.ofSeconds(30)).until(() -> web.stream().allMatch(w -> w.requests() > 0));
      web.get(1).stop();
      await().atMost(Duration.ofSeconds(30)).until(() -> downAt.containsKey("web-2"));

      Map<String, Integer> after = new HashMap<>();
      for (int i = 0; i < 60; i++) {
        after.merge(Http.get(front), 1, Integer::sum);
      }
      assertThat(after).containsOnlyKeys("web-1", "web-3");
      long detectedAt = downAt.get("web-2");
      assertThat(failures).noneMatch(t -> t - detectedAt > 0);

      web.get(1).start();
      await().atMost(Duration.ofSeconds(10)).until(() -> upAt.get("web-2") > detectedAt);
      Map<String, Integer> back = new HashMap<>();
      for (int i = 0; i < 60; i++) {
        back.merge(Http.get(front), 1, Integer::sum);
      }
      assertThat(back).containsKeys("web-1", "web-2", "web-3");
    } finally {
      traffic.interrupt();
      traffic.join(10_000);
    }
  }

  @Test
  void httpCheck_takesOutABackendAnswering503_whileItsPortStaysOpen() throws Exception {
    start(new HealthCheckSpec("http", Map.of("path", "/health"), Duration.ofMillis(200), Duration.ofMillis(100), 2, 2));
    InetSocketAddress front = proxy.listenAddresses().get(0);

    web.get(2).failHealth(true);
    await().atMost(Duration.ofSeconds(10)).until(() -> downAt.containsKey("web-3"));

    Map<String, Integer> shares = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      shares.merge(Http.get(front), 1, Integer::sum);
    }
    assertThat(shares).containsOnly(Map.entry("web-1", 15), Map.entry("web-2", 15));
    assertThat(proxy.status().get(2).health()).isEqualTo(HealthState.DOWN);
    assertThat(proxy.status().get(2).detail()).contains("503");
  }
}
