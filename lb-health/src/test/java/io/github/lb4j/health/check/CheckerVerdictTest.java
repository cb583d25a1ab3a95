package io.github.lb4j.health.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every checker against real servers on loopback (seed S2.2, S2.4, S2.5): each scenario gives the
 * right verdict and reason within its timeout, and leaves no lb4j thread behind.
 */
class CheckerVerdictTest {

  /** The timeout of checks that are expected to time out: short, and named in their detail. */
  static final Duration TIMEOUT = Duration.ofMillis(300);
  /** The timeout of every other check: generous, so that a loaded 2-core machine cannot flip a verdict. */
  static final Duration LONG = Duration.ofSeconds(5);
  /** How long a test waits for a verdict before it calls the checker hung; never a measure of speed. */
  static final Duration HANG_GUARD = Duration.ofSeconds(60);

  static SSLContext tls;

  @BeforeAll
  static void makeCertificate(@TempDir Path dir) throws Exception {
    tls = SelfSignedTls.serverContext(dir);
  }

  @BeforeEach
  void noLb4jThreadsBefore() {
    Leaks.awaitBaseline(Integer.MAX_VALUE);
  }

  @AfterEach
  void noLb4jThreadsAfter() {
    Leaks.awaitBaseline(Integer.MAX_VALUE);
  }

  static HealthResult check(String method, Map<String, String> options, InetSocketAddress target) throws Exception {
    return check(method, options, target, LONG);
  }

  /** A check expected to time out: a short timeout, and the verdict must respect it. */
  static HealthResult checkTimingOut(String method, Map<String, String> options, InetSocketAddress target) throws Exception {
    return check(method, options, target, TIMEOUT);
  }

  static HealthResult check(String method, Map<String, String> options, InetSocketAddress target, Duration timeout)
      throws Exception {
    try (HealthChecker c = HealthCheckers.create(method, options)) {
      HealthResult r = c.check(target, timeout).get(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS);
      if (r.reason() == HealthReason.TIMEOUT) {
        // The checker's own deadline decided, not a slow test machine: the detail names it.
        assertThat(r.detail()).as("%s", r).endsWith("within " + timeout.toMillis() + " ms");
      }
      return r;
    }
  }

  private static boolean finished(java.nio.channels.SocketChannel ch) {
    try {
      return ch.finishConnect();
    } catch (java.io.IOException e) {
      return false;
    }
  }

  static String http(int status, String body) {
    return "HTTP/1.1 " + status + " X\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
        + "\r\nConnection: close\r\n\r\n" + body;
  }

  @Test
  void tcp_refusingPort_isRefused() throws Exception {
    HealthResult r = check("tcp", Map.of(), LoopbackServer.refusingPort());
    assertThat(r.reason()).isEqualTo(HealthReason.REFUSED);
  }

