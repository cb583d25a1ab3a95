package io.github.lb4j.health.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.Descriptors;
import io.github.lb4j.testing.Privileged;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every engine releases its sockets, poller and arena with its last checker: the descriptor count returns. */
@Privileged(value = "the raw-socket checkers", capabilities = Capability.NET_RAW)
class CheckerDescriptorLeakTest {

  private static void cycle(int port) throws Exception {
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    try (HealthChecker icmp = HealthCheckers.create("icmp", Map.of("socket", "raw"))) {
      assertThat(icmp.check(loopback, Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS).healthy()).isTrue();
    }
    try (HealthChecker halfOpen = HealthCheckers.create("tcp-half-open", Map.of("way", "raw"))) {
      assertThat(halfOpen.check(loopback, Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS).healthy()).isTrue();
    }
  }

  @Test
  void manyCheckerLifetimes_leaveTheDescriptorCountUnchanged() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      cycle(server.getLocalPort());
      int before = Descriptors.open();
      for (int i = 0; i < 100; i++) {
        cycle(server.getLocalPort());
      }
      assertThat(Descriptors.open()).isEqualTo(before);
    }
  }
}
