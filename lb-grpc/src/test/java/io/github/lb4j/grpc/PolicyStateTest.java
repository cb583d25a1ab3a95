package io.github.lb4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The channel state and the errors the lb4j policy gives when backends do not serve, how it follows
 * the resolver's addresses and service config, and that it leaves nothing behind.
 */
class PolicyStateTest {

  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private Lab lab;

  @AfterEach
  void close() {
    if (lab != null) {
      lab.close();
    }
  }

  private static void warmUp(ManagedChannel ch, Lab lab) {
    await().atMost(PATIENCE).until(() -> {
      Lab.callAndWait(ch, "warm-up");
      return lab.servers.stream().allMatch(s -> s.calls() > 0);
    });
  }

  @Test
  void healthCheckDown_takesConnectedBackendsOutAndTheErrorSaysWhy() throws Exception {
    lab = new Lab(2);
    // A TCP script the gRPC servers cannot pass: every backend's check fails while its subchannel is READY.
    ManagedChannel ch = lab.channel("""
        {"loadBalancingConfig": [{"lb4j": {"healthCheck": {"method": "tcp-script",
          "options": {"step.1": "send PING\\\\r\\\\n", "step.2": "expect string +PONG"},
          "interval": "0.1s", "timeout": "0.5s", "rise": 1, "fall": 1}}}]}""");
    Lab.Reply[] last = new Lab.Reply[1];
    await().atMost(PATIENCE).until(() -> {
      last[0] = Lab.callAndWait(ch, "x");
      return !last[0].ok() && String.valueOf(last[0].status().getDescription()).contains("health check down");
    });
    Status s = last[0].status();
    System.out.println("health checks down: " + s);
    assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(s.getDescription()).contains("lb4j: no backend is serving").contains(lab.server(0).address().getPort() + " (health check down")
        .contains(lab.server(1).address().getPort() + " (health check down");
    assertThat(ch.getState(false)).isEqualTo(ConnectivityState.TRANSIENT_FAILURE);

    // The same servers with a check they pass: a new service config from the resolver, a new pool,
    // the same connections.
    lab.resolveServiceConfig("""
        {"loadBalancingConfig": [{"lb4j": {"healthCheck": {"method": "tcp", "interval": "0.1s", "rise": 1}}}]}""");
    await().atMost(PATIENCE).until(() -> Lab.callAndWait(ch, "y").ok());
    assertThat(Lab.shares(ch, 20)).containsOnlyKeys("s0", "s1");
  }

  @Test
  void allServersStopped_channelFailsWithEachBackendsSubchannelError() throws Exception {
    lab = new Lab(2);
    ManagedChannel ch = lab.channel("{\"loadBalancingConfig\": [{\"lb4j\": {}}]}");
    warmUp(ch, lab);
    lab.server(0).stop();
    lab.server(1).stop();
    Lab.Reply[] last = new Lab.Reply[1];
    await().atMost(PATIENCE).until(() -> {
      last[0] = Lab.callAndWait(ch, "x");
      return String.valueOf(last[0].status().getDescription()).contains("lb4j: no backend is serving");
    });
    System.out.println("all stopped: " + last[0].status());
    assertThat(last[0].status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(last[0].status().getDescription())
        .contains(lab.server(0).address().getPort() + " (subchannel ")
        .contains("TRANSIENT_FAILURE: UNAVAILABLE");
    assertThat(ch.getState(false)).isIn(ConnectivityState.TRANSIENT_FAILURE);
  }

  @Test
  void resolverChanges_addAndRemoveBackends() throws Exception {
    lab = new Lab(3);
    EchoServer third = lab.servers.remove(2);
    lab.publish();
    ManagedChannel ch = lab.channel("{\"loadBalancingConfig\": [{\"lb4j\": {\"scheduler\": \"round-robin\"}}]}");
    warmUp(ch, lab);
    lab.servers.add(third);
    EchoServer first = lab.servers.remove(0);
    lab.publish();
    await().atMost(PATIENCE).until(() -> Lab.shares(ch, 10).keySet().equals(java.util.Set.of("s1", "s2")));
    int before = first.calls();
    Map<String, Integer> shares = Lab.shares(ch, 60);
    assertThat(shares).containsEntry("s1", 30).containsEntry("s2", 30);
    assertThat(first.calls()).isEqualTo(before);
    lab.servers.add(first); // closed with the lab
  }

  @Test
  void weightFromTheResolver_zeroDrainsABackendAndItsReturnRestoresIt() throws Exception {
    lab = new Lab(2);
    ManagedChannel ch = lab.channel("{\"loadBalancingConfig\": [{\"lb4j\": {\"scheduler\": \"weighted-round-robin\"}}]}");
    warmUp(ch, lab);
    lab.weight(1, 0);
    await().atMost(PATIENCE).until(() -> Lab.shares(ch, 10).keySet().equals(java.util.Set.of("s0")));
    assertThat(Lab.shares(ch, 30)).containsExactly(Map.entry("s0", 30));
    lab.weight(1, 2);
    await().atMost(PATIENCE).until(() -> Lab.shares(ch, 9).getOrDefault("s1", 0) == 6);
    assertThat(Lab.shares(ch, 30)).containsEntry("s0", 10).containsEntry("s1", 20);
  }

  @Test
  void weightOutOfRange_isRefusedWithTheValue() throws Exception {
    lab = new Lab(2);
    ManagedChannel ch = lab.channel("{\"loadBalancingConfig\": [{\"lb4j\": {}}]}");
    warmUp(ch, lab);
    lab.weight(0, 70_000);
    await().atMost(PATIENCE).until(() -> lab.lastResolutionStatus() != null && !lab.lastResolutionStatus().isOk());
    assertThat(lab.lastResolutionStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(lab.lastResolutionStatus().getDescription()).contains("weight must be in 0..65535").contains("70000");
    // The refused resolution leaves the last good membership serving (both backends still answer).
    assertThat(Lab.shares(ch, 20)).containsOnlyKeys("s0", "s1");
  }

  @Test
  void shutdown_leavesNoPoolThread() throws Exception {
    lab = new Lab(2);
    ManagedChannel ch = lab.channel("""
        {"loadBalancingConfig": [{"lb4j": {"healthCheck": {"method": "tcp", "interval": "0.1s"},
          "outlierDetection": {"consecutiveFailures": 5}}}]}""");
    warmUp(ch, lab);
    assertThat(poolThreads()).isPositive();
    ch.shutdownNow();
    assertThat(ch.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
    await().atMost(PATIENCE).until(() -> poolThreads() == 0);
  }

  private static long poolThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("lb4j-pool-timer")).count();
  }

  @Test
  void badServiceConfigFromTheResolver_keepsTheWorkingOne() throws Exception {
    lab = new Lab(2);
    lab.resolveServiceConfig("{\"loadBalancingConfig\": [{\"lb4j\": {\"scheduler\": \"round-robin\"}}]}");
    ManagedChannel ch = lab.channel("{\"loadBalancingConfig\": [{\"lb4j\": {}}]}");
    warmUp(ch, lab);
    lab.resolveServiceConfig("{\"loadBalancingConfig\": [{\"lb4j\": {\"scheduler\": \"no-such-scheduler\"}}]}");
    // gRFC A21: an invalid config from the resolver is ignored when there is a working one.
    assertThat(Lab.shares(ch, 20)).containsOnlyKeys("s0", "s1");
  }
}