  @Test
  void tcp_listeningPort_isHealthy_withFinOrRst() throws Exception {
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.hang())) {
      assertThat(check("tcp", Map.of(), s.address()).detail()).contains("FIN");
      assertThat(check("tcp", Map.of("close", "rst"), s.address()).detail()).contains("RST");
    }
  }

  @Test
  void tcp_acceptThenReset_isHealthy_becauseTheHandshakeCompleted() throws Exception {
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.reset())) {
      for (int i = 0; i < 5; i++) {
        HealthResult r = check("tcp", Map.of(), s.address());
        assertThat(r.healthy()).as("%s", r).isTrue();
      }
    }
  }

  @Test
  void tcpHalfOpen_refusingPort_isRefused_andListeningPort_isHealthy() throws Exception {
    assertThat(check("tcp-half-open", Map.of(), LoopbackServer.refusingPort()).reason()).isEqualTo(HealthReason.REFUSED);
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.hang())) {
      assertThat(check("tcp-half-open", Map.of(), s.address()).healthy()).isTrue();
    }
  }

  @Test
  void tcp_unansweredSyn_timesOut() throws Exception {
    // A listener whose accept queue is full drops further SYNs, so the connect never completes.
    try (java.net.ServerSocket full = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), full.getLocalPort());
      java.util.List<java.net.Socket> fillers = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open();
          ch.configureBlocking(false);
          ch.connect(a);
          fillers.add(ch.socket());
        }
        // Backlog 1 queues two completed handshakes; the later SYNs, and the check's, are dropped.
        await().atMost(HANG_GUARD).until(() -> fillers.stream().filter(f -> finished(f.getChannel())).count() >= 2);
        HealthResult r = checkTimingOut("tcp", Map.of(), a);
        assertThat(r.reason()).as("%s", r).isEqualTo(HealthReason.TIMEOUT);
        assertThat(r.detail()).contains("no SYN/ACK");
      } finally {
        for (java.net.Socket s : fillers) {
          s.getChannel().close();
        }
      }
    }
  }

  @Test
  void http_refusingPort_isRefused() throws Exception {
    assertThat(check("http", Map.of(), LoopbackServer.refusingPort()).reason()).isEqualTo(HealthReason.REFUSED);
  }

  @Test
  void http_acceptAndHang_timesOut() throws Exception {
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.hang())) {
      HealthResult r = checkTimingOut("http", Map.of(), s.address());
      assertThat(r.reason()).isEqualTo(HealthReason.TIMEOUT);
      assertThat(r.detail()).contains("no status line");
    }
  }

  @Test
  void http_acceptThenReset_isReset() throws Exception {
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.reset())) {
      HealthResult r = check("http", Map.of(), s.address());
      assertThat(r.reason()).as("%s", r).isIn(HealthReason.RESET, HealthReason.PROTOCOL_ERROR);
      assertThat(r.healthy()).isFalse();
    }
  }

  @Test
  void http_trickledResponse_timesOutWithinTheTimeout() throws Exception {
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.trickle(http(200, "ok"), 100))) {
      HealthResult r = checkTimingOut("http", Map.of(), s.address());
      assertThat(r.reason()).isEqualTo(HealthReason.TIMEOUT);
    }
  }

  /** 200 and its headers at once, then the body at one byte a second: the deadline covers the whole response. */
  @Test
  void http_headersAtOnceThenATrickledBody_timesOut() throws Exception {
    String head = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n";
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.headThenTrickle(head, "x".repeat(20), 1000))) {
      HealthResult r = checkTimingOut("http", Map.of(), s.address());
      assertThat(r.reason()).as("%s", r).isEqualTo(HealthReason.TIMEOUT);
      assertThat(r.detail()).startsWith("no complete response (status 200 seen)");
    }
    String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n";
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.headThenTrickle(chunked, "0\r\n\r\n", 1000))) {
      assertThat(checkTimingOut("http", Map.of(), s.address()).reason()).isEqualTo(HealthReason.TIMEOUT);
    }
  }

  /** The wanted part of the body arrives at once; the rest, beyond max-body-bytes, trickles. */
  @Test
  void httpContent_bodyTrickledBeyondTheLimit_timesOut() throws Exception {
    String head = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\nok";
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.headThenTrickle(head, "x".repeat(10), 1000))) {
      HealthResult r = checkTimingOut("http-content", Map.of("contains", "ok", "max-body-bytes", "2"), s.address());
      assertThat(r.reason()).as("%s", r).isEqualTo(HealthReason.TIMEOUT);
    }
  }

  @Test
  void https_headersAtOnceThenATrickledBody_timesOut() throws Exception {
    try (LoopbackServer s = new LoopbackServer(tls.getServerSocketFactory(), sock -> {
      ((SSLSocket) sock).startHandshake();
      LoopbackServer.readHead(sock.getInputStream());
      OutputStream out = sock.getOutputStream();
      out.write("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      for (int i = 0; i < 20; i++) {
        Thread.sleep(1000);
        out.write('x');
        out.flush();
      }
      sock.close();
    })) {
      // A deadline the TLS handshake fits in on a busy machine, far shorter than the 20 s trickle.
      HealthResult r = check("http", Map.of("tls", "true", "trust", "all"), s.address(), Duration.ofSeconds(3));
      assertThat(r.reason()).as("%s", r).isEqualTo(HealthReason.TIMEOUT);
      assertThat(r.detail()).startsWith("no complete response (status 200 seen)");
    }
  }

  /** Each byte of the server's handshake comes before a read timeout would fire: only the deadline stops it. */
  @Test
  void tls_handshakeTrickledByteByByte_timesOut() throws Exception {
    try (LoopbackServer real = new LoopbackServer(tls.getServerSocketFactory(), sock -> {
      ((SSLSocket) sock).startHandshake();
      Thread.sleep(Long.MAX_VALUE);
    });
        LoopbackServer slow = new LoopbackServer(LoopbackServer.trickleFrom(real.address(), 50))) {
      HealthResult r = checkTimingOut("tls", Map.of("trust", "all"), slow.address());
      assertThat(r.reason()).as("%s", r).isEqualTo(HealthReason.TIMEOUT);
      assertThat(r.detail()).startsWith("no TLS handshake");
    }
  }

  @Test
  void tcpScript_expectedReplyTrickled_timesOut() throws Exception {
    try (LoopbackServer s = new LoopbackServer(sock -> {
      sock.getInputStream().read(new byte[64]);
      OutputStream out = sock.getOutputStream();
      for (byte b : "+PONG\r\n".getBytes(StandardCharsets.UTF_8)) {
        out.write(b);
        out.flush();
        Thread.sleep(1000);
      }
      sock.close();
    })) {
      HealthResult r = checkTimingOut("tcp-script", Map.of("step.1", "send PING\r\n", "step.2", "expect string +PONG"), s.address());
      assertThat(r.reason()).as("%s", r).isEqualTo(HealthReason.TIMEOUT);
      assertThat(r.detail()).startsWith("step 2");
    }
  }

  @Test
  void http_status500_isUnexpectedStatus() throws Exception {
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.respond(http(500, "boom")))) {
      HealthResult r = check("http", Map.of(), s.address());
      assertThat(r.reason()).isEqualTo(HealthReason.UNEXPECTED_STATUS);
      assertThat(r.detail()).contains("status 500");
    }
  }

  @Test
  void http_statusInRange_isHealthy_andRequestCarriesMethodPathHost() throws Exception {
    java.util.concurrent.atomic.AtomicReference<String> head = new java.util.concurrent.atomic.AtomicReference<>();
    try (LoopbackServer s = new LoopbackServer(sock -> {
      head.set(LoopbackServer.readHead(sock.getInputStream()));
      sock.getOutputStream().write(http(302, "").getBytes(StandardCharsets.UTF_8));
      sock.close();
    })) {
      HealthResult r = check("http", Map.of("method", "head", "path", "/health?x=1", "host", "svc.example",
          "expect-status", "200-299,302"), s.address());
      assertThat(r.healthy()).as("%s", r).isTrue();
      assertThat(head.get()).startsWith("HEAD /health?x=1 HTTP/1.1\r\n").contains("Host: svc.example\r\n")
          .contains("Connection: close\r\n");
    }
  }

  @Test
  void httpContent_wrongBody_isContentMismatch_andRightBody_isHealthy() throws Exception {
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.respond(http(200, "status: degraded")))) {
      assertThat(check("http-content", Map.of("contains", "status: ok"), s.address()).reason())
          .isEqualTo(HealthReason.CONTENT_MISMATCH);
      assertThat(check("http-content", Map.of("regex", "status: (ok|degraded)"), s.address()).healthy()).isTrue();
      assertThat(check("http-content", Map.of("contains", "degraded", "negate", "true"), s.address()).reason())
          .isEqualTo(HealthReason.CONTENT_MISMATCH);
      assertThat(check("http-content", Map.of("contains", "error", "negate", "true"), s.address()).healthy()).isTrue();
    }
  }

  @Test
  void httpContent_chunkedBody_isDecoded() throws Exception {
    String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.respond(chunked))) {
      HealthResult r = check("http-content", Map.of("contains", "hello world"), s.address());
      assertThat(r.healthy()).as("%s", r).isTrue();
    }
  }

  @Test
  void httpContent_examinesAtMostMaxBodyBytes() throws Exception {
    String body = "x".repeat(10_000) + "MARK";
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.respond(http(200, body)))) {
      HealthResult r = check("http-content", Map.of("contains", "MARK", "max-body-bytes", "1000"), s.address());
      assertThat(r.reason()).isEqualTo(HealthReason.CONTENT_MISMATCH);
      assertThat(r.detail()).contains("1000 (limit) body bytes");
    }
  }

  @Test
  void http_garbage_isProtocolError() throws Exception {
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.respond("SSH-2.0-OpenSSH\r\n\r\n"))) {
      assertThat(check("http", Map.of(), s.address()).reason()).isEqualTo(HealthReason.PROTOCOL_ERROR);
    }
  }

  @Test
  void https_selfSigned_failsWithDefaultTrust_andPassesWithTrustAll() throws Exception {
    try (LoopbackServer s = new LoopbackServer(tls.getServerSocketFactory(), sock -> {
      ((SSLSocket) sock).startHandshake();
      LoopbackServer.readHead(sock.getInputStream());
      OutputStream out = sock.getOutputStream();
      out.write(http(200, "secure ok").getBytes(StandardCharsets.UTF_8));
      out.flush();
      sock.close();
    })) {
      HealthResult untrusted = check("http", Map.of("tls", "true"), s.address());
      assertThat(untrusted.reason()).as("%s", untrusted).isEqualTo(HealthReason.TLS_ERROR);
      HealthResult trusted = check("http-content", Map.of("tls", "true", "trust", "all", "sni", "localhost",
          "contains", "secure ok"), s.address());
      assertThat(trusted.healthy()).as("%s", trusted).isTrue();
    }
  }

  @Test
  void tls_selfSigned_handshakeVerdicts() throws Exception {
    try (LoopbackServer s = new LoopbackServer(tls.getServerSocketFactory(), sock -> {
      ((SSLSocket) sock).startHandshake();
      Thread.sleep(Long.MAX_VALUE);
    })) {
      assertThat(check("tls", Map.of(), s.address()).reason()).isEqualTo(HealthReason.TLS_ERROR);
      HealthResult ok = check("tls", Map.of("trust", "all"), s.address());
      assertThat(ok.healthy()).as("%s", ok).isTrue();
      assertThat(ok.detail()).startsWith("handshake TLS");
    }
    try (LoopbackServer plain = new LoopbackServer(LoopbackServer.hang())) {
      HealthResult r = checkTimingOut("tls", Map.of("trust", "all"), plain.address());
      assertThat(r.reason()).isEqualTo(HealthReason.TIMEOUT);
    }
  }

  @Test
  void tcpScript_sendExpect_passesAndFails() throws Exception {
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.echo("+"))) {
      assertThat(check("tcp-script", Map.of("step.1", "send PING\\r\\n", "step.2", "expect string +PING",
          "step.3", "send again\\r\\n", "step.4", "expect rstring \\+ag.in"), s.address()).healthy()).isTrue();
      HealthResult r = checkTimingOut("tcp-script", Map.of("step.1", "send PING\\r\\n", "step.2", "expect string PONG"), s.address());
      assertThat(r.reason()).isEqualTo(HealthReason.TIMEOUT);
      assertThat(r.detail()).contains("step 2");
    }
    try (LoopbackServer closer = new LoopbackServer(LoopbackServer.respond("-ERR\r\n"))) {
      HealthResult r = check("tcp-script", Map.of("step.1", "send PING\\r\\n\\r\\n", "step.2", "expect string +PONG"),
          closer.address());
      assertThat(r.reason()).isEqualTo(HealthReason.UNEXPECTED_REPLY);
    }
  }

  @Test
  void udp_replyExpectedAndRefusedAndSilent() throws Exception {
    try (DatagramSocket echo = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[512];
        try {
          for (;;) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            echo.receive(p);
            byte[] reply = ("pong:" + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
            echo.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
          }
        } catch (java.io.IOException e) {
          // closed
        }
      }, "test-udp-echo");
      t.setDaemon(true);
      t.start();
      InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort());
      assertThat(check("udp", Map.of("send", "ping", "expect", "pong:ping"), a).healthy()).isTrue();
      assertThat(check("udp", Map.of("send", "ping", "expect", "nope"), a).reason()).isEqualTo(HealthReason.UNEXPECTED_REPLY);
    }
    try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort());
      assertThat(checkTimingOut("udp", Map.of("send", "ping"), a).reason()).isEqualTo(HealthReason.TIMEOUT);
    }
    InetSocketAddress closed;
    try (DatagramSocket gone = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      closed = new InetSocketAddress(InetAddress.getLoopbackAddress(), gone.getLocalPort());
    }
    assertThat(check("udp", Map.of("send", "ping"), closed).reason()).isEqualTo(HealthReason.REFUSED);
  }

  @Test
  void close_completesChecksInFlightWithClosed() throws Exception {
    try (LoopbackServer s = new LoopbackServer(LoopbackServer.hang())) {
      HealthChecker c = HealthCheckers.create("http", Map.of());
      var f = c.check(s.address(), Duration.ofSeconds(30));
      await().atMost(HANG_GUARD).until(() -> s.accepts.get() == 1);
      c.close();
      assertThat(f.get(2, TimeUnit.SECONDS).reason()).isEqualTo(HealthReason.CLOSED);
      assertThat(c.check(s.address(), TIMEOUT).get(1, TimeUnit.SECONDS).reason()).isEqualTo(HealthReason.CLOSED);
    }
  }
}
