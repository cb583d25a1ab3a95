package io.github.lb4j.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.gateway.demo.HttpBackend;
import io.github.lb4j.gateway.proxy.Dnsmasq;
import io.github.lb4j.gateway.proxy.Http;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lb proxy --discover}: the issue's own command line against a real dnsmasq whose SRV records
 * change and then stop answering, the HTTP mode on a watched file, and one clear line for each bad
 * value.
 */
class DiscoverTest {

  private static final InetAddress LO = InetAddress.getLoopbackAddress();
  private static final Pattern LISTENING = Pattern.compile("^lb proxy: listening on 127\\.0\\.0\\.1:(\\d+),");
  private static final Pattern METRICS = Pattern.compile("^lb proxy: metrics at (http://\\S+)$");
  private static final int TTL = 5;

  @TempDir Path dir;
  private final List<HttpBackend> web = new ArrayList<>();

  @BeforeEach
  void startBackends() throws IOException {
    for (int i = 1; i <= 3; i++) {
      HttpBackend b = new HttpBackend("web-" + i, new InetSocketAddress(LO, 0));
      b.start();
      web.add(b);
    }
  }

  @AfterEach
  void stopBackends() {
    web.forEach(HttpBackend::stop);
  }

  private InetSocketAddress web(int n) {
    return web.get(n - 1).address();
  }

  private static InetSocketAddress front(LbProcess lb) {
    Matcher m = LISTENING.matcher(lb.awaitOut(l -> LISTENING.matcher(l).find()));
    assertThat(m.find()).isTrue();
    return new InetSocketAddress(LO, Integer.parseInt(m.group(1)));
  }

  private static Map<String, Integer> shares(InetSocketAddress front, int requests) throws IOException {
    Map<String, Integer> shares = new HashMap<>();
    for (int i = 0; i < requests; i++) {
      shares.merge(Http.get(front), 1, Integer::sum);
    }
    return shares;
  }

