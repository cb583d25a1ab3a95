package io.github.lb4j.health.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.Requirements;
import io.github.lb4j.testing.linux.ThreadCapabilities;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** [icmp] (S2.1) against loopback in the root namespace. */
class IcmpCheckerTest {

  private static HealthChecker icmp() {
    Requirements.requireCapabilities("icmp with raw sockets", Capability.NET_RAW);
    return HealthCheckers.create("icmp", Map.of());
  }

  private static InetSocketAddress target(String address) throws Exception {
    return new InetSocketAddress(InetAddress.getByName(address), 0);
  }

  @Test
  void echo_toLoopback_isHealthy_withTheRoundTripTime() throws Exception {
    try (HealthChecker c = icmp()) {
      assertThat(c.name()).isEqualTo("icmp");
      HealthResult r = c.check(target("127.0.0.1"), Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
      assertThat(r.healthy()).as(r.toString()).isTrue();
      assertThat(r.reason()).isEqualTo(HealthReason.OK);
      assertThat(r.detail()).isEqualTo("echo reply from 127.0.0.1");
      assertThat(r.elapsedNanos()).isPositive().isLessThan(TimeUnit.SECONDS.toNanos(2));
    }
  }

  @Test
  void echo_toIpv6Loopback_isHealthy() throws Exception {
    Requirements.requireIpv6("::1");
    try (HealthChecker c = icmp()) {
      HealthResult r = c.check(target("::1"), Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
      assertThat(r.healthy()).as(r.toString()).isTrue();
      assertThat(r.detail()).isEqualTo("echo reply from ::1");
    }
  }

  @Test
  void oneRound_overAThousandLoopbackAddresses_isAllHealthy_onOneThread() throws Exception {
    try (HealthChecker c = icmp()) {
      List<CompletableFuture<HealthResult>> round = new ArrayList<>();
      List<String> addresses = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        int n = 256 + i;
        String a = "127.0." + (n >> 8) + "." + (n & 0xFF);
        addresses.add(a);
        round.add(c.check(target(a), Duration.ofSeconds(3)));
      }
      CompletableFuture.allOf(round.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      for (int i = 0; i < round.size(); i++) {
        HealthResult r = round.get(i).join();
        assertThat(r.healthy()).as(addresses.get(i) + ": " + r).isTrue();
        assertThat(r.detail()).isEqualTo("echo reply from " + addresses.get(i));
      }
      long engines = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("lb4j-icmp")).count();
      assertThat(engines).isEqualTo(1);
    }
  }

  @Test
  void manyCheckerObjects_shareOneEngine_andClosingOneLeavesTheOthersWorking() throws Exception {
    HealthChecker a = icmp();
    HealthChecker b = HealthCheckers.create("icmp", Map.of());
    try {
      assertThat(((SocketChecker) a).engine()).isSameAs(((SocketChecker) b).engine());
      a.close();
      assertThat(a.check(target("127.0.0.1"), Duration.ofSeconds(1)).get().reason()).isEqualTo(HealthReason.CLOSED);
      assertThat(b.check(target("127.0.0.1"), Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS).healthy()).isTrue();
    } finally {
      a.close();
      b.close();
    }
    assertThat(Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("lb4j-icmp") && t.isAlive()))
        .as("the engine thread ends with its last checker")
        .isEmpty();
  }

  @Test
  void badOptions_areRejectedByNameAndValue() {
    assertThatThrownBy(() -> HealthCheckers.create("icmp", Map.of("socket", "udp")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("socket").hasMessageContaining("'udp'");
    assertThatThrownBy(() -> HealthCheckers.create("icmp", Map.of("payload-size", "4")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("payload-size").hasMessageContaining("4");
    assertThatThrownBy(() -> HealthCheckers.create("icmp", Map.of("ttl", "4")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'ttl'");
  }

  @Test
  void pingSocketsOnly_whereThePingGroupExcludesUs_failsSayingWhatToChange() throws Exception {
    String range = Files.readString(Path.of("/proc/sys/net/ipv4/ping_group_range")).trim();
    String[] bounds = range.split("\\s+");
    long gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
    Requirements.require(gid < Long.parseLong(bounds[0]) || gid > Long.parseLong(bounds[1]),
        "ping sockets are allowed here (range " + range + ")");
    assertThatThrownBy(() -> HealthCheckers.create("icmp", Map.of("socket", "ping")))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("net.ipv4.ping_group_range");
  }

  @Test
  void withoutCapNetRawOrThePingGroup_creationFails_sayingWhatToGrant() throws Exception {
    Requirements.requireCapabilities("dropping CAP_NET_RAW from one thread", Capability.NET_RAW);
    String range = Files.readString(Path.of("/proc/sys/net/ipv4/ping_group_range")).trim();
    String[] bounds = range.split("\\s+");
    long gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
    Requirements.require(gid < Long.parseLong(bounds[0]) || gid > Long.parseLong(bounds[1]),
        "ping sockets are allowed here (range " + range + "), so icmp works without CAP_NET_RAW");
    Throwable raw = ThreadCapabilities.without(() -> catchThrowable(() -> HealthCheckers.create("icmp", Map.of("socket", "raw"))), Capability.NET_RAW);
    assertThat(raw).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("CAP_NET_RAW");
    Throwable auto = ThreadCapabilities.without(() -> catchThrowable(() -> HealthCheckers.create("icmp", Map.of())), Capability.NET_RAW);
    assertThat(auto).isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("neither is allowed").hasMessageContaining("ping_group_range").hasMessageContaining("CAP_NET_RAW");
    Throwable halfOpen = ThreadCapabilities.without(() -> catchThrowable(() -> HealthCheckers.create("tcp-half-open", Map.of("way", "raw"))), Capability.NET_RAW);
    assertThat(halfOpen).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("CAP_NET_RAW");
  }

  @Test
  void lbHealthsIcmpName_resolvesToThisModulesChecker() {
    assertThat(HealthCheckers.descriptions()).containsEntry("icmp", new IcmpCheckerProvider().description());
    try (HealthChecker c = icmp()) {
      assertThat(c).isInstanceOf(SocketChecker.class);
    }
  }
}
