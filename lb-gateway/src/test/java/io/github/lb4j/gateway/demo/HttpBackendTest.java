package io.github.lb4j.gateway.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link HttpBackend} against a corpus of malformed and hostile requests (RFC 9112): each gets the
 * status the RFC names and its connection closed, and the server keeps serving everyone else.
 */
class HttpBackendTest {

  private static final java.util.regex.Pattern STATUS_LINE = java.util.regex.Pattern.compile("(?m)^HTTP/1\\.1 \\d{3} ");

  private HttpBackend server;

  @BeforeEach
  void start() throws IOException {
    server = new HttpBackend("web-t", new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  @Test
  void everyMalformedRequest_getsItsStatusAndClose_andTheServerKeepsServing() throws IOException {
    for (Map.Entry<String, Integer> e : MalformedRequests.corpus().entrySet()) {
      String answer = MalformedRequests.exchange(server.address(), e.getKey());
      // A bad chunked body is found after its head was answered: the refusal is the last answer.
      java.util.regex.Matcher m = STATUS_LINE.matcher(answer);
      int at = 0;
      while (m.find()) {
        at = m.start();
      }
      String last = answer.substring(at);
      assertThat(last).as("last answer to %s", printable(e.getKey()))
          .startsWith("HTTP/1.1 " + e.getValue() + " ")
          .contains("Connection: close");
      assertThat(MalformedRequests.exchange(server.address(), "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
          .as("a good request after %s", printable(e.getKey()))
          .startsWith("HTTP/1.1 200 OK").endsWith("hello from web-t\n");
    }
    assertThat(server.rejected()).isEqualTo(MalformedRequests.corpus().size());
    assertThat(server.running()).isTrue();
  }

  @Test
  void aBadRequestAfterAGoodOne_onOneConnection_answersBoth() throws IOException {
    String answer = MalformedRequests.exchange(server.address(), "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 200 OK").contains("hello from web-t\nHTTP/1.1 400 Bad Request");
  }

  @Test
  void bodies_chunkedAndByLength_areSkipped_andPipelinedRequestsAnswered() throws IOException {
    String answer = MalformedRequests.exchange(server.address(),
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n"
            + "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
            + "\r\nGET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assertThat(answer.split("HTTP/1.1 200 OK", -1)).hasSize(4);
    assertThat(answer).endsWith("ok\n");
    assertThat(server.requests()).isEqualTo(2);
    assertThat(server.healthRequests()).isEqualTo(1);
  }

  @Test
  void head_getsTheHeadersWithoutTheBody() throws IOException {
    String answer = MalformedRequests.exchange(server.address(), "HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 200 OK").contains("Content-Length: 17\r\n\r\nHTTP/1.1 200 OK")
        .endsWith("hello from web-t\n");
  }

  @Test
  void http10_andBareLineFeeds_areAccepted() throws IOException {
    assertThat(MalformedRequests.exchange(server.address(), "GET / HTTP/1.0\r\n\r\n")).startsWith("HTTP/1.1 200 OK").contains("Connection: close");
    assertThat(MalformedRequests.exchange(server.address(), "\r\nGET / HTTP/1.1\nHost: a\nConnection: close\n\n")).startsWith("HTTP/1.1 200 OK");
  }

  static String printable(String s) {
    return RequestHead.printable(s);
  }
}
