package io.github.lb4j.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.gateway.http.RawBackend.Reply;
import io.github.lb4j.gateway.http.RawClient.Response;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Clients that are slow on purpose (slowloris) or stop reading: each is cut by its timeout. */
class SlowClientTest {

  private static Fixture fixture(RawBackend b) throws Exception {
    return new Fixture(List.of(b), p -> {}, h -> h.headerTimeout(Duration.ofMillis(300))
        .keepAliveTimeout(Duration.ofMillis(300)).clientTimeout(Duration.ofMillis(300)));
  }

  @Test
  void headTricklingPastTheHeaderTimeout_is408() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = fixture(b); RawClient c = f.client()) {
      c.send("GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ");
      Response r = c.read();
      assertThat(r.status()).isEqualTo(408);
      assertThat(c.closedByPeer()).isTrue();
      assertThat(b.received).isEmpty();
    }
  }

  @Test
  void silentNewConnection_isAnswered408() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = fixture(b); RawClient c = f.client()) {
      assertThat(c.read().status()).isEqualTo(408);
    }
  }

  @Test
  void idleKeepAliveConnection_isClosedQuietly() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = fixture(b); RawClient c = f.client()) {
      assertThat(c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status()).isEqualTo(200);
      assertThat(c.closedByPeer()).isTrue();
    }
  }

  @Test
  void bodyStallingPastTheClientTimeout_is408AndTheBackendRequestIsAbandoned() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = fixture(b); RawClient c = f.client()) {
      c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly part");
      assertThat(c.read().status()).isEqualTo(408);
      assertThat(b.received).isEmpty();
      await().until(() -> f.pool.stats().activeRequests() == 0);
    }
  }

  @Test
  void clientThatStopsReading_isCutAfterTheClientTimeout() throws Exception {
    // 32 MB cannot sit in loopback socket buffers: the proxy's write blocks until the sweep cuts it.
    String big = "x".repeat(32 << 20);
    try (RawBackend b = new RawBackend("big", r -> Reply.ok(big));
        Fixture f = new Fixture(List.of(b), p -> {}, h -> h.clientTimeout(Duration.ofMillis(300)));
        RawClient c = f.client()) {
      c.socket.setReceiveBufferSize(4096);
      c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      await().until(() -> f.proxy.stats().active() == 0);
      await().until(() -> f.pool.stats().activeRequests() == 0);
    }
  }
}
