package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.health.AgentChecker;
import io.github.lb4j.health.AgentReport;
import io.github.lb4j.health.TrafficObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** HAProxy's agent-check and observe, applied by the pool. */
class AgentAndObserveTest {

  @Test
  void agentWords_setWeightLimitStateAndHealth() {
    Backend heavy = Fixtures.backend("b0", 10).withWeight(100);
    try (BackendPool pool = BackendPool.builder().backends(heavy, Fixtures.backend("b1", 11)).build()) {
      pool.applyAgentReport("b0", AgentReport.parse("75%")).join();
      assertThat(pool.backend("b0").weight()).isEqualTo(75);
      pool.applyAgentReport("b0", AgentReport.parse("weight:7")).join();
      assertThat(pool.backend("b0").weight()).isEqualTo(7);
      pool.setWeight("b0", 3).join(); // the operator stands above the agent
      pool.applyAgentReport("b0", AgentReport.parse("50%")).join();
      assertThat(pool.backend("b0").weight()).isEqualTo(3);
      pool.clearWeight("b0").join();
      assertThat(pool.backend("b0").weight()).isEqualTo(50);

      pool.applyAgentReport("b0", AgentReport.parse("drain")).join();
      assertThat(pool.backend("b0").admin()).isEqualTo(AdminState.DRAINING);
      assertThat(pool.backend("b0").serving()).isFalse();
      pool.applyAgentReport("b0", AgentReport.parse("maint")).join();
      assertThat(pool.backend("b0").admin()).isEqualTo(AdminState.MAINTENANCE);
      pool.applyAgentReport("b0", AgentReport.parse("ready")).join();
      assertThat(pool.backend("b0").serving()).isTrue();

      pool.applyAgentReport("b0", AgentReport.parse("down #disk full")).join();
      assertThat(pool.backend("b0").serving()).isFalse();
      assertThat(pool.backend("b0").reported()).isEqualTo(HealthState.DOWN);
      for (int i = 0; i < 10; i++) {
        Lease l = pool.pick(i);
        assertThat(l.backendId()).isEqualTo("b1");
        l.complete(Outcome.SUCCESS, 0);
      }
      // No answer changes nothing; "up" brings it back.
      pool.applyAgentReport("b0", AgentReport.noAnswer(io.github.lb4j.api.HealthResult.unhealthy(
          io.github.lb4j.api.HealthReason.REFUSED, 0, "refused"))).join();
      assertThat(pool.backend("b0").serving()).isFalse();
      pool.applyAgentReport("b0", AgentReport.parse("up")).join();
      assertThat(pool.backend("b0").serving()).isTrue();
    }
  }

  @Test
  void agentMaxconn_boundsRequestsInFlight_andZeroLifts() {
    try (BackendPool pool = BackendPool.builder().backends(Fixtures.backend("b0", 10)).build()) {
      pool.applyAgentReport("b0", AgentReport.parse("maxconn:2")).join();
      Lease a = pool.pick(1L);
      Lease b = pool.pick(2L);
      assertThat(pool.pick(3L).status()).isEqualTo(PickStatus.LIMIT);
      a.complete(Outcome.SUCCESS, 0);
      Lease c = pool.pick(3L);
      assertThat(c.isGranted()).isTrue();
      pool.applyAgentReport("b0", AgentReport.parse("maxconn:0")).join();
      assertThat(pool.pick(4L).isGranted()).isTrue();
      b.complete(Outcome.SUCCESS, 0);
    }
  }

  @Test
  void operatorDrain_isNotLiftedByTheAgentsReady() {
    try (BackendPool pool = BackendPool.builder().backends(Fixtures.backends(2)).build()) {
      pool.setAdminState("b0", AdminState.DRAINING).join();
      pool.applyAgentReport("b0", AgentReport.parse("ready up")).join();
      assertThat(pool.backend("b0").admin()).isEqualTo(AdminState.DRAINING);
    }
  }

