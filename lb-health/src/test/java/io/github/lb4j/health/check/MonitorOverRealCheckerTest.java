package io.github.lb4j.health.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.health.HealthMonitor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The monitor on its own thread with a real [http] checker against loopback servers: a good
 * backend goes UP, a broken one DOWN, a backend whose server dies goes DOWN; closing everything
 * leaves no lb4j thread.
 */
class MonitorOverRealCheckerTest {

  @Test
  void monitor_detectsUpDownAndFailure_onItsOwnThread() throws Exception {
    List<String> transitions = new CopyOnWriteArrayList<>();
    String ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    LoopbackServer good = new LoopbackServer(LoopbackServer.respond(ok));
    LoopbackServer dying = new LoopbackServer(LoopbackServer.respond(ok));
    try (LoopbackServer bad = new LoopbackServer(LoopbackServer.respond("HTTP/1.1 503 X\r\nContent-Length: 0\r\n\r\n"));
        HealthChecker http = HealthCheckers.create("http", Map.of());
        HealthMonitor m = HealthMonitor.builder(http).interval(Duration.ofMillis(50)).timeout(Duration.ofMillis(500))
            .listener((b, from, to, cause) -> transitions.add(b.id() + ":" + to)).build()) {
      m.add(Backend.of("good", good.address()));
      m.add(Backend.of("bad", bad.address()));
      m.add(Backend.of("dying", dying.address()));
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> m.state("good") == HealthState.UP
          && m.state("bad") == HealthState.DOWN && m.state("dying") == HealthState.UP);
      dying.close();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> m.state("dying") == HealthState.DOWN);
      assertThat(transitions).contains("good:UP", "bad:DOWN", "dying:UP", "dying:DOWN");
    } finally {
      good.close();
    }
    Leaks.awaitBaseline(Integer.MAX_VALUE);
  }
}
