package io.github.lb4j.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.gateway.http.RawBackend.Received;
import io.github.lb4j.gateway.http.RawBackend.Reply;
import io.github.lb4j.gateway.http.RawClient.Response;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpProxyTest {

  @Test
  void forward_getReachesBackendAndComesBack() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      Response r = c.send("GET /a/b?x=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: t\r\n\r\n").read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("web-1");
      Received got = b.received.get(0);
      assertThat(got.requestLine()).isEqualTo("GET /a/b?x=1 HTTP/1.1");
      assertThat(got.header("Host")).isEqualTo("example.test");
      assertThat(got.header("User-Agent")).isEqualTo("t");
      assertThat(got.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
      assertThat(got.header("Forwarded")).isEqualTo("for=127.0.0.1;by=127.0.0.1;proto=http;host=example.test");
    }
  }

  @Test
  void keepAlive_clientAndBackendConnectionsAreReused() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      for (int i = 0; i < 5; i++) {
        Response r = c.send("GET /" + i + " HTTP/1.1\r\nHost: h\r\n\r\n").read();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Connection")).isNull();
      }
      assertThat(b.received).hasSize(5);
      assertThat(b.connections.get()).isEqualTo(1);
      assertThat(f.proxy.stats().backendReuses()).isEqualTo(4);
    }
  }

  @Test
  void pipelining_requestsAreAnsweredInOrder() throws Exception {
    try (RawBackend b = new RawBackend("web-1", r -> Reply.ok(r.requestLine()));
        Fixture f = Fixture.of(b); RawClient c = f.client()) {
      c.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
          + "POST /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /4 HTTP/1.1\r\nHost: h\r\n\r\n");
      assertThat(c.read().body()).isEqualTo("GET /1 HTTP/1.1");
      assertThat(c.read().body()).isEqualTo("GET /2 HTTP/1.1");
      assertThat(c.read().body()).isEqualTo("POST /3 HTTP/1.1");
      assertThat(c.read().body()).isEqualTo("GET /4 HTTP/1.1");
      assertThat(b.received.get(2).bodyText()).isEqualTo("abc");
    }
  }

  @Test
  void hopByHop_connectionAndTheFieldsItNamesAreRemoved() throws Exception {
    try (RawBackend b = new RawBackend("web-1", r -> Reply.of("HTTP/1.1 200 OK\r\nConnection: X-Secret-Out\r\n"
        + "X-Secret-Out: 1\r\nKeep-Alive: timeout=5\r\nX-End: 2\r\nContent-Length: 0\r\n\r\n"));
        Fixture f = Fixture.of(b); RawClient c = f.client()) {
      Response r = c.send("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\n"
          + "Keep-Alive: 300\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: x\r\nX-Kept: k\r\n\r\n").read();
      Received got = b.received.get(0);
      for (String gone : List.of("Connection", "X-Secret", "Keep-Alive", "TE", "Upgrade", "Proxy-Connection")) {
        assertThat(got.header(gone)).as(gone).isNull();
      }
      assertThat(got.header("X-Kept")).isEqualTo("k");
      assertThat(r.header("X-Secret-Out")).isNull();
      assertThat(r.header("Keep-Alive")).isNull();
      assertThat(r.header("X-End")).isEqualTo("2");
    }
  }

  @Test
  void connectionOptionNamingHostOrLengthDoesNotRemoveThem() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      c.send("POST / HTTP/1.1\r\nHost: h\r\nConnection: Host, Content-Length\r\nContent-Length: 2\r\n\r\nok").read();
      Received got = b.received.get(0);
      assertThat(got.header("Host")).isEqualTo("h");
      assertThat(got.header("Content-Length")).isEqualTo("2");
      assertThat(got.bodyText()).isEqualTo("ok");
    }
  }

  @Test
  void forwardedHeaders_areAppendedToWhatTheClientSent() throws Exception {
    try (RawBackend b = RawBackend.named("web-1");
        Fixture f = new Fixture(List.of(b), p -> {}, h -> h.via("lb")); RawClient c = f.client()) {
      Response r = c.send("GET / HTTP/1.1\r\nHost: h:8080\r\nX-Forwarded-For: 192.0.2.7\r\n"
          + "Forwarded: for=192.0.2.7\r\nVia: 1.1 edge\r\n\r\n").read();
      Received got = b.received.get(0);
      assertThat(got.header("X-Forwarded-For")).isEqualTo("192.0.2.7, 127.0.0.1");
      assertThat(got.header("Forwarded")).isEqualTo("for=192.0.2.7, for=127.0.0.1;by=127.0.0.1;proto=http;host=\"h:8080\"");
      assertThat(got.header("Via")).isEqualTo("1.1 edge, 1.1 lb");
      assertThat(r.header("Via")).isEqualTo("1.1 lb");
    }
  }

  @Test
  void chunkedRequest_isForwardedInCanonicalForm() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      Response r = c.send("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5;name=value\r\nhello\r\n0A\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n").read();
      assertThat(r.status()).isEqualTo(200);
      Received got = b.received.get(0);
      assertThat(got.bodyText()).isEqualTo("hello0123456789");
      assertThat(got.header("Transfer-Encoding")).isEqualTo("chunked");
      assertThat(got.header("Content-Length")).isNull();
    }
  }

  @Test
  void expectContinue_isAnsweredByTheProxyBeforeTheBody() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      c.send("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
      assertThat(c.read().status()).isEqualTo(100);
      Response r = c.send("data").read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(b.received.get(0).bodyText()).isEqualTo("data");
      assertThat(b.received.get(0).header("Expect")).isNull();
    }
  }

  @Test
  void chunkedResponse_isRelayedToHttp11AndDechunkedForHttp10() throws Exception {
    String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
    try (RawBackend b = new RawBackend("web-1", r -> Reply.of(chunked)); Fixture f = Fixture.of(b)) {
      try (RawClient c = f.client()) {
        Response r = c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
        assertThat(r.header("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(r.body()).isEqualTo("abcde");
      }
      try (RawClient c = f.client()) {
        Response r = c.send("GET / HTTP/1.0\r\n\r\n").read();
        assertThat(r.header("Transfer-Encoding")).isNull();
        assertThat(r.header("Connection")).isEqualTo("close");
        assertThat(r.body()).isEqualTo("abcde");
      }
    }
  }

  @Test
  void http10_keepAliveOnlyWhenAsked() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      Response r = c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
      assertThat(r.header("Connection")).isEqualTo("keep-alive");
      assertThat(c.send("GET / HTTP/1.0\r\n\r\n").read().header("Connection")).isEqualTo("close");
      assertThat(c.closedByPeer()).isTrue();
    }
  }

  @Test
  void absoluteFormTarget_becomesOriginFormWithItsAuthorityAsHost() throws Exception {
    try (RawBackend b = RawBackend.named("web-1"); Fixture f = Fixture.of(b); RawClient c = f.client()) {
      c.send("GET http://api.test:81/p?q=1 HTTP/1.1\r\nHost: other\r\n\r\n").read();
      Received got = b.received.get(0);
      assertThat(got.requestLine()).isEqualTo("GET /p?q=1 HTTP/1.1");
      assertThat(got.header("Host")).isEqualTo("api.test:81");
    }
  }

  @Test
  void headResponse_keepsItsContentLengthWithoutABody() throws Exception {
    try (RawBackend b = new RawBackend("web-1", r -> Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"));
        Fixture f = Fixture.of(b); RawClient c = f.client()) {
      Response r = c.send("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n").read("HEAD");
      assertThat(r.header("Content-Length")).isEqualTo("1234");
      Response again = c.send("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n").read("HEAD");
      assertThat(again.status()).isEqualTo(200);
      assertThat(b.connections.get()).isEqualTo(1);
    }
  }

  @Test
  void closeDelimitedResponse_isRelayedAndTheClientClosed() throws Exception {
    try (RawBackend b = new RawBackend("web-1", r -> Reply.closing("HTTP/1.1 200 OK\r\n\r\nuntil the end"));
        Fixture f = Fixture.of(b); RawClient c = f.client()) {
      Response r = c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertThat(r.header("Connection")).isEqualTo("close");
      assertThat(r.body()).isEqualTo("until the end");
    }
  }

  @Test
  void close_leavesNoProxyThreads() throws Exception {
    try (RawBackend b = RawBackend.named("web-1")) {
      Fixture f = Fixture.of(b);
      try (RawClient c = f.client()) {
        c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read();
        f.proxy.close();
        assertThat(c.closedByPeer()).isTrue();
      }
      await().until(() -> Thread.getAllStackTraces().keySet().stream()
          .noneMatch(t -> t.getName().startsWith("lb-http") || t.getName().startsWith("lb4j-pool")));
    }
  }
}
