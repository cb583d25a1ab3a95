package io.github.lb4j.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.gateway.http.RawClient.Response;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The malformed-request corpus: request smuggling vectors (RFC 9112 6.1, 6.3, 11.2), bad syntax and
 * exceeded limits. Each must get its status, the connection must be closed, and nothing may reach a
 * backend, not even the valid-looking prefix.
 */
class MalformedRequestTest {

  private static RawBackend backend;
  private static Fixture fixture;

  @BeforeAll
  static void start() throws Exception {
    backend = RawBackend.named("web-1");
    fixture = new Fixture(List.of(backend), p -> {},
        h -> h.limits(64, 256, 8, 100));
  }

  @AfterAll
  static void stop() throws Exception {
    fixture.close();
  }

  static Stream<Arguments> corpus() {
    String h = "Host: h\r\n";
    return Stream.of(
        // Smuggling: ambiguous framing.
        Arguments.of("CL and TE together", "POST / HTTP/1.1\r\n" + h + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        Arguments.of("TE and CL together", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n", 400),
        Arguments.of("two equal Content-Length", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
        Arguments.of("two different Content-Length", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        Arguments.of("Content-Length list", "POST / HTTP/1.1\r\n" + h + "Content-Length: 3, 3\r\n\r\nabc", 400),
        Arguments.of("Content-Length sign", "POST / HTTP/1.1\r\n" + h + "Content-Length: +3\r\n\r\nabc", 400),
        Arguments.of("Content-Length negative", "POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\n", 400),
        Arguments.of("Content-Length hex", "POST / HTTP/1.1\r\n" + h + "Content-Length: 0x3\r\n\r\nabc", 400),
        Arguments.of("Content-Length not a number", "POST / HTTP/1.1\r\n" + h + "Content-Length: abc\r\n\r\n", 400),
        Arguments.of("Content-Length empty", "POST / HTTP/1.1\r\n" + h + "Content-Length:\r\n\r\n", 400),
        Arguments.of("Content-Length overflow", "POST / HTTP/1.1\r\n" + h + "Content-Length: 99999999999999999999999\r\n\r\n", 400),
        Arguments.of("TE not chunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\n\r\n", 400),
        Arguments.of("TE chunked not last", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
        Arguments.of("TE chunked twice", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        Arguments.of("TE gzip then chunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        Arguments.of("TE xchunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400),
        Arguments.of("TE chunked with a parameter", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400),
        Arguments.of("TE empty element", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n", 400),
        Arguments.of("TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        Arguments.of("space before the colon of TE", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
        Arguments.of("tab before the colon", "GET / HTTP/1.1\r\n" + h + "X-A\t: 1\r\n\r\n", 400),
        Arguments.of("obs-fold", "GET / HTTP/1.1\r\n" + h + "X-A: 1\r\n  continued\r\n\r\n", 400),
        Arguments.of("obs-fold of TE", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400),
        Arguments.of("bare LF line ending", "GET / HTTP/1.1\n" + h + "\r\n", 400),
        Arguments.of("bare LF in headers", "GET / HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n", 400),
        Arguments.of("bare CR in a value", "GET / HTTP/1.1\r\n" + h + "X-A: a\rb\r\n\r\n", 400),
        Arguments.of("NUL in a value", "GET / HTTP/1.1\r\n" + h + "X-A: a\0b\r\n\r\n", 400),
        Arguments.of("invalid chunk size", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", 400),
        Arguments.of("chunk size with a sign", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n-2\r\nab\r\n0\r\n\r\n", 400),
        Arguments.of("chunk size 0x prefix", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0x2\r\nab\r\n0\r\n\r\n", 400),
        Arguments.of("chunk size overflow", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nab\r\n", 400),
        Arguments.of("chunk size with bare LF", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n", 400),
        Arguments.of("chunk data longer than its size", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400),
        Arguments.of("chunk extension with a bare CR", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n2;a\rb\r\nab\r\n0\r\n\r\n", 400),
        Arguments.of("space-separated chunk size", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1 2\r\nab\r\n0\r\n\r\n", 400),
        // Host.
        Arguments.of("no Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400),
        Arguments.of("two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        Arguments.of("Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        Arguments.of("Host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
        // Request line.
        Arguments.of("two spaces", "GET  / HTTP/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("no version", "GET /\r\n" + h + "\r\n", 400),
        Arguments.of("lower-case version", "GET / http/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("version 1.10", "GET / HTTP/1.10\r\n" + h + "\r\n", 400),
        Arguments.of("space in the target", "GET /a b HTTP/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("non-ASCII in the target", "GET /\u00e9 HTTP/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("relative target", "GET a HTTP/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("asterisk outside OPTIONS", "GET * HTTP/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("invalid method", "G(T / HTTP/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("header without a colon", "GET / HTTP/1.1\r\n" + h + "NoColon\r\n\r\n", 400),
        Arguments.of("empty header name", "GET / HTTP/1.1\r\n" + h + ": v\r\n\r\n", 400),
        Arguments.of("HTTP/2.0", "GET / HTTP/2.0\r\n" + h + "\r\n", 505),
        Arguments.of("HTTP/0.9 version", "GET / HTTP/0.9\r\n" + h + "\r\n", 505),
        Arguments.of("CONNECT", "CONNECT h:443 HTTP/1.1\r\n" + h + "\r\n", 501),
        Arguments.of("unknown expectation", "GET / HTTP/1.1\r\n" + h + "Expect: 200-ok\r\n\r\n", 417),
        // Limits (64-byte request line, 256 bytes and 8 fields of headers, 100-byte body).
        Arguments.of("request line too long", "GET /" + "a".repeat(100) + " HTTP/1.1\r\n" + h + "\r\n", 414),
        Arguments.of("header section too large", "GET / HTTP/1.1\r\n" + h + "X-A: " + "a".repeat(300) + "\r\n\r\n", 431),
        Arguments.of("too many headers", "GET / HTTP/1.1\r\n" + h + "X-A: 1\r\n".repeat(9) + "\r\n", 431),
        Arguments.of("Content-Length above the body limit", "POST / HTTP/1.1\r\n" + h + "Content-Length: 101\r\n\r\n", 413),
        Arguments.of("chunked body above the body limit", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n"
            + "40\r\n" + "a".repeat(64) + "\r\n40\r\n" + "a".repeat(64) + "\r\n0\r\n\r\n", 413));
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("corpus")
  void malformed_isRefusedWithItsStatusAndTheConnectionClosed(String name, String raw, int status) throws Exception {
    int before = backend.received.size();
    try (RawClient c = fixture.client()) {
      Response r = c.send(raw).read();
      assertThat(r.status()).as(name).isEqualTo(status);
      assertThat(r.header("Connection")).isEqualTo("close");
      assertThat(r.body()).startsWith(status + " ").doesNotContain("Exception").doesNotContain("\tat ");
      assertThat(c.closedByPeer()).isTrue();
    }
    // A refused chunked body may have started towards a backend; its request must not have completed there.
    assertThat(backend.received.size() - before).as("requests completed at the backend").isZero();
  }

  @Test
  void smuggledSecondRequest_neverReachesTheBackend() throws Exception {
    int before = backend.received.size();
    try (RawClient c = fixture.client()) {
      // A front end that honours Content-Length would see one request; one that honours chunked, two.
      Response r = c.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 35\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: h\r\n\r\n").read();
      assertThat(r.status()).isEqualTo(400);
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(backend.received.size()).isEqualTo(before);
  }

  @Test
  void leadingEmptyLines_areIgnored() throws Exception {
    try (RawClient c = fixture.client()) {
      assertThat(c.send("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status()).isEqualTo(200);
    }
  }

  @Test
  void higherMinorVersion_isServedAsHttp11() throws Exception {
    try (RawClient c = fixture.client()) {
      assertThat(c.send("GET / HTTP/1.7\r\nHost: h\r\n\r\n").read().status()).isEqualTo(200);
    }
  }

  @Test
  void proxyKeepsServingAfterMalformedRequests() throws Exception {
    for (int i = 0; i < 3; i++) {
      try (RawClient c = fixture.client()) {
        assertThat(c.send("GET / HTTP/1.1\r\nContent-Length: abc\r\nHost: h\r\n\r\n").read().status()).isEqualTo(400);
      }
    }
    try (RawClient c = fixture.client()) {
      assertThat(c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").read().status()).isEqualTo(200);
    }
    assertThat(fixture.proxy.stats().clientErrors()).isGreaterThanOrEqualTo(3);
  }
}