  @Test
  void discoverSrv_balancesOverTheTargetsByWeight_followsTheRecords_andReportsAnOutage() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(dir, TTL, List.of(Dnsmasq.WEB_A, Dnsmasq.srv(web(1), 3), Dnsmasq.srv(web(2), 1)));
        LbProcess lb = LbProcess.start("proxy", "--listen", "127.0.0.1:0", "--discover", "srv:_http._tcp.example.test",
            "--dns-server", "127.0.0.1:" + dns.address().getPort(), "--algorithm", "weighted-round-robin",
            "--status-interval", "1s", "--metrics", "127.0.0.1:0")) {
      InetSocketAddress front = front(lb);
      assertThat(lb.out).filteredOn(l -> LISTENING.matcher(l).find()).singleElement().asString()
          .contains("2 backends (discovering srv:_http._tcp.example.test)");
      assertThat(shares(front, 40)).isEqualTo(Map.of("web-1", 30, "web-2", 10));

      // web-2 leaves, web-3 joins, web-1 is re-weighted: seen at the next lookup, one TTL on.
      dns.restart(TTL, List.of(Dnsmasq.WEB_A, Dnsmasq.srv(web(1), 1), Dnsmasq.srv(web(3), 1)));
      await().atMost(LbProcess.HANG_GUARD).until(() -> Http.get(front).equals("web-3"));
      assertThat(shares(front, 20)).isEqualTo(Map.of("web-1", 10, "web-3", 10));

      Matcher m = METRICS.matcher(lb.awaitOut(l -> METRICS.matcher(l).matches()));
      assertThat(m.matches()).isTrue();
      String scrape = MetricsEndpointTest.get(URI.create(m.group(1)));
      String web3 = "127.0.0.1:" + web(3).getPort();
      // The meters follow the membership: the backend that joined has them, the one that left has none.
      assertThat(scrape).containsPattern("lb_backend_sessions_total\\{backend=\"" + web3 + "\"} [1-9]")
          .doesNotContain("backend=\"127.0.0.1:" + web(2).getPort() + "\"")
          .contains("lb_discovery_backends{source=\"srv:_http._tcp.example.test\"} 2.0");

      // The DNS server goes away: the proxy keeps the last good backends and says so.
      dns.stop();
      lb.awaitOut(l -> l.contains("srv:_http._tcp.example.test FAILING") && l.contains("keeping the last good 2 backends"));
      assertThat(lb.err).anyMatch(l -> l.contains("WARN") && l.contains("keeping the last good membership of 2 backends"));
      assertThat(MetricsEndpointTest.get(URI.create(m.group(1))))
          .containsPattern("lb_discovery_failures\\{source=\"srv:_http._tcp.example.test\"} [1-9]");
      assertThat(shares(front, 4)).isEqualTo(Map.of("web-1", 2, "web-3", 2));
    }
  }

  @Test
  void httpMode_discoversFromAFile_besideAStaticBackend() throws Exception {
    Path file = dir.resolve("backends.txt");
    Files.writeString(file, "web-2 127.0.0.1:" + web(2).getPort() + "\n");
    // One event loop: one round-robin turn, so that four requests alternate exactly.
    try (LbProcess lb = LbProcess.start("proxy", "--mode", "http", "--listen", "127.0.0.1:0", "--event-loops", "1",
        "--backend", "web-1=127.0.0.1:" + web(1).getPort(), "--discover", "file:" + file)) {
      InetSocketAddress front = front(lb);
      // The HTTP mode listens before its first read of the file (the TCP mode waits for it): web-2 joins then.
      await().atMost(LbProcess.HANG_GUARD).until(() -> Http.get(front).equals("web-2"));
      assertThat(shares(front, 4)).isEqualTo(Map.of("web-1", 2, "web-2", 2));
      Path tmp = dir.resolve("backends.tmp");
      Files.writeString(tmp, "web-3 127.0.0.1:" + web(3).getPort() + "\n");
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      await().atMost(LbProcess.HANG_GUARD).until(() -> Http.get(front).equals("web-3"));
      assertThat(shares(front, 4)).isEqualTo(Map.of("web-1", 2, "web-3", 2));
    }
  }

  private record Result(int code, String out, String err) {}

  private static Result lb(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Lb.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  private static void oneLine(Result r, String expected) {
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().lines().toList()).singleElement().asString().isEqualTo(expected);
  }

  @Test
  void badDiscoverValues_areOneLine_sayingWhatIsExpected() throws IOException {
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--discover", "consul:web"),
        "lb proxy: --discover: discovery source 'consul:web': expected srv:NAME (or dns-srv:NAME), dns:NAME:PORT or file:PATH");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--discover", "_http._tcp.example.test"),
        "lb proxy: --discover: discovery source '_http._tcp.example.test': expected srv:NAME (or dns-srv:NAME), dns:NAME:PORT or file:PATH");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--discover", "dns:web.example.test:99999"),
        "lb proxy: --discover: discovery source 'dns:web.example.test:99999': port must be 1..65535, was 99999");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--mode", "http", "--discover", "srv:"),
        "lb proxy: --discover: discovery source 'srv:': expected a service name after 'srv:'");
    Path missing = dir.resolve("none.txt");
    assertThat(lb("proxy", "--listen", "127.0.0.1:0", "--discover", "file:" + missing).err()).contains(missing.toString());
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--dns-server", "127.0.0.1:53"),
        "lb proxy: --dns-server is set but no DNS source is: add --discover srv:NAME (or dns:NAME:PORT)");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--discover", "srv:_x._tcp.example.test", "--dns-server", "nowhere:x"),
        "lb proxy: --dns-server has a port that is not a number: 'nowhere:x'");
    Path conf = dir.resolve("lb.conf");
    Files.writeString(conf, "listen = 127.0.0.1:0\ndiscover = dns:web.example.test\n");
    oneLine(lb("proxy", "--config", conf.toString()),
        "lb proxy: " + conf + ":2: discover: discovery source 'dns:web.example.test': expected dns:NAME:PORT");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0"),
        "lb proxy: no backend: give --backend [ID=]HOST:PORT or --discover SOURCE");
  }
}
