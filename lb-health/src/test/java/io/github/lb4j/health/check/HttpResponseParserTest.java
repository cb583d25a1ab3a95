package io.github.lb4j.health.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.health.check.HttpResponseParser.State;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The incremental HTTP/1.1 response parser (RFC 9112): framing, limits and malformed input. */
class HttpResponseParserTest {

  static State feed(HttpResponseParser p, String s) {
    return p.push(ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1)));
  }

  @Test
  void statusOnly_isDoneAtTheEndOfTheBody_notAfterTheHeaders() {
    HttpResponseParser p = new HttpResponseParser(false, false, 100);
    assertThat(feed(p, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 1000\r\n\r\n")).isEqualTo(State.MORE);
    assertThat(p.status()).isEqualTo(503);
    assertThat(feed(p, "x".repeat(999))).isEqualTo(State.MORE);
    assertThat(feed(p, "x")).isEqualTo(State.DONE);
    assertThat(p.bodyBytes()).as("a body that is not wanted is discarded").isZero();
  }

  @Test
  void statusOnly_chunkedAndUntilClose_areReadToTheirEnd() {
    HttpResponseParser chunked = new HttpResponseParser(false, false, 100);
    assertThat(feed(chunked, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n")).isEqualTo(State.MORE);
    assertThat(feed(chunked, "0\r\n\r\n")).isEqualTo(State.DONE);
    HttpResponseParser untilClose = new HttpResponseParser(false, false, 100);
    assertThat(feed(untilClose, "HTTP/1.0 200 OK\r\n\r\nok")).isEqualTo(State.MORE);
    assertThat(untilClose.eof()).isEqualTo(State.DONE);
  }

  @Test
  void noBody_headAnd204And304_areDoneAfterTheHeaders() {
    assertThat(feed(new HttpResponseParser(false, true, 100), "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"))
        .isEqualTo(State.DONE);
    assertThat(feed(new HttpResponseParser(true, false, 100), "HTTP/1.1 204 No Content\r\n\r\n")).isEqualTo(State.DONE);
    assertThat(feed(new HttpResponseParser(true, false, 100), "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"))
        .isEqualTo(State.DONE);
  }

  @Test
  void contentLength_body() {
    HttpResponseParser p = new HttpResponseParser(true, false, 100);
    assertThat(feed(p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel")).isEqualTo(State.MORE);
    assertThat(feed(p, "lo")).isEqualTo(State.DONE);
    assertThat(p.body()).isEqualTo("hello");
  }

  @Test
  void untilClose_body_endsAtEof() {
    HttpResponseParser p = new HttpResponseParser(true, false, 100);
    assertThat(feed(p, "HTTP/1.0 200 OK\r\n\r\nabc")).isEqualTo(State.MORE);
    assertThat(p.eof()).isEqualTo(State.DONE);
    assertThat(p.body()).isEqualTo("abc");
  }

  @Test
  void chunked_withExtensionsAndTrailers() {
    HttpResponseParser p = new HttpResponseParser(true, false, 100);
    assertThat(feed(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n"))
        .isEqualTo(State.DONE);
    assertThat(p.body()).isEqualTo("abcde");
  }

  @Test
  void interim100_isSkipped() {
    HttpResponseParser p = new HttpResponseParser(false, false, 100);
    assertThat(feed(p, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")).isEqualTo(State.DONE);
    assertThat(p.status()).isEqualTo(204);
  }

  @Test
  void bodyLimit_keepsTheFirstBytes_andReadsTheRestToTheEnd() {
    HttpResponseParser p = new HttpResponseParser(true, false, 4);
    assertThat(feed(p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n012345678")).isEqualTo(State.MORE);
    assertThat(feed(p, "9")).isEqualTo(State.DONE);
    assertThat(p.body()).isEqualTo("0123");
    assertThat(p.truncated()).isTrue();
  }

  @Test
  void malformedInput_isError() {
    assertThat(feed(new HttpResponseParser(false, false, 1), "HTTP/2 200\r\n")).isEqualTo(State.ERROR);
    assertThat(feed(new HttpResponseParser(false, false, 1), "HTTP/1.1 2x0 OK\r\n")).isEqualTo(State.ERROR);
    assertThat(feed(new HttpResponseParser(false, false, 1), "HTTP/1.1 200 OK\r\nno colon\r\n")).isEqualTo(State.ERROR);
    assertThat(feed(new HttpResponseParser(true, false, 9), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
        .isEqualTo(State.ERROR);
    assertThat(feed(new HttpResponseParser(false, false, 1), "HTTP/1.1 200 OK\r\n" + "X: y\r\n".repeat(101)))
        .isEqualTo(State.ERROR);
    HttpResponseParser cut = new HttpResponseParser(true, false, 100);
    feed(cut, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    assertThat(cut.eof()).isEqualTo(State.ERROR);
    assertThat(cut.error()).contains("inside the body");
    assertThat(new HttpResponseParser(false, false, 1).eof()).isEqualTo(State.ERROR);
  }

  /** However the bytes are split into reads, the parser reaches the same verdict and body. */
  @Property(tries = 200)
  void anySplit_givesSameResult(@ForAll @IntRange(min = 1, max = 40) int chunk) {
    String wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n";
    HttpResponseParser p = new HttpResponseParser(true, false, 1000);
    State s = State.MORE;
    for (int i = 0; i < wire.length() && s == State.MORE; i += chunk) {
      s = feed(p, wire.substring(i, Math.min(wire.length(), i + chunk)));
    }
    assertThat(s).isEqualTo(State.DONE);
    assertThat(p.body()).isEqualTo("Wikipedia in\r\n\r\nchunks.");
  }
}
