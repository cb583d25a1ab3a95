package io.github.lb4j.health.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.NamespaceLab;
import io.github.lb4j.testing.Privileged;
import io.github.lb4j.testing.linux.NetworkNamespace;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * [icmp] and [tcp-half-open] way=raw against hosts in a namespace that drop or reject: the checker's
 * sockets are opened inside the client namespace, so nothing touches the host's own routes.
 */
@Privileged(value = "namespace checks", capabilities = {Capability.NET_RAW, Capability.NET_ADMIN, Capability.SYS_ADMIN},
    commands = {"ip", "nft"})
class NamespaceChecksTest {

  private static final String RULES = """
      table inet lab {
        chain input {
          type filter hook input priority 0; policy accept;
          ip daddr 192.0.2.2 icmp type echo-request drop
          ip daddr 192.0.2.3 icmp type echo-request reject with icmp type host-unreachable
          ip6 daddr 2001:db8::2 icmpv6 type echo-request drop
          ip6 daddr 2001:db8::3 icmpv6 type echo-request reject with icmpv6 type addr-unreachable
          ip daddr 192.0.2.2 tcp dport 9 drop
          ip daddr 192.0.2.3 tcp dport 9 reject with icmp type host-unreachable
          ip6 daddr 2001:db8::3 tcp dport 9 reject with icmpv6 type admin-prohibited
        }
      }
      """;

  private static NamespaceLab lab;

  @BeforeAll
  static void createLab() {
    lab = NamespaceLab.create("h", "192.0.2.3/24", "192.0.2.4/24", "2001:db8::3/64", "2001:db8::4/64");
    lab.nft(lab.server, RULES);
  }

  @AfterAll
  static void deleteLab() {
    if (lab != null) {
      lab.close();
    }
  }

  private static HealthChecker inClient(String method, Map<String, String> options) {
    try (NetworkNamespace ns = NetworkNamespace.enter(lab.client)) {
      return HealthCheckers.create(method, options);
    }
  }

  private static HealthResult check(HealthChecker c, String address, int port, long timeoutMillis) throws Exception {
    return c.check(new InetSocketAddress(InetAddress.getByName(address), port), Duration.ofMillis(timeoutMillis))
        .get(timeoutMillis + 5000, TimeUnit.MILLISECONDS);
  }

  @Test
  void icmp_toAHostThatDropsEchoes_timesOutWithinItsTimeout() throws Exception {
    try (HealthChecker c = inClient("icmp", Map.of("socket", "raw"))) {
      assertThat(check(c, "192.0.2.4", 0, 2000).healthy()).as("the path works").isTrue();
      HealthResult r = check(c, "192.0.2.2", 0, 400);
      // The checker's own deadline decided (its detail names it); deadlines_followTheInjectedClock
      // shows that it is the deadline that fires, on an injected clock.
      assertThat(r.reason()).as(r.toString()).isEqualTo(HealthReason.TIMEOUT);
      assertThat(r.detail()).isEqualTo("no echo reply from 192.0.2.2 within 400 ms");
    }
  }

  @Test
  void icmp_toAHostThatRejects_isUnreachable() throws Exception {
    try (HealthChecker c = inClient("icmp", Map.of("socket", "raw"))) {
      HealthResult r = check(c, "192.0.2.3", 0, 2000);
      assertThat(r.reason()).as(r.toString()).isEqualTo(HealthReason.UNREACHABLE);
      assertThat(r.detail()).isEqualTo("ICMP destination unreachable code 1 (host unreachable) for 192.0.2.3");
    }
  }

  @Test
  @Privileged(value = "ICMPv6 checks", ipv6 = true)
  void icmpv6_answers_dropsAndRejects_overRawAndPingSockets() throws Exception {
    try (HealthChecker c = inClient("icmp", Map.of("socket", "raw"))) {
      assertThat(check(c, "2001:db8::4", 0, 2000).healthy()).isTrue();
      assertThat(check(c, "2001:db8::2", 0, 400).reason()).isEqualTo(HealthReason.TIMEOUT);
      HealthResult r6 = check(c, "2001:db8::3", 0, 2000);
      assertThat(r6.reason()).as(r6.toString()).isEqualTo(HealthReason.UNREACHABLE);
      assertThat(r6.detail()).isEqualTo("ICMPv6 destination unreachable code 3 for 2001:db8::3");
    }
    lab.exec(lab.client, "sh", "-c", "echo '0 2147483647' > /proc/sys/net/ipv4/ping_group_range");
    try (HealthChecker c = inClient("icmp", Map.of("socket", "ping"))) {
      assertThat(check(c, "2001:db8::4", 0, 2000).healthy()).isTrue();
      HealthResult r6 = check(c, "2001:db8::3", 0, 2000);
      assertThat(r6.reason()).as(r6.toString()).isEqualTo(HealthReason.UNREACHABLE);
    } finally {
      lab.exec(lab.client, "sh", "-c", "echo '1 0' > /proc/sys/net/ipv4/ping_group_range");
    }
  }

