package io.github.lb4j.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.gateway.http.RawBackend.Reply;
import io.github.lb4j.gateway.http.RawClient.Response;
import io.github.lb4j.pool.AdminState;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Misbehaving backends: refused, silent, closing, slow, garbled, failing, full. */
class BackendFailureTest {

  private static final String GET = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  private static final String POST = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi";

  @Test
  void refusedConnection_anyMethodIsRetriedOnAnotherBackend() throws Exception {
    RawBackend dead = RawBackend.named("dead");
    dead.close();
    try (RawBackend live = RawBackend.named("live");
        Fixture f = new Fixture(List.of(dead, live), p -> p.retryBudget(100, 10), h -> {});
        RawClient c = f.client()) {
      for (int i = 0; i < 4; i++) {
        Response r = c.send(i % 2 == 0 ? GET : POST).read();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("live");
      }
      assertThat(live.received).hasSize(4);
      assertThat(f.proxy.stats().retries()).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void closeWithoutResponse_idempotentIsRetriedElsewhere_postIsNot() throws Exception {
    try (RawBackend closer = new RawBackend("closer", r -> Reply.closing(""));
        RawBackend live = RawBackend.named("live");
        Fixture f = new Fixture(List.of(closer, live), p -> p.scheduler("round-robin").stripes(1).retryBudget(100, 10), h -> {})) {
      int posts502 = 0;
      for (int i = 0; i < 4; i++) {
        try (RawClient c = f.client()) {
          assertThat(c.send(GET).read().body()).isEqualTo("live");
        }
        try (RawClient c = f.client()) {
          Response r = c.send(POST).read();
          if (r.status() == 502) {
            posts502++;
            assertThat(r.body()).contains("closed the connection without a response");
          } else {
            assertThat(r.body()).isEqualTo("live");
          }
        }
      }
      // Round robin sends half of the first attempts to the closer: its GETs were retried, its POSTs not.
      long postsAtCloser = closer.received.stream().filter(r -> r.requestLine().startsWith("POST")).count();
      assertThat(posts502).isEqualTo((int) postsAtCloser).isPositive();
      assertThat(live.received.stream().filter(r -> r.requestLine().startsWith("GET"))).hasSize(4);
    }
  }

  @Test
  void retriesStayWithinThePoolsRetryBudget() throws Exception {
    try (RawBackend a = new RawBackend("a", r -> Reply.closing(""));
        RawBackend b = new RawBackend("b", r -> Reply.closing(""));
        Fixture f = new Fixture(List.of(a, b), p -> p.retryBudget(0, 0), h -> {}); RawClient c = f.client()) {
      Response r = c.send(GET).read();
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.body()).contains("retry budget spent");
      assertThat(a.received.size() + b.received.size()).isEqualTo(1);
    }
  }

  @Test
  void everyBackendFailing_answers502AfterTryingEachOnce() throws Exception {
    try (RawBackend a = new RawBackend("a", r -> Reply.closing(""));
        RawBackend b = new RawBackend("b", r -> Reply.closing(""));
        Fixture f = new Fixture(List.of(a, b), p -> p.retryBudget(100, 10), h -> h.maxAttempts(5));
        RawClient c = f.client()) {
      Response r = c.send(GET).read();
      assertThat(r.status()).isEqualTo(502);
      assertThat(a.received).hasSize(1);
      assertThat(b.received).hasSize(1);
    }
  }

  @Test
  void slowBackend_is504() throws Exception {
    try (RawBackend slow = new RawBackend("slow", r -> Reply.silence());
        Fixture f = new Fixture(List.of(slow), p -> {}, h -> h.backendTimeout(Duration.ofMillis(200)));
        RawClient c = f.client()) {
      Response r = c.send(GET).read();
      assertThat(r.status()).isEqualTo(504);
      assertThat(slow.received).hasSize(1);
      // The request was read whole: the client connection stays usable.
      slow.script(x -> Reply.ok("late"));
      assertThat(c.send(GET).read().body()).isEqualTo("late");
    }
  }

  @Test
  void garbledResponses_are502() throws Exception {
    List<String> garbage = List.of("HELLO\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\n\n", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 101 Switching Protocols\r\n\r\n");
    for (String g : garbage) {
      try (RawBackend bad = new RawBackend("bad", r -> Reply.closing(g));
          Fixture f = Fixture.of(bad); RawClient c = f.client()) {
        Response r = c.send(GET).read();
        assertThat(r.status()).as(g).isEqualTo(502);
        assertThat(r.body()).startsWith("502 Bad Gateway");
      }
    }
  }

  @Test
  void backend5xx_feedsOutlierDetectionUntilEjected() throws Exception {
    try (RawBackend failing = new RawBackend("failing", r -> Reply.status(503));
        RawBackend good = RawBackend.named("good");
        Fixture f = new Fixture(List.of(failing, good), p -> p.outlierDetection(d -> d.consecutiveFailures(3)), h -> {});
        RawClient c = f.client()) {
      int fives = 0;
      while (fives < 3) {
        Response r = c.send(GET).read();
        if (r.status() == 503) {
          fives++;
        }
      }
      // The third 503 was counted before the client had it.
      await().until(() -> f.pool.backend("failing").ejected());
      assertThat(failing.received).hasSize(3);
      for (int i = 0; i < 10; i++) {
        assertThat(c.send(GET).read().body()).isEqualTo("good");
      }
    }
  }

  @Test
  void noServingBackend_is503WithTheReason() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      f.pool.setAdminState("web-1", AdminState.MAINTENANCE).join();
      Response r = c.send(GET).read();
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.body()).contains("no backend available (no backend)");
      f.pool.setAdminState("web-1", AdminState.ACTIVE).join();
      assertThat(c.send(GET).read().status()).isEqualTo(200);
    }
  }

  @Test
  void perBackendLimit_sendsTheExcessAway() throws Exception {
    try (RawBackend slow = new RawBackend("slow", r -> Reply.silence());
        Fixture f = new Fixture(List.of(slow), p -> p.maxRequestsPerBackend(1), h -> {});
        RawClient first = f.client(); RawClient second = f.client()) {
      first.send(GET);
      await().until(() -> slow.received.size() == 1);
      Response r = second.send(GET).read();
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.body()).contains("(limit)");
    }
  }

  @Test
  void idleConnectionClosedByTheBackend_isNotReusedAndNothingFails() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      assertThat(c.send(GET).read().status()).isEqualTo(200);
      b.closeConnections();
      for (int i = 0; i < 3; i++) {
        assertThat(c.send(GET).read().status()).isEqualTo(200);
      }
      assertThat(b.received).hasSize(4);
      assertThat(f.pool.backend("web-1").ejected()).isFalse();
    }
  }

  @Test
  void backendCuttingItsBody_beforeAnyByteWentOut_is502() throws Exception {
    try (RawBackend b = new RawBackend("cut", r -> Reply.closing("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"));
        Fixture f = Fixture.of(b); RawClient c = f.client()) {
      Response r = c.send(GET).read();
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.body()).contains("cut its response");
    }
  }

  @Test
  void backendCuttingItsBody_afterBytesWentOut_cutsTheClientToo() throws Exception {
    String part = "x".repeat(100_000);
    try (RawBackend b = new RawBackend("cut", r -> Reply.closing("HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n" + part));
        Fixture f = Fixture.of(b); RawClient c = f.client()) {
      c.send(GET);
      String head = RawBackend.readHead(c.socket.getInputStream());
      assertThat(head).startsWith("HTTP/1.1 200").contains("Content-Length: 200000");
      assertThat(c.socket.getInputStream().readAllBytes()).hasSize(100_000);
    }
  }
}
