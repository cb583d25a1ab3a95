package io.github.lb4j.health.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthResult;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every failure scenario, many checks at once, leaves no lb4j thread and no file descriptor behind
 * once the checkers and servers are closed (counted in /proc/self/fd).
 */
class NoLeakTest {

  static void scenario(SSLContext tls) throws Exception {
    String ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    try (LoopbackServer hang = new LoopbackServer(LoopbackServer.hang());
        LoopbackServer reset = new LoopbackServer(LoopbackServer.reset());
        LoopbackServer slow = new LoopbackServer(LoopbackServer.trickle(ok, 100));
        LoopbackServer fivehundred = new LoopbackServer(LoopbackServer.respond("HTTP/1.1 500 X\r\nContent-Length: 0\r\n\r\n"));
        LoopbackServer wrong = new LoopbackServer(LoopbackServer.respond("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbad"));
        LoopbackServer secure = new LoopbackServer(tls.getServerSocketFactory(), s -> {
          ((SSLSocket) s).startHandshake();
          LoopbackServer.readHead(s.getInputStream());
          s.getOutputStream().write(ok.getBytes(StandardCharsets.UTF_8));
          s.close();
        });
        HealthChecker http = HealthCheckers.create("http-content", Map.of("contains", "ok"));
        HealthChecker https = HealthCheckers.create("http", Map.of("tls", "true", "trust", "all"));
        HealthChecker httpsStrict = HealthCheckers.create("tls", Map.of());
        HealthChecker tcp = HealthCheckers.create("tcp", Map.of());
        HealthChecker half = HealthCheckers.create("tcp-half-open", Map.of())) {
      InetSocketAddress refused = LoopbackServer.refusingPort();
      Duration t = Duration.ofMillis(500);
      List<CompletableFuture<HealthResult>> all = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        for (InetSocketAddress a : List.of(refused, hang.address(), reset.address(), slow.address(), fivehundred.address(),
            wrong.address())) {
          all.add(http.check(a, t));
          all.add(tcp.check(a, t));
          all.add(half.check(a, t));
        }
        all.add(https.check(secure.address(), t));
        all.add(httpsStrict.check(secure.address(), t));
        all.add(https.check(hang.address(), t));
      }
      for (CompletableFuture<HealthResult> f : all) {
        assertThat(f.get(5, TimeUnit.SECONDS)).isNotNull();
      }
      // A check left running when its checker closes must not leak either.
      http.check(hang.address(), Duration.ofSeconds(30));
      https.check(hang.address(), Duration.ofSeconds(30));
    }
  }

  @Test
  void failureScenarios_leaveNoThreadAndNoSocket(@TempDir Path dir) throws Exception {
    SSLContext tls = SelfSignedTls.serverContext(dir);
    scenario(tls);
    Leaks.awaitBaseline(Integer.MAX_VALUE);
    // The JDK may still be closing sockets of the first round: measure once two readings agree.
    int[] last = {Leaks.openFds()};
    await().pollInterval(Duration.ofMillis(100)).atMost(Duration.ofSeconds(30)).until(() -> {
      int n = Leaks.openFds();
      boolean stable = n == last[0];
      last[0] = n;
      return stable;
    });
    int before = Leaks.openFds();
    scenario(tls);
    Leaks.awaitBaseline(before);
    assertThat(Leaks.openFds()).isLessThanOrEqualTo(before);
    assertThat(Leaks.lb4jThreads()).isEmpty();
  }
}