  @Test
  void icmp_overPingSockets_whereTheGroupRangeAllows_matchesRepliesAndErrors() throws Exception {
    lab.exec(lab.client, "sh", "-c", "echo '0 2147483647' > /proc/sys/net/ipv4/ping_group_range");
    try (HealthChecker c = inClient("icmp", Map.of("socket", "ping"))) {
      assertThat(((IcmpEngine) ((SocketChecker) c).engine()).usesPingSockets()).isTrue();
      assertThat(check(c, "192.0.2.4", 0, 2000).healthy()).isTrue();
      assertThat(check(c, "192.0.2.2", 0, 400).reason()).isEqualTo(HealthReason.TIMEOUT);
      HealthResult r = check(c, "192.0.2.3", 0, 2000);
      assertThat(r.reason()).as(r.toString()).isEqualTo(HealthReason.UNREACHABLE);
      assertThat(r.detail()).isEqualTo("ICMP destination unreachable code 1 (host unreachable) for 192.0.2.3");
    } finally {
      lab.exec(lab.client, "sh", "-c", "echo '1 0' > /proc/sys/net/ipv4/ping_group_range");
    }
  }

  @Test
  void deadlines_followTheInjectedClock_notTheWallClock() throws Exception {
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000_000L);
    IcmpEngine engine;
    try (NetworkNamespace ns = NetworkNamespace.enter(lab.client)) {
      engine = new IcmpEngine(IcmpEngine.Mode.RAW, 56, now::get);
      engine.start();
    }
    try {
      Probe p = new Probe(this, InetAddress.getByName("192.0.2.2"), 0, TimeUnit.SECONDS.toNanos(60));
      engine.submit(p);
      // However long the wall clock runs, the deadline waits for the injected clock.
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(30)).until(() -> !p.future.isDone());
      now.addAndGet(TimeUnit.SECONDS.toNanos(60));
      engine.poller.wakeup();
      HealthResult r = p.future.get(5, TimeUnit.SECONDS);
      assertThat(r.reason()).isEqualTo(HealthReason.TIMEOUT);
      assertThat(r.elapsedNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(60));
      assertThat(r.detail()).isEqualTo("no echo reply from 192.0.2.2 within 60000 ms");
    } finally {
      engine.shutdown();
    }
  }

  @Test
  void close_completesChecksInFlightWithClosed() throws Exception {
    HealthChecker c = inClient("icmp", Map.of("socket", "raw"));
    CompletableFuture<HealthResult> pending = c.check(new InetSocketAddress("192.0.2.2", 0), Duration.ofSeconds(30));
    c.close();
    HealthResult r = pending.get(5, TimeUnit.SECONDS);
    assertThat(r.reason()).isEqualTo(HealthReason.CLOSED);
  }

  @Test
  void halfOpen_toAPortThatDrops_timesOut_andToARemoteListener_isHealthy() throws Exception {
    try (HealthChecker c = inClient("tcp-half-open", Map.of("way", "raw"))) {
      HealthResult dropped = check(c, "192.0.2.2", 9, 400);
      assertThat(dropped.reason()).as(dropped.toString()).isEqualTo(HealthReason.TIMEOUT);
      HealthResult refused = check(c, "192.0.2.2", 10, 2000);
      assertThat(refused.reason()).as(refused.toString()).isEqualTo(HealthReason.REFUSED);
      HealthResult rejected = check(c, "192.0.2.3", 9, 2000);
      assertThat(rejected.reason()).as(rejected.toString()).isEqualTo(HealthReason.UNREACHABLE);
      assertThat(rejected.detail()).isEqualTo("ICMP type 3 code 1 for the SYN to 192.0.2.3:9");
    }
  }

  @Test
  @Privileged(value = "half-open over IPv6", ipv6 = true)
  void halfOpenOverIpv6_answersRefusesAndReportsIcmpv6Errors() throws Exception {
    try (HealthChecker c = inClient("tcp-half-open", Map.of("way", "raw"))) {
      assertThat(check(c, "2001:db8::2", 10, 2000).reason()).isEqualTo(HealthReason.REFUSED);
      HealthResult rejected = check(c, "2001:db8::3", 9, 2000);
      assertThat(rejected.reason()).as(rejected.toString()).isEqualTo(HealthReason.UNREACHABLE);
      assertThat(rejected.detail()).isEqualTo("ICMPv6 type 1 code 1 for the SYN to [2001:db8::3]:9");
    }
  }
}
