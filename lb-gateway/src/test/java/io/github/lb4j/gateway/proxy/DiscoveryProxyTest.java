package io.github.lb4j.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.discovery.Discovery;
import io.github.lb4j.discovery.DnsMembership;
import io.github.lb4j.gateway.demo.HttpBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ProxyServer} with its backends from membership sources: DNS SRV records served by a real
 * dnsmasq, changed while the proxy runs (a backend added, one removed with a connection open on
 * it, one re-weighted), a DNS outage, and a watched file beside static backends. Shares are
 * measured on real HTTP backends with weighted round robin (IPVS's, exact over whole cycles).
 */
class DiscoveryProxyTest {

  private static final InetAddress LO = InetAddress.getLoopbackAddress();
  private static final String SERVICE = "_http._tcp.example.test";
  private static final int TTL = 2;
  private static final Duration GUARD = Duration.ofSeconds(60);

  @TempDir Path dir;
  private final List<HttpBackend> web = new ArrayList<>();

  @BeforeEach
  void startBackends() throws IOException {
    for (int i = 1; i <= 4; i++) {
      HttpBackend b = new HttpBackend("web-" + i, new InetSocketAddress(LO, 0));
      b.start();
      web.add(b);
    }
  }

  @AfterEach
  void stopBackends() {
    web.forEach(HttpBackend::stop);
  }

  private HttpBackend web(int n) {
    return web.get(n - 1);
  }

  /** The id a DNS source gives a backend: its address and port. */
  private String id(int n) {
    return "127.0.0.1:" + web(n).address().getPort();
  }

  private static Map<String, Integer> shares(ProxyServer p, int requests) throws IOException {
    Map<String, Integer> shares = new HashMap<>();
    for (int i = 0; i < requests; i++) {
      shares.merge(Http.get(p.listenAddresses().get(0)), 1, Integer::sum);
    }
    return shares;
  }

  private static Map<String, Integer> weights(ProxyServer p) {
    return p.status().stream().collect(Collectors.toMap(s -> s.backend().id(), s -> s.backend().weight()));
  }

  @Test
  void srvRecords_areTheBackends_andTheirChangesReachTheProxyAtTheTtl() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(dir, TTL, List.of(Dnsmasq.WEB_A,
        Dnsmasq.srv(web(1).address(), 3), Dnsmasq.srv(web(2).address(), 2), Dnsmasq.srv(web(3).address(), 1)))) {
      DnsMembership srv = DnsMembership.srv(SERVICE).server(dns.address()).minRefresh(Duration.ofSeconds(1)).build();
      try (ProxyServer p = ProxyServer.builder().listen(new InetSocketAddress(LO, 0)).algorithm("weighted-round-robin")
          .membership("srv:" + SERVICE, srv).build()) {
        p.start();
        // start() waited for the first answer: the proxy listens with the SRV targets as its backends.
        assertThat(weights(p)).isEqualTo(Map.of(id(1), 3, id(2), 2, id(3), 1));
        assertThat(shares(p, 60)).isEqualTo(Map.of("web-1", 30, "web-2", 20, "web-3", 10));
        // The next lookup is due when the answer's TTL runs out.
        assertThat(srv.status().refreshNanos()).isEqualTo(Duration.ofSeconds(TTL).toNanos());

        // A connection to web-3 stays open while the records change.
        Socket held = connectionTo(p, "web-3");
        dns.restart(TTL, List.of(Dnsmasq.WEB_A,
            Dnsmasq.srv(web(1).address(), 1), Dnsmasq.srv(web(2).address(), 2), Dnsmasq.srv(web(4).address(), 2)));
        await().atMost(GUARD).until(() -> weights(p).equals(Map.of(id(1), 1, id(2), 2, id(4), 2)));
        assertThat(p.scheduler().backends()).extracting(Backend::id).containsExactlyInAnyOrder(id(1), id(2), id(4));

        // The removed backend finishes what it has: the open connection still relays.
        assertThat(Http.exchange(held)).isEqualTo("web-3");
        long web3Requests = web(3).requests();
        assertThat(shares(p, 50)).isEqualTo(Map.of("web-1", 10, "web-2", 20, "web-4", 20));
        assertThat(web(3).requests()).as("new requests on the removed backend").isEqualTo(web3Requests);
        BackendLoad load3 = p.sessions().of(id(3));
        assertThat(load3.active() + load3.inactive()).isEqualTo(1);
        held.close();
        await().atMost(GUARD).until(() -> load3.active() + load3.inactive() == 0);
        assertThat(p.status()).extracting(s -> s.backend().id()).doesNotContain(id(3));
      }
      assertThat(lookupThreads()).as("the DNS source's thread ends with the proxy").isEmpty();
    }
  }

  @Test
  void dnsOutage_keepsTheLastGoodMembership_andSaysSo() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(dir, TTL, List.of(Dnsmasq.WEB_A,
        Dnsmasq.srv(web(1).address(), 1), Dnsmasq.srv(web(2).address(), 1)))) {
      DnsMembership srv = DnsMembership.srv(SERVICE).server(dns.address()).minRefresh(Duration.ofSeconds(1))
          .timeout(Duration.ofMillis(500)).build();
      try (ProxyServer p = ProxyServer.builder().listen(new InetSocketAddress(LO, 0)).algorithm("round-robin")
          .membership("srv:" + SERVICE, srv).build()) {
        p.start();
        assertThat(weights(p)).containsOnlyKeys(id(1), id(2));

        dns.stop();
        await().atMost(GUARD).until(() -> srv.status().consecutiveFailures() >= 2);
        assertThat(srv.status().lastError()).contains("SRV " + SERVICE);
        assertThat(weights(p)).containsOnlyKeys(id(1), id(2));
        assertThat(shares(p, 10)).isEqualTo(Map.of("web-1", 5, "web-2", 5));

        dns.restart(TTL, List.of(Dnsmasq.WEB_A, Dnsmasq.srv(web(2).address(), 1)));
        await().atMost(GUARD).until(() -> weights(p).keySet().equals(java.util.Set.of(id(2))));
        assertThat(srv.status().lastError()).isNull();
        assertThat(shares(p, 4)).isEqualTo(Map.of("web-2", 4));
      }
    }
  }

  @Test
  void addressRecords_reloadedBySighup_addABackend_withoutAnOutage() throws Exception {
    // Two servers on one port at two loopback addresses: dns:NAME:PORT gives every address the same port.
    HttpBackend a = new HttpBackend("a", new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
    a.start();
    web.add(a);
    int port = a.address().getPort();
    HttpBackend b = new HttpBackend("b", new InetSocketAddress(InetAddress.getByName("127.0.0.3"), port));
    b.start();
    web.add(b);
    Path hosts = dir.resolve("hosts");
    Files.writeString(hosts, "127.0.0.2 web.example.test\n");
    try (Dnsmasq dns = Dnsmasq.start(dir, TTL, List.of("addn-hosts=" + hosts))) {
      DnsMembership names = DnsMembership.addresses("web.example.test", port).server(dns.address())
          .minRefresh(Duration.ofSeconds(1)).build();
      try (ProxyServer p = ProxyServer.builder().listen(new InetSocketAddress(LO, 0))
          .membership("dns:web.example.test:" + port, names).build()) {
        p.start();
        assertThat(weights(p)).isEqualTo(Map.of("127.0.0.2:" + port, 1));
        assertThat(shares(p, 3)).isEqualTo(Map.of("a", 3));

        Files.writeString(hosts, "127.0.0.2 web.example.test\n127.0.0.3 web.example.test\n");
        dns.reload();
        await().atMost(GUARD).until(() -> weights(p).size() == 2);
        assertThat(shares(p, 4)).isEqualTo(Map.of("a", 2, "b", 2));
        assertThat(names.status().consecutiveFailures()).as("a reload is no outage").isZero();
      }
    }
  }

  @Test
  void noAnswerAtStart_listensAnyway_andTheBackendsJoinWhenTheServerAnswers() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(dir, TTL, List.of(Dnsmasq.WEB_A, Dnsmasq.srv(web(1).address(), 1)))) {
      dns.stop();
      DnsMembership srv = DnsMembership.srv(SERVICE).server(dns.address()).minRefresh(Duration.ofSeconds(1))
          .maxRefresh(Duration.ofSeconds(1)).timeout(Duration.ofMillis(200)).build();
      try (ProxyServer p = ProxyServer.builder().listen(new InetSocketAddress(LO, 0))
          .backend(Backend.of("static", web(2).address()))
          .membership("srv:" + SERVICE, srv).discoveryWait(Duration.ZERO).build()) {
        p.start();
        assertThat(weights(p)).containsOnlyKeys("static");
        dns.restart(TTL, List.of(Dnsmasq.WEB_A, Dnsmasq.srv(web(1).address(), 1)));
        await().atMost(GUARD).until(() -> weights(p).keySet().equals(java.util.Set.of("static", id(1))));
        assertThat(shares(p, 4)).isEqualTo(Map.of("web-1", 2, "web-2", 2));
      }
    }
  }

  @Test
  void fileSource_besideStaticBackends_followsTheFile_withHealthChecks() throws Exception {
    Path file = dir.resolve("backends.txt");
    write(file, "web-2 " + addr(2) + "\n"
        // web-1's address is a static backend already: left out, not a second share.
        + "again " + addr(1) + "\n");
    try (ProxyServer p = ProxyServer.builder().listen(new InetSocketAddress(LO, 0)).algorithm("weighted-round-robin")
        .backend(Backend.of("web-1", web(1).address()))
        .membership("file:" + file, Discovery.parse("file:" + file))
        .healthCheck(new HealthCheckSpec("tcp", Map.of(), Duration.ofMillis(200), Duration.ofMillis(100), 1, 1))
        .build()) {
      p.start();
      assertThat(weights(p)).isEqualTo(Map.of("web-1", 1, "web-2", 1));
      await().atMost(GUARD).until(() -> p.status().stream().allMatch(s -> s.health() == HealthState.UP));
      assertThat(shares(p, 10)).isEqualTo(Map.of("web-1", 5, "web-2", 5));

      write(file, "web-2 " + addr(2) + "\nweb-3 " + addr(3) + " weight=2\n");
      await().atMost(GUARD).until(() -> weights(p).equals(Map.of("web-1", 1, "web-2", 1, "web-3", 2)));
      // The added backend is checked before it counts as up.
      await().atMost(GUARD).until(() -> p.status().stream().allMatch(s -> s.health() == HealthState.UP));
      assertThat(shares(p, 40)).isEqualTo(Map.of("web-1", 10, "web-2", 10, "web-3", 20));

      write(file, "web-3 " + addr(3) + " weight=2\n");
      await().atMost(GUARD).until(() -> weights(p).equals(Map.of("web-1", 1, "web-3", 2)));
      assertThat(shares(p, 30)).isEqualTo(Map.of("web-1", 10, "web-3", 20));
    }
    assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
        .doesNotContain("lb-file " + file.getFileName());
  }

  @Test
  void removedBackendsLeaveNothingBehind() throws Exception {
    Path file = dir.resolve("churn.txt");
    write(file, "web-1 " + addr(1) + "\n");
    try (ProxyServer p = ProxyServer.builder().listen(new InetSocketAddress(LO, 0))
        .membership("file:" + file, Discovery.parse("file:" + file))
        .connectAttempts(2).build()) {
      p.start();
      // 20 backends come and go; each one that refused a connection had a failure counter.
      for (int round = 0; round < 20; round++) {
        int deadPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, LO)) {
          deadPort = s.getLocalPort();
        }
        String dead = "dead-" + round;
        write(file, "web-1 " + addr(1) + "\n" + dead + " 127.0.0.1:" + deadPort + "\n");
        await().atMost(GUARD).until(() -> weights(p).containsKey(dead));
        shares(p, 2);
        assertThat(p.status()).filteredOn(s -> s.backend().id().equals(dead)).singleElement()
            .satisfies(s -> assertThat(s.connectFailures()).isPositive());
        write(file, "web-1 " + addr(1) + "\n");
        await().atMost(GUARD).until(() -> !weights(p).containsKey(dead));
      }
      assertThat(p.status()).hasSize(1);
      assertThat(p.pool().backends()).hasSize(1);
      // The failure counters of the backends that left went with them.
      await().atMost(GUARD).until(() -> p.perBackendEntries() <= 1);
    }
  }

  private String addr(int n) {
    return "127.0.0.1:" + web(n).address().getPort();
  }

  /** Replaces a file atomically, as the file source asks. */
  private static void write(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Opens keep-alive connections through the proxy until one is relayed to {@code name}; closes the others. */
  private static Socket connectionTo(ProxyServer p, String name) throws IOException {
    List<Socket> others = new ArrayList<>();
    try {
      for (int i = 0; i < 64; i++) {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.connect(p.listenAddresses().get(0), 10_000);
        if (Http.exchange(s).equals(name)) {
          return s;
        }
        others.add(s);
      }
      throw new AssertionError("no connection reached " + name);
    } finally {
      for (Socket o : others) {
        o.close();
      }
    }
  }

  private static List<String> lookupThreads() {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).filter(n -> n.startsWith("lb-dns"))
        .collect(Collectors.toList());
  }
}