  @Test
  void agentOnLoopback_isQueriedAndApplied() throws Exception {
    AtomicReference<String> line = new AtomicReference<>("drain\n");
    try (ServerSocket agent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread server = new Thread(() -> {
        while (!agent.isClosed()) {
          try (Socket s = agent.accept(); OutputStream out = s.getOutputStream()) {
            out.write(line.get().getBytes(StandardCharsets.US_ASCII));
          } catch (IOException e) {
            return;
          }
        }
      }, "test-agent");
      server.setDaemon(true);
      server.start();
      Backend b0 = Backend.of("b0", InetAddress.getLoopbackAddress(), 9).withWeight(10);
      AgentChecker checker = (AgentChecker) HealthCheckers.create("agent", Map.of());
      try (BackendPool pool = BackendPool.builder().agentCheck(checker, agent.getLocalPort(), Duration.ofMillis(50))
          .backends(b0, Fixtures.backend("b1", 11)).build()) {
        await().atMost(Duration.ofSeconds(20)).until(() -> pool.backend("b0").admin() == AdminState.DRAINING);
        line.set("ready 200%\n");
        await().atMost(Duration.ofSeconds(20)).until(() -> pool.backend("b0").weight() == 20 && pool.backend("b0").serving());
      }
      server.interrupt();
    }
  }

  @Test
  void observe_countsTrafficErrorsIntoTheHealthCheck() throws Exception {
    ManualClock clock = new ManualClock();
    ManualTimer timer = new ManualTimer(clock);
    try (LoopbackHttp s0 = new LoopbackHttp("s0");
        LoopbackHttp s1 = new LoopbackHttp("s1");
        BackendPool pool = BackendPool.builder().clock(clock).timer(timer)
            .healthCheck(HealthCheckers.create("http", Map.of("path", "/health")),
                m -> m.interval(Duration.ofSeconds(10)).timeout(Duration.ofSeconds(5)).rise(1).fall(3).spreadFirstCheck(false))
            .observe(TrafficObserver.of(TrafficObserver.Mode.LAYER7, 3, TrafficObserver.Action.MARK_DOWN))
            .backends(s0.backend(), s1.backend()).build()) {
      timer.runUntil(() -> pool.backend("s0").checked() == HealthState.UP && pool.backend("s1").checked() == HealthState.UP);
      List<Lease> failed = new ArrayList<>();
      while (failed.size() < 3) {
        Lease l = pool.pick(failed.size());
        if (l.backendId().equals("s0")) {
          failed.add(l);
        } else {
          l.complete(Outcome.SUCCESS, 0);
        }
      }
      failed.get(0).complete(Outcome.FAILURE, 0);
      failed.get(1).complete(Outcome.FAILURE, 0);
      assertThat(pool.backend("s0").serving()).isTrue();
      failed.get(2).complete(Outcome.FAILURE, 0); // the third consecutive error: mark-down
      timer.runUntil(() -> pool.backend("s0").checked() == HealthState.DOWN);
      assertThat(pool.backend("s0").detail()).contains("observed traffic");
      // The check, brought forward, finds the server well and rise 1 brings it back.
      timer.advance(Duration.ofSeconds(10));
      timer.runUntil(() -> pool.backend("s0").checked() == HealthState.UP);
    }
  }

  @Test
  void observe_withoutHealthCheck_isRefused() {
    assertThatThrownBy(() -> BackendPool.builder().observe(TrafficObserver.of(TrafficObserver.Mode.LAYER4))
        .backends(Fixtures.backends(1)).build()).hasMessageContaining("healthCheck");
  }

  @Test
  void adaptiveWeights_areFedThroughLeasesAndThePool() {
    ManualClock clock = new ManualClock();
    try (BackendPool pool = BackendPool.builder().scheduler("weighted-round-robin-adaptive").clock(clock)
        .backends(Fixtures.backends(2)).build()) {
      for (int second = 0; second < 13; second++) {
        Lease l = pool.pick(second);
        assertThat(l.reportLoad(100, 0, l.backendId().equals("b0") ? 0.5 : 0.25, 0)).isTrue();
        l.complete(Outcome.SUCCESS, 0);
        // b0 reports through leases when it serves one, and out of band every second.
        assertThat(pool.reportLoad("b0", 100, 0, 0.5, 0)).isTrue();
        assertThat(pool.reportLoad("b1", 100, 0, 0.25, 0)).isTrue();
        clock.advance(Duration.ofSeconds(1));
      }
      assertThat(pool.reportLoad("nobody", 1, 0, 1, 0)).isFalse();
      int b1 = 0;
      for (int i = 0; i < 3000; i++) {
        Lease l = pool.pick(i);
        b1 += l.backendId().equals("b1") ? 1 : 0;
        l.complete(Outcome.SUCCESS, 0);
      }
      // Weights qps / utilization: 200 and 400.
      assertThat(b1).isBetween(1950, 2050);
    }
  }
}
