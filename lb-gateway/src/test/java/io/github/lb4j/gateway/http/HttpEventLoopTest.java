package io.github.lb4j.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.gateway.http.RawBackend.Reply;
import io.github.lb4j.gateway.http.RawClient.Response;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The event loops' own paths: heads that arrive in pieces, connections handed over to blocking I/O
 * (a request body, a chunked response) and served on afterwards, large bodies relayed with
 * back-pressure, connections spread over several loops.
 */
class HttpEventLoopTest {

  private static final String GET = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

  @Test
  void headArrivingOneByteAtATime_isScannedAsItComes() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      c.socket.setTcpNoDelay(true);
      OutputStream out = c.socket.getOutputStream();
      for (byte x : "GET /piece HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)) {
        out.write(x);
        out.flush();
      }
      assertThat(c.read().status()).isEqualTo(200);
      assertThat(b.received.get(0).requestLine()).isEqualTo("GET /piece HTTP/1.1");
      assertThat(c.send(GET).read().status()).isEqualTo(200);
    }
  }

  @Test
  void requestWithABody_thenMoreRequests_onTheSameConnection() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      assertThat(c.send(GET).read().status()).isEqualTo(200);
      assertThat(c.send("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello").read().status()).isEqualTo(200);
      assertThat(c.send(GET).read().status()).isEqualTo(200);
      assertThat(b.received).hasSize(3);
      assertThat(b.received.get(1).bodyText()).isEqualTo("hello");
      assertThat(b.received.get(2).requestLine()).isEqualTo("GET / HTTP/1.1");
    }
  }

  @Test
  void chunkedResponse_thenMoreRequests_onTheSameConnection() throws Exception {
    String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    try (RawBackend b = new RawBackend("web-1", r -> r.requestLine().contains("/chunked") ? Reply.of(chunked) : Reply.ok("plain"));
        Fixture f = Fixture.of(b); RawClient c = f.client()) {
      assertThat(c.send("GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n").read().body()).isEqualTo("abc");
      assertThat(c.send(GET).read().body()).isEqualTo("plain");
      assertThat(c.send("GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n").read().body()).isEqualTo("abc");
    }
  }

  @Test
  void pipelinedRequestsAroundAHandOver_areAnsweredInOrder() throws Exception {
    try (RawBackend b = new RawBackend("web-1", r -> Reply.ok(r.requestLine().split(" ")[1]));
        Fixture f = Fixture.of(b); RawClient c = f.client()) {
      c.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nxyGET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
      assertThat(c.read().body()).isEqualTo("/1");
      assertThat(c.read().body()).isEqualTo("/2");
      assertThat(c.read().body()).isEqualTo("/3");
    }
  }

  @Test
  void largeBody_isRelayedWhole() throws Exception {
    String big = "b".repeat(3_000_000);
    try (RawBackend b = new RawBackend("web-1", r -> Reply.ok(big)); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      Response r = c.send(GET).read();
      assertThat(r.body()).hasSize(big.length()).isEqualTo(big);
      assertThat(c.send(GET).read().body()).hasSize(big.length());
    }
  }

  @Test
  void severalLoops_serveConcurrentClientsAndReuseTheirBackendConnections() throws Exception {
    try (RawBackend a = RawBackend.named("web-1"); RawBackend b = RawBackend.named("web-2");
        Fixture f = new Fixture(List.of(a, b), p -> {}, h -> h.eventLoops(3))) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<Integer>> done = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          done.add(pool.submit(() -> {
            int ok = 0;
            try (RawClient c = f.client()) {
              for (int k = 0; k < 25; k++) {
                if (c.send(GET).read().status() == 200) {
                  ok++;
                }
              }
            }
            return ok;
          }));
        }
        for (Future<Integer> d : done) {
          assertThat(d.get()).isEqualTo(25);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(f.received()).isEqualTo(200);
      HttpProxyStats s = f.proxy.stats();
      assertThat(s.backendReuses()).isGreaterThan(s.backendConnects());
      await().atMost(Duration.ofSeconds(10)).until(() -> f.proxy.stats().active() == 0);
    }
  }
}
