package io.github.lb4j.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.Backend;
import io.github.lb4j.gateway.demo.HttpBackend;
import io.github.lb4j.gateway.demo.MalformedRequests;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ProxyServer} end to end on loopback: real HTTP backends ({@link HttpBackend}), a real TCP
 * data server and real client sockets (seed S6.1b: the full proxy at socket level).
 */
class ProxyServerTest {

  private static final InetAddress LO = InetAddress.getLoopbackAddress();
  private static final List<HttpBackend> WEB = new ArrayList<>();
  private final List<ProxyServer> proxies = new ArrayList<>();

  @BeforeAll
  static void startBackends() throws IOException {
    for (int i = 1; i <= 3; i++) {
      HttpBackend b = new HttpBackend("web-" + i, new InetSocketAddress(LO, 0));
      b.start();
      WEB.add(b);
    }
  }

  @AfterAll
  static void stopBackends() {
    WEB.forEach(HttpBackend::stop);
  }

  @AfterEach
  void closeProxies() {
    proxies.forEach(ProxyServer::close);
  }

  private ProxyServer start(Consumer<ProxyServer.Builder> config) throws IOException {
    ProxyServer.Builder b = ProxyServer.builder().listen(new InetSocketAddress(LO, 0));
    config.accept(b);
    ProxyServer p = b.build();
    proxies.add(p);
    p.start();
    return p;
  }

  private static Consumer<ProxyServer.Builder> webBackends() {
    return b -> WEB.forEach(w -> b.backend(Backend.of(w.name(), w.address())));
  }

  private static InetSocketAddress front(ProxyServer p) {
    return p.listenAddresses().get(0);
  }

  private static Map<String, Integer> requests(ProxyServer p, int n) throws IOException {
    Map<String, Integer> out = new HashMap<>();
    for (int i = 0; i < n; i++) {
      out.merge(Http.get(front(p)), 1, Integer::sum);
    }
    return out;
  }

  @Test
  void roundRobin_spreadsConnectionsEvenly_overRealHttpBackends() throws IOException {
    ProxyServer p = start(webBackends().andThen(b -> b.algorithm("round-robin")));

    Map<String, Integer> shares = requests(p, 90);

    assertThat(shares).containsOnly(Map.entry("web-1", 30), Map.entry("web-2", 30), Map.entry("web-3", 30));
    await().untilAsserted(() -> assertThat(p.stats().active()).isZero());
    assertThat(p.status()).allSatisfy(s -> assertThat(s.totalSessions()).isEqualTo(30));
    assertThat(p.sessions().all()).allSatisfy(l -> assertThat(l.active() + l.inactive()).isZero());
  }

  /** One client sending garbage must not take down the backends behind the proxy (lb serve's robustness). */
  @Test
  void malformedRequestsThroughTheProxy_getTheirStatus_andEveryBackendKeepsServing() throws IOException {
    ProxyServer p = start(webBackends().andThen(b -> b.algorithm("round-robin")));
    long rejectedBefore = WEB.stream().mapToLong(HttpBackend::rejected).sum();
    for (int round = 0; round < 3; round++) {
      for (Map.Entry<String, Integer> bad : MalformedRequests.corpus().entrySet()) {
        String answer = MalformedRequests.exchange(front(p), bad.getKey());
        assertThat(answer).as("answer to %s", bad.getKey()).contains("HTTP/1.1 " + bad.getValue() + " ");
      }
    }
    assertThat(WEB.stream().mapToLong(HttpBackend::rejected).sum() - rejectedBefore)
        .isEqualTo(3L * MalformedRequests.corpus().size());
    assertThat(WEB).allSatisfy(w -> assertThat(w.running()).isTrue());
    assertThat(requests(p, 30)).containsOnly(Map.entry("web-1", 10), Map.entry("web-2", 10), Map.entry("web-3", 10));
    assertThat(p.stats().rejected()).isZero();
  }

