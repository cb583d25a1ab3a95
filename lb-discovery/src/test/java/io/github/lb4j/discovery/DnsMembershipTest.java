package io.github.lb4j.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.Backend;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.BackendState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DnsMembership against a real DNS server (dnsmasq on loopback) whose records change during the test. */
class DnsMembershipTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final String SERVICE = "_http._tcp.example.test";

  @TempDir Path dir;

  /** id -> "weight/priority" of every member. */
  private static Map<String, String> members(BackendPool pool) {
    pool.flush().join();
    Map<String, String> out = new LinkedHashMap<>();
    for (BackendState s : pool.backends()) {
      out.put(s.id(), s.backend().weight() + "/" + s.backend().priority());
    }
    return out;
  }

  private DnsMembership.Builder srv(Dnsmasq dns) {
    return DnsMembership.srv(SERVICE).server(dns.address()).timeout(Duration.ofMillis(500))
        .minRefresh(Duration.ofSeconds(1)).maxRefresh(Duration.ofSeconds(60));
  }

  @Test
  void srvRecords_becomeBackends_andAddRemoveReweightReachThePoolWithinOneTtl() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(dir, 7, List.of(
        "srv-host=" + SERVICE + ",web1.example.test,8081,10,5",
        "srv-host=" + SERVICE + ",web2.example.test,8082,20,0",
        "host-record=web1.example.test,127.0.0.1,::1",
        "host-record=web2.example.test,127.0.0.2"))) {
      ManualScheduler timer = new ManualScheduler();
      DnsMembership source = srv(dns).scheduler(timer).build();
      try (BackendPool pool = BackendPool.builder().membership(source).build()) {
        timer.runDue();
        // Priority 10 ranks first (0), 20 second (1); SRV weight 0 is the smallest lb4j weight, 1.
        assertThat(members(pool)).containsExactlyInAnyOrderEntriesOf(Map.of(
            "127.0.0.1:8081", "5/0", "[::1]:8081", "5/0", "127.0.0.2:8082", "1/1"));
        assertThat(pool.backend("127.0.0.2:8082").backend().label("dns.target")).isEqualTo("web2.example.test");
        assertThat(timer.nextDelayNanos()).as("the next lookup is due when the TTL runs out").isEqualTo(7 * SECOND);
        assertThat(source.status().lastError()).isNull();

        // web2 leaves, web3 joins, web1 is re-weighted.
        dns.restart(7, List.of(
            "srv-host=" + SERVICE + ",web1.example.test,8081,10,9",
            "srv-host=" + SERVICE + ",web3.example.test,8083,10,2",
            "host-record=web1.example.test,127.0.0.1",
            "host-record=web3.example.test,127.0.0.3"));
        timer.advanceNanos(7 * SECOND - 1);
        assertThat(members(pool)).containsKey("127.0.0.2:8082");
        timer.advanceNanos(1);
        assertThat(members(pool)).containsExactlyInAnyOrderEntriesOf(Map.of("127.0.0.1:8081", "9/0", "127.0.0.3:8083", "2/0"));
      }
    }
  }

  @Test
  void anOutage_keepsTheLastGoodMembership_saysSo_andBacksOff() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(dir, 3, List.of(
        "srv-host=" + SERVICE + ",web1.example.test,8081,0,1",
        "host-record=web1.example.test,127.0.0.1"))) {
      ManualScheduler timer = new ManualScheduler();
      DnsMembership source = srv(dns).scheduler(timer).build();
      try (BackendPool pool = BackendPool.builder().membership(source).build()) {
        timer.runDue();
        assertThat(members(pool)).containsOnlyKeys("127.0.0.1:8081");

        dns.stop();
        timer.advanceNanos(3 * SECOND);
        assertThat(members(pool)).containsOnlyKeys("127.0.0.1:8081");
        DnsMembership.Status s = source.status();
        // Nothing listens on the port now: loopback answers ICMP port unreachable (elsewhere: a timeout).
        assertThat(s.lastError()).contains("SRV " + SERVICE).contains("nothing listens");
        assertThat(s.consecutiveFailures()).isEqualTo(1);
        assertThat(s.backends()).extracting(Backend::id).containsExactly("127.0.0.1:8081");
        assertThat(timer.nextDelayNanos()).as("first retry after minRefresh").isEqualTo(SECOND);
        timer.advanceNanos(SECOND);
        assertThat(source.status().consecutiveFailures()).isEqualTo(2);
        assertThat(timer.nextDelayNanos()).as("then doubling").isEqualTo(2 * SECOND);

        dns.restart(3, List.of(
            "srv-host=" + SERVICE + ",web2.example.test,8082,0,1",
            "host-record=web2.example.test,127.0.0.2"));
        timer.advanceNanos(2 * SECOND);
        assertThat(members(pool)).containsOnlyKeys("127.0.0.2:8082");
        assertThat(source.status().lastError()).isNull();
        assertThat(source.status().consecutiveFailures()).isZero();
      }
    }
  }

  @Test
  void aBadAnswer_keepsTheLastGoodMembership() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(dir, 3, List.of(
        "srv-host=" + SERVICE + ",web1.example.test,8081,0,1",
        "host-record=web1.example.test,127.0.0.1"))) {
      ManualScheduler timer = new ManualScheduler();
      DnsMembership source = srv(dns).scheduler(timer).build();
      try (BackendPool pool = BackendPool.builder().membership(source).build()) {
        timer.runDue();
        // The service's records are gone (the server still answers: with no SRV record).
        dns.restart(3, List.of("host-record=web1.example.test,127.0.0.1"));
        timer.advanceNanos(3 * SECOND);
        assertThat(members(pool)).containsOnlyKeys("127.0.0.1:8081");
        assertThat(source.status().lastError()).contains("SRV " + SERVICE);
        // A target without an address is no backend either.
        dns.restart(3, List.of("srv-host=" + SERVICE + ",nowhere.example.test,8081,0,1"));
        timer.advanceNanos(SECOND);
        assertThat(members(pool)).containsOnlyKeys("127.0.0.1:8081");
        assertThat(source.status().lastError()).contains("no target has an address").contains("nowhere.example.test");
      }
    }
  }

  @Test
  void aServiceDecidedlyNotAvailable_emptiesThePool() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(dir, 3, List.of(
        "srv-host=" + SERVICE + ",web1.example.test,8081,0,1",
        "host-record=web1.example.test,127.0.0.1"))) {
      ManualScheduler timer = new ManualScheduler();
      DnsMembership source = srv(dns).scheduler(timer).build();
      try (BackendPool pool = BackendPool.builder().membership(source).build()) {
        timer.runDue();
        assertThat(members(pool)).hasSize(1);
        // RFC 2782: one record whose target is "." (dnsmasq: srv-host without a target).
        dns.restart(3, List.of("srv-host=" + SERVICE));
        timer.advanceNanos(3 * SECOND);
        assertThat(members(pool)).isEmpty();
        assertThat(source.status().lastError()).isNull();
      }
    }
  }

  @Test
  void addressRecords_becomeBackendsOnThePort_perFamily() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(dir, 30, List.of("host-record=web.example.test,127.0.0.1,::1",
        "host-record=web.example.test,127.0.0.2"))) {
      ManualScheduler timer = new ManualScheduler();
      DnsMembership both = DnsMembership.addresses("web.example.test", 9000).server(dns.address()).scheduler(timer).build();
      DnsMembership v4 = DnsMembership.addresses("web.example.test", 9000).server(dns.address()).families(true, false)
          .scheduler(timer).build();
      try (BackendPool all = BackendPool.builder().membership(both).build();
          BackendPool only4 = BackendPool.builder().membership(v4).build()) {
        timer.runDue();
        assertThat(members(all)).containsOnlyKeys("127.0.0.1:9000", "127.0.0.2:9000", "[::1]:9000");
        assertThat(members(only4)).containsOnlyKeys("127.0.0.1:9000", "127.0.0.2:9000");
        assertThat(timer.nextDelayNanos()).isEqualTo(30 * SECOND);
      }
    }
  }

  @Test
  void ttlsAreClampedToTheRefreshBounds() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(dir, 0, List.of("host-record=web.example.test,127.0.0.1"))) {
      ManualScheduler timer = new ManualScheduler();
      DnsMembership source = DnsMembership.addresses("web.example.test", 80).server(dns.address())
          .minRefresh(Duration.ofSeconds(2)).scheduler(timer).build();
      try (BackendPool pool = BackendPool.builder().membership(source).build()) {
        timer.runDue();
        assertThat(members(pool)).as("%s", source.status()).hasSize(1);
        assertThat(timer.nextDelayNanos()).as("TTL 0 waits minRefresh").isEqualTo(2 * SECOND);
      }
    }
    try (Dnsmasq dns = Dnsmasq.start(dir, 86_400, List.of("host-record=web.example.test,127.0.0.1"))) {
      ManualScheduler timer = new ManualScheduler();
      DnsMembership source = DnsMembership.addresses("web.example.test", 80).server(dns.address())
          .maxRefresh(Duration.ofSeconds(30)).scheduler(timer).build();
      try (BackendPool pool = BackendPool.builder().membership(source).build()) {
        timer.runDue();
        assertThat(timer.nextDelayNanos()).as("a day-long TTL waits maxRefresh").isEqualTo(30 * SECOND);
      }
    }
  }

  @Test
  void onItsOwnThread_thePoolFollowsAChange_andCloseStopsTheThread() throws Exception {
    try (Dnsmasq dns = Dnsmasq.start(dir, 1, List.of(
        "srv-host=" + SERVICE + ",web1.example.test,8081,0,1",
        "host-record=web1.example.test,127.0.0.1"))) {
      DnsMembership source = srv(dns).build();
      BackendPool pool = BackendPool.builder().membership(source).build();
      try {
        await().until(() -> members(pool).containsKey("127.0.0.1:8081"));
        dns.restart(1, List.of(
            "srv-host=" + SERVICE + ",web1.example.test,8081,0,1",
            "srv-host=" + SERVICE + ",web2.example.test,8082,0,4",
            "host-record=web1.example.test,127.0.0.1",
            "host-record=web2.example.test,127.0.0.2"));
        await().until(() -> "4/0".equals(members(pool).get("127.0.0.2:8082")));
      } finally {
        pool.close();
      }
      assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("lb-dns ") && t.isAlive());
    }
  }

  @Test
  void badSettings_areRefusedWithTheirName() {
    assertThatThrownBy(() -> DnsMembership.addresses("web.example.test", 0)).hasMessageContaining("port");
    assertThatThrownBy(() -> DnsMembership.srv("bad..name")).hasMessageContaining("bad..name");
    assertThatThrownBy(() -> DnsMembership.srv(SERVICE).minRefresh(Duration.ofMinutes(10)).maxRefresh(Duration.ofMinutes(1)).build())
        .hasMessageContaining("minRefresh");
    assertThatThrownBy(() -> DnsMembership.srv(SERVICE).families(false, false)).hasMessageContaining("address family");
  }
}
