package io.github.lb4j.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.gateway.proxy.HoldingServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code lb proxy --metrics}: a real process, scraped over HTTP as Prometheus does. */
class MetricsEndpointTest {

  private static final Pattern LISTENING = Pattern.compile("^lb proxy: listening on 127\\.0\\.0\\.1:(\\d+),");
  private static final Pattern METRICS = Pattern.compile("^lb proxy: metrics at (http://\\S+)$");

  /** One HTTP/1.1 GET, answered whole: status line, headers and body. */
  static String get(URI url) throws IOException {
    try (Socket s = new Socket(url.getHost(), url.getPort())) {
      OutputStream out = s.getOutputStream();
      out.write(("GET " + url.getPath() + " HTTP/1.1\r\nHost: " + url.getHost() + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void proxyMetrics_areScrapedAsPrometheusText_andFollowTheTraffic() throws Exception {
    int deadPort;
    try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = closed.getLocalPort();
    }
    List<Socket> clients = new ArrayList<>();
    try (HoldingServer web = new HoldingServer();
        LbProcess lb = LbProcess.start("proxy", "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:0",
            "--backend", "web=127.0.0.1:" + web.address().getPort(), "--backend", "dead=127.0.0.1:" + deadPort,
            "--algorithm", "round-robin")) {
      Matcher front = LISTENING.matcher(lb.awaitOut(l -> LISTENING.matcher(l).find()));
      assertThat(front.find()).isTrue();
      Matcher m = METRICS.matcher(lb.awaitOut(l -> METRICS.matcher(l).matches()));
      assertThat(m.matches()).isTrue();
      URI url = URI.create(m.group(1));

      String idle = get(url);
      assertThat(idle).startsWith("HTTP/1.1 200").containsIgnoringCase("Content-Type: text/plain; version=0.0.4; charset=utf-8");
      assertThat(idle).contains("lb_proxy_connections_active 0.0").contains("lb_proxy_connections_accepted_total 0.0");
      assertThat(idle).contains("lb_backend_health{backend=\"web\",state=\"unknown\"} 1.0");

      InetSocketAddress proxy = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(front.group(1)));
      for (int i = 0; i < 4; i++) {
        Socket c = new Socket();
        c.connect(proxy, 10_000);
        c.getOutputStream().write("GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        clients.add(c);
      }
      // Round robin sends every other connection to the dead backend first; each is retried on web.
      await().atMost(LbProcess.HANG_GUARD).until(() -> web.received() == 4);
      String busy = get(url);
      assertThat(busy).contains("lb_proxy_connections_active 4.0").contains("lb_proxy_connections_accepted_total 4.0");
      assertThat(busy).contains("lb_backend_sessions_active{backend=\"web\"} 4.0");
      assertThat(busy).contains("lb_backend_sessions_total{backend=\"web\"} 4.0");
      assertThat(busy).containsPattern("lb_backend_connect_failures_total\\{backend=\"dead\"} [1-9]");
      assertThat(busy).containsPattern("lb_proxy_retries_total [1-9]");

      web.release();
      for (Socket c : clients) {
        assertThat(new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
        c.close();
      }
      await().atMost(LbProcess.HANG_GUARD).until(() -> get(url).contains("lb_proxy_connections_active 0.0"));
      assertThat(get(url.resolve("/nothing-here"))).startsWith("HTTP/1.1 404");
    } finally {
      for (Socket c : clients) {
        c.close();
      }
    }
  }

  @Test
  void aTakenMetricsPort_isAClearStartError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        LbProcess lb = LbProcess.start("proxy", "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:" + taken.getLocalPort(),
            "--backend", "127.0.0.1:9")) {
      assertThat(lb.awaitExit()).isNotZero();
      assertThat(String.join("\n", lb.err)).contains("--metrics: cannot listen on 127.0.0.1:" + taken.getLocalPort()
          + ": address already in use");
    }
  }
}