  @Test
  void upload_of100Megabytes_arrivesIntact_andTheFinTravelsOn() throws Exception {
    try (DataServer data = new DataServer()) {
      ProxyServer p = start(b -> b.backend(Backend.of("data", data.address())));
      long size = 100L << 20;
      MessageDigest sent = DataServer.sha256();
      try (Socket s = new Socket()) {
        s.connect(front(p), 5000);
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        out.write('U');
        byte[] chunk = new byte[256 * 1024];
        for (long at = 0; at < size; at += chunk.length) {
          DataServer.pattern(at, chunk, chunk.length);
          out.write(chunk);
          sent.update(chunk);
        }
        // The server answers only after it has seen end-of-stream: a half-close through the proxy.
        s.shutdownOutput();
        DataInputStream in = new DataInputStream(s.getInputStream());
        long received = in.readLong();
        byte[] digest = in.readNBytes(32);

        assertThat(received).isEqualTo(size);
        assertThat(digest).isEqualTo(sent.digest());
        assertThat(in.read()).as("the server's FIN reaches the client").isEqualTo(-1);
      }
    }
  }

  @Test
  void download_of100Megabytes_arrivesIntact() throws Exception {
    try (DataServer data = new DataServer()) {
      ProxyServer p = start(b -> b.backend(Backend.of("data", data.address())));
      long size = 100L << 20;
      MessageDigest expected = DataServer.sha256();
      MessageDigest got = DataServer.sha256();
      try (Socket s = new Socket()) {
        s.connect(front(p), 5000);
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        out.write('D');
        out.write(java.nio.ByteBuffer.allocate(8).putLong(size).array());
        out.flush();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[256 * 1024];
        byte[] ref = new byte[buf.length];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
          DataServer.pattern(total, ref, n);
          expected.update(ref, 0, n);
          got.update(buf, 0, n);
          total += n;
        }
        assertThat(total).isEqualTo(size);
        assertThat(got.digest()).isEqualTo(expected.digest());
      }
    }
  }

  @Test
  void clientHalfClose_keepsTheReplyDirectionOpen() throws Exception {
    try (DataServer data = new DataServer()) {
      ProxyServer p = start(b -> b.backend(Backend.of("data", data.address())));
      try (Socket s = new Socket()) {
        s.connect(front(p), 5000);
        s.setSoTimeout(10_000);
        s.getOutputStream().write(new byte[] {'U', 1, 2, 3});
        s.shutdownOutput();
        DataInputStream in = new DataInputStream(s.getInputStream());

        assertThat(in.readLong()).isEqualTo(3);
        assertThat(in.readNBytes(32)).isEqualTo(DataServer.sha256().digest(new byte[] {1, 2, 3}));
        assertThat(in.read()).isEqualTo(-1);
      }
      await().untilAsserted(() -> assertThat(p.stats().active()).isZero());
    }
  }

  @Test
  void connectRefused_isRetriedOnAnotherBackend_withoutAFailedRequest() throws IOException {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, LO)) {
      deadPort = s.getLocalPort();
    }
    ProxyServer p = start(b -> b.algorithm("round-robin")
        .backend(Backend.of("dead", LO, deadPort))
        .backend(Backend.of(WEB.get(0).name(), WEB.get(0).address())));

    Map<String, Integer> shares = requests(p, 20);

    assertThat(shares).containsOnly(Map.entry("web-1", 20));
    assertThat(p.stats().retries()).isGreaterThanOrEqualTo(9);
    assertThat(p.stats().rejected()).isZero();
    assertThat(p.status().get(0).connectFailures()).isEqualTo(p.stats().connectFailures());
    assertThat(p.sessions().of("dead").active() + p.sessions().of("dead").inactive()).isZero();
  }

  @Test
  void everyAttemptFailing_closesTheClient_andCountsARejection() throws IOException {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, LO)) {
      deadPort = s.getLocalPort();
    }
    ProxyServer p = start(b -> b.connectAttempts(2).backend(Backend.of("dead", LO, deadPort)));

    assertThatThrownBy(() -> Http.get(front(p))).isInstanceOf(IOException.class);
    await().untilAsserted(() -> assertThat(p.stats().rejected()).isEqualTo(1));
  }

  @Test
  void drain_keepsTheOpenConnection_andSendsNewOnesElsewhere() throws IOException {
    ProxyServer p = start(webBackends().andThen(b -> b.algorithm("round-robin")));
    try (Socket kept = new Socket()) {
      kept.connect(front(p), 5000);
      kept.setSoTimeout(10_000);
      String drained = Http.exchange(kept);

      p.setWeight(drained, 0);
      Map<String, Integer> shares = requests(p, 30);

      assertThat(shares).doesNotContainKey(drained).hasSize(2);
      assertThat(Http.exchange(kept)).as("the drained backend's connection still works").isEqualTo(drained);
      assertThat(p.status()).filteredOn(s -> s.backend().id().equals(drained))
          .singleElement().satisfies(s -> assertThat(s.activeSessions()).isEqualTo(1));
    }
  }

  @Test
  void noEligibleBackend_refusesTheConnection() throws IOException {
    ProxyServer p = start(b -> b.backend(Backend.of("web-1", WEB.get(0).address()).withWeight(0)));

    assertThatThrownBy(() -> Http.get(front(p))).isInstanceOf(IOException.class);
    await().untilAsserted(() -> assertThat(p.stats().rejected()).isEqualTo(1));
  }

  @Test
  void thousandConcurrentConnections_areAllRelayed() throws IOException {
    ProxyServer p = start(webBackends().andThen(b -> b.algorithm("round-robin")));
    List<Socket> open = new ArrayList<>();
    try {
      Map<String, Integer> shares = new HashMap<>();
      for (int i = 0; i < 1000; i++) {
        Socket s = new Socket();
        open.add(s);
        s.connect(front(p), 10_000);
        s.setSoTimeout(20_000);
        shares.merge(Http.exchange(s), 1, Integer::sum);
      }

      assertThat(p.stats().active()).isEqualTo(1000);
      assertThat(shares.values()).containsExactlyInAnyOrder(334, 333, 333);
      long active = p.status().stream().mapToLong(BackendStatus::activeSessions).sum();
      assertThat(active).isEqualTo(1000);
      for (Socket s : open) {
        assertThat(Http.exchange(s)).isNotEmpty();
      }
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(p.stats().active()).isZero());
  }

  @Test
  void idleTimeout_closesASilentConnection() throws IOException {
    ProxyServer p = start(webBackends().andThen(b -> b.idleTimeout(Duration.ofMillis(300))));
    try (Socket s = new Socket()) {
      s.connect(front(p), 5000);
      s.setSoTimeout(10_000);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    assertThat(p.stats().idleTimeouts()).isEqualTo(1);
  }

  @Test
  void proxyProtocolV1_tellsTheBackendTheClientAddress() throws Exception {
    try (DataServer data = new DataServer()) {
      ProxyServer p = start(b -> b.proxyProtocol(ProxyProtocol.V1).backend(Backend.of("data", data.address())));
      try (Socket s = new Socket()) {
        s.connect(front(p), 5000);
        s.setSoTimeout(10_000);
        byte[] echo = readLine(s.getInputStream());

        assertThat(new String(echo, StandardCharsets.US_ASCII)).isEqualTo(
            "PROXY TCP4 127.0.0.1 127.0.0.1 " + s.getLocalPort() + " " + front(p).getPort() + "\r\n");
      }
    }
  }

  @Test
  void proxyProtocolV2_tellsTheBackendTheClientAddress() throws Exception {
    try (DataServer data = new DataServer()) {
      ProxyServer p = start(b -> b.proxyProtocol(ProxyProtocol.V2).backend(Backend.of("data", data.address())));
      try (Socket s = new Socket()) {
        s.connect(front(p), 5000);
        s.setSoTimeout(10_000);
        byte[] header = s.getInputStream().readNBytes(28);

        assertThat(Arrays.copyOf(header, 12)).isEqualTo(ProxyProtocol.V2_SIGNATURE);
        assertThat(header[12]).isEqualTo((byte) 0x21);
        assertThat(header[13]).isEqualTo((byte) 0x11);
        assertThat(Arrays.copyOfRange(header, 16, 24)).containsExactly(127, 0, 0, 1, 127, 0, 0, 1);
        int srcPort = (header[24] & 0xFF) << 8 | header[25] & 0xFF;
        int dstPort = (header[26] & 0xFF) << 8 | header[27] & 0xFF;
        assertThat(srcPort).isEqualTo(s.getLocalPort());
        assertThat(dstPort).isEqualTo(front(p).getPort());
      }
    }
  }

  @Test
  void twoListeners_bothBalanceOverTheSameBackends() throws IOException {
    InetAddress second = InetAddress.getByName("127.0.0.2");
    ProxyServer p = start(webBackends().andThen(b -> b.algorithm("round-robin").listen(new InetSocketAddress(second, 0))));
    List<InetSocketAddress> fronts = p.listenAddresses();

    assertThat(fronts).hasSize(2);
    Map<String, Integer> shares = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      shares.merge(Http.get(fronts.get(i % 2)), 1, Integer::sum);
    }
    assertThat(shares).containsOnly(Map.entry("web-1", 10), Map.entry("web-2", 10), Map.entry("web-3", 10));
    assertThat(p.stats().accepted()).isEqualTo(30);
  }

  @Test
  void unreachableOrSilentBackend_isGivenUpAfterTheConnectTimeout_andTheNextOneServes() throws IOException {
    // 192.0.2.0/24 is TEST-NET-1: a connect there either hangs until the timeout or fails at once
    // with no route; both must end in a retry on the live backend.
    ProxyServer p = start(b -> b.algorithm("round-robin").connectTimeout(Duration.ofMillis(300))
        .backend(Backend.of("nowhere", new InetSocketAddress("192.0.2.1", 80)))
        .backend(Backend.of(WEB.get(0).name(), WEB.get(0).address())));

    Map<String, Integer> shares = requests(p, 6);

    assertThat(shares).containsOnly(Map.entry("web-1", 6));
    assertThat(p.stats().connectFailures()).isGreaterThanOrEqualTo(3);
    assertThat(p.stats().connectTimeouts()).isLessThanOrEqualTo(p.stats().connectFailures());
    assertThat(p.sessions().of("nowhere").inactive()).isZero();
  }

  @Test
  void listeningOnAPortInUse_namesTheAddress() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, LO)) {
      ProxyServer p = ProxyServer.builder().listen(new InetSocketAddress(LO, taken.getLocalPort()))
          .backend(Backend.of("web-1", WEB.get(0).address())).build();
      proxies.add(p);

      assertThatThrownBy(p::start).isInstanceOf(java.net.BindException.class)
          .hasMessage("cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": address already in use");
    }
  }

  @Test
  void setWeight_ofAnUnknownBackend_namesIt() throws IOException {
    ProxyServer p = start(webBackends());

    assertThatThrownBy(() -> p.setWeight("web-9", 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown backend 'web-9'; known: web-1, web-2, web-3");
    assertThatThrownBy(() -> p.setWeight("web-1", -1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weight must be in 0..65535");
  }

  @Test
  void build_withAnUnknownAlgorithm_listsTheKnownOnes() {
    ProxyServer.Builder b = ProxyServer.builder().listen(new InetSocketAddress(LO, 0)).algorithm("no-such")
        .backend(Backend.of("web-1", WEB.get(0).address()));

    assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("unknown scheduler 'no-such'; known: ");
  }

  private static byte[] readLine(InputStream in) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      out.write(c);
      if (c == '\n') {
        break;
      }
    }
    return out.toByteArray();
  }
}
