package io.github.lb4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The scenarios on real gRPC-java channels and Netty servers on loopback, with lb4j's
 * policies and gRPC's own round_robin and least_request_experimental (grpc-xds) side by side: the
 * same servers, the same calls, one channel per policy.
 */
class SideBySideTest {

  /** A policy under test: a name for the report and its loadBalancingConfig entry. */
  record Policy(String name, String lbConfig, boolean lb4j) {
    @Override
    public String toString() {
      return name;
    }

    String serviceConfig() {
      return "{\"loadBalancingConfig\": [" + lbConfig + "]}";
    }
  }

  static final Policy LB4J_ROUND_ROBIN = new Policy("lb4j round-robin", "{\"lb4j\": {\"scheduler\": \"round-robin\"}}", true);
  static final Policy GRPC_ROUND_ROBIN = new Policy("grpc round_robin", "{\"round_robin\": {}}", false);
  static final Policy LB4J_LEAST_REQUEST = new Policy("lb4j least-request", "{\"lb4j\": {\"scheduler\": \"least-request\"}}", true);
  static final Policy GRPC_LEAST_REQUEST = new Policy("grpc least_request_experimental",
      "{\"least_request_experimental\": {\"choiceCount\": 2}}", false);

  static Stream<Policy> policies() {
    return Stream.of(LB4J_ROUND_ROBIN, GRPC_ROUND_ROBIN, LB4J_LEAST_REQUEST, GRPC_LEAST_REQUEST);
  }

  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private Lab lab;

  @AfterEach
  void close() {
    if (lab != null) {
      lab.close();
    }
  }

  /** Calls until every server has answered at least once: every subchannel is READY. */
  private static void warmUp(ManagedChannel ch, Lab lab, int servers) {
    await().atMost(PATIENCE).until(() -> {
      Lab.callAndWait(ch, "warm-up");
      return lab.servers.stream().limit(servers).allMatch(s -> s.calls() > 0);
    });
  }

  private static Map<String, Integer> countSince(Lab lab, Map<String, Integer> before) {
    Map<String, Integer> out = new TreeMap<>();
    for (EchoServer s : lab.servers) {
      out.put(s.name, s.calls() - before.getOrDefault(s.name, 0));
    }
    return out;
  }

  private static Map<String, Integer> snapshot(Lab lab) {
    Map<String, Integer> out = new HashMap<>();
    lab.servers.forEach(s -> out.put(s.name, s.calls()));
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void shares_splitCallsEvenlyAcrossThreeServers(Policy policy) throws Exception {
    lab = new Lab(3);
    ManagedChannel ch = lab.channel(policy.serviceConfig());
    warmUp(ch, lab, 3);
    Map<String, Integer> shares = Lab.shares(ch, 300);
    System.out.println(policy + " shares of 300 sequential calls: " + shares);
    assertThat(shares.keySet()).containsExactly("s0", "s1", "s2");
    if (policy.name().contains("round")) {
      // One caller thread: one turn sequence, so exactly one third each.
      assertThat(shares.values()).containsOnly(100);
    } else {
      // Sequential calls leave every server idle: least-request draws two at random, each gets about a third.
      assertThat(shares.values()).allSatisfy(n -> assertThat(n).isBetween(50, 150));
    }
  }

  @Test
  void shares_followWeightAttributes_lb4jWeightedRoundRobin() throws Exception {
    lab = new Lab(3);
    lab.weight(0, 1);
    lab.weight(1, 2);
    lab.weight(2, 3);
    ManagedChannel ch = lab.channel(new Policy("lb4j wrr", "{\"lb4j\": {\"scheduler\": \"weighted-round-robin\"}}", true)
        .serviceConfig());
    warmUp(ch, lab, 3);
    Map<String, Integer> shares = Lab.shares(ch, 600);
    System.out.println("lb4j weighted-round-robin 1:2:3 shares of 600 calls: " + shares);
    assertThat(shares).containsExactlyInAnyOrderEntriesOf(Map.of("s0", 100, "s1", 200, "s2", 300));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void failover_stoppedServerGetsNoMoreCallsAndCallsSucceed(Policy policy) throws Exception {
    lab = new Lab(3);
    ManagedChannel ch = lab.channel(policy.serviceConfig());
    warmUp(ch, lab, 3);
    EchoServer stopped = lab.server(1);
    stopped.stop();
    int failedWhileDetecting = 0;
    // The channel learns of the stop from the connection's close; until then a call may fail.
    for (int i = 0; i < 1000 && !batchSucceedsWithout(ch, stopped, 30); i++) {
      failedWhileDetecting++;
    }
    Map<String, Integer> before = snapshot(lab);
    Map<String, Integer> shares = Lab.shares(ch, 90);
    System.out.println(policy + " after s1 stopped: " + shares + " (batches with a failure before: " + failedWhileDetecting + ")");
    assertThat(shares).doesNotContainKey("s1").containsOnlyKeys("s0", "s2");
    assertThat(countSince(lab, before).get("s1")).isZero();
    if (policy.name().contains("round")) {
      assertThat(shares.values()).containsOnly(45);
    }
  }

  private static boolean batchSucceedsWithout(ManagedChannel ch, EchoServer stopped, int n) {
    Map<String, Integer> shares = Lab.shares(ch, n);
    return shares.keySet().stream().noneMatch(k -> k.startsWith("error")) && !shares.containsKey(stopped.name);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void failover_stoppedServerThatComesBackTakesCallsAgain(Policy policy) throws Exception {
    lab = new Lab(2);
    ManagedChannel ch = lab.channel(policy.serviceConfig());
    warmUp(ch, lab, 2);
    int port = lab.server(1).address().getPort();
    lab.server(1).stop();
    await().atMost(PATIENCE).until(() -> batchSucceedsWithout(ch, lab.server(1), 20));
    // The same address again: the subchannel's reconnect finds it (gRPC backoff, at most 120 s;
    // the first retries come within a second or two).
    EchoServer back = new EchoServer("s1-back", port);
    lab.servers.add(back);
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      Lab.callAndWait(ch, "probe");
      return back.calls() > 0;
    });
  }

  @Test
  void affinity_lb4jMaglevSendsEachRequestKeyToOneServer_roundRobinDoesNot() throws Exception {
    lab = new Lab(3);
    ManagedChannel maglev = lab.channel("{\"loadBalancingConfig\": [{\"lb4j\": {\"scheduler\": \"maglev\", "
        + "\"requestKeyHeader\": \"x-user\"}}]}");
    ManagedChannel rr = lab.channel(GRPC_ROUND_ROBIN.serviceConfig());
    warmUp(maglev, lab, 3);
    warmUp(rr, lab, 3);
    Metadata.Key<String> user = Metadata.Key.of("x-user", Metadata.ASCII_STRING_MARSHALLER);
    Map<String, Set<String>> maglevServers = new TreeMap<>();
    Map<String, Set<String>> rrServers = new TreeMap<>();
    for (int u = 0; u < 30; u++) {
      for (int i = 0; i < 6; i++) {
        Metadata h = new Metadata();
        h.put(user, "user-" + u);
        Lab.Reply m = Lab.callAndWait(maglev, "c", h);
        Lab.Reply r = Lab.callAndWait(rr, "c", h);
        assertThat(m.ok()).isTrue();
        assertThat(r.ok()).isTrue();
        maglevServers.computeIfAbsent("user-" + u, k -> new HashSet<>()).add(m.server());
        rrServers.computeIfAbsent("user-" + u, k -> new HashSet<>()).add(r.server());
      }
    }
    System.out.println("lb4j maglev by x-user: " + maglevServers);
    System.out.println("grpc round_robin by x-user: " + rrServers);
    assertThat(maglevServers.values()).allSatisfy(s -> assertThat(s).hasSize(1));
    Set<String> used = maglevServers.values().stream().flatMap(Set::stream).collect(Collectors.toSet());
    assertThat(used).as("30 users spread over the servers").hasSize(3);
    assertThat(rrServers.values()).allSatisfy(s -> assertThat(s).hasSizeGreaterThan(1));

    // A server stops: its users move, every other user stays where it was (consistent hashing).
    lab.server(0).stop();
    await().atMost(PATIENCE).until(() -> batchSucceedsWithout(maglev, lab.server(0), 20));
    for (Map.Entry<String, Set<String>> e : maglevServers.entrySet()) {
      Metadata h = new Metadata();
      h.put(user, e.getKey());
      Lab.Reply m = Lab.callAndWait(maglev, "c", h);
      assertThat(m.ok()).isTrue();
      String was = e.getValue().iterator().next();
      if (!was.equals("s0")) {
        assertThat(m.server()).as("user %s kept its server", e.getKey()).isEqualTo(was);
      } else {
        assertThat(m.server()).isNotEqualTo("s0");
      }
    }
  }

  /** Two of three servers fail every call; the service config retries UNAVAILABLE up to 3 attempts. */
  private static String retryingServiceConfig(String lbConfig) {
    return "{\"loadBalancingConfig\": [" + lbConfig + "], \"methodConfig\": [{\"name\": [{\"service\": \"lb4j.test.Echo\"}],"
        + " \"retryPolicy\": {\"maxAttempts\": 3, \"initialBackoff\": \"0.001s\", \"maxBackoff\": \"0.001s\","
        + " \"backoffMultiplier\": 1, \"retryableStatusCodes\": [\"UNAVAILABLE\"]}}]}";
  }

  /** Per call body, the servers its attempts reached, in order. */
  private static Map<String, List<String>> attemptsByCall(Lab lab) {
    return lab.servers.stream().flatMap(s -> s.received.stream())
        .sorted((a, b) -> Integer.compare(a.previousAttempts(), b.previousAttempts()))
        .collect(Collectors.groupingBy(EchoServer.Received::body, TreeMap::new,
            Collectors.mapping(EchoServer.Received::server, Collectors.toList())));
  }

  @Test
  void retries_lb4jNeverSendsAnAttemptToAServerTheCallAlreadyTried() throws Exception {
    lab = new Lab(3);
    ManagedChannel ch = lab.channel(retryingServiceConfig("{\"lb4j\": {\"scheduler\": \"random\"}}"),
        b -> b.enableRetry().intercept(Lb4jGrpc.retryExclusion()));
    warmUp(ch, lab, 3);
    lab.server(0).failEvery = 1;
    lab.server(1).failEvery = 1;
    lab.servers.forEach(s -> s.received.clear());
    int ok = 0;
    for (int i = 0; i < 60; i++) {
      if (Lab.callAndWait(ch, "call-" + i).ok()) {
        ok++;
      }
    }
    Map<String, List<String>> attempts = attemptsByCall(lab);
    System.out.println("lb4j random + retryExclusion: " + ok + "/60 ok; attempts " + attempts);
    assertThat(ok).isEqualTo(60);
    assertThat(attempts.values()).allSatisfy(servers -> assertThat(servers).doesNotHaveDuplicates().endsWith("s2"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("grpcPolicies")
  void retries_grpcPoliciesDoNotExcludeServersAlreadyTried(Policy policy) throws Exception {
    lab = new Lab(3);
    ManagedChannel ch = lab.channel(retryingServiceConfig(policy.lbConfig()), b -> b.enableRetry());
    warmUp(ch, lab, 3);
    lab.server(0).failEvery = 1;
    lab.server(1).failEvery = 1;
    lab.servers.forEach(s -> s.received.clear());
    int ok = 0;
    for (int i = 0; i < 60; i++) {
      if (Lab.callAndWait(ch, "call-" + i).ok()) {
        ok++;
      }
    }
    Map<String, List<String>> attempts = attemptsByCall(lab);
    long repeated = attempts.values().stream().filter(l -> new HashSet<>(l).size() < l.size()).count();
    System.out.println(policy + ": " + ok + "/60 ok, " + repeated + " calls retried on a server already tried");
    if (policy == GRPC_LEAST_REQUEST) {
      // Two random choices among idle servers: nothing keeps a retry off the server that failed.
      assertThat(repeated).isPositive();
      assertThat(ok).isLessThan(60);
    } else {
      // round_robin's turn moves on with each attempt of a lone caller, so the attempts differ by
      // rotation, not by exclusion: concurrent callers would break it.
      assertThat(ok).isEqualTo(60);
    }
  }

  static Stream<Policy> grpcPolicies() {
    return Stream.of(GRPC_ROUND_ROBIN, GRPC_LEAST_REQUEST);
  }

  static final String EJECTION = "\"interval\": \"0.2s\", \"baseEjectionTime\": \"30s\", \"maxEjectionPercent\": 50,"
      + " \"failurePercentageEjection\": {\"threshold\": 30, \"enforcementPercentage\": 100, \"minimumHosts\": 3,"
      + " \"requestVolume\": 10}";

  static Stream<Policy> outlierPolicies() {
    return Stream.of(
        new Policy("lb4j round-robin + outlierDetection",
            "{\"lb4j\": {\"scheduler\": \"round-robin\", \"outlierDetection\": {" + EJECTION + "}}}", true),
        new Policy("lb4j least-request + outlierDetection",
            "{\"lb4j\": {\"scheduler\": \"least-request\", \"outlierDetection\": {" + EJECTION + "}}}", true),
        new Policy("grpc outlier_detection_experimental(round_robin)",
            "{\"outlier_detection_experimental\": {" + EJECTION + ", \"childPolicy\": [{\"round_robin\": {}}]}}", false),
        new Policy("grpc outlier_detection_experimental(least_request_experimental)",
            "{\"outlier_detection_experimental\": {" + EJECTION
                + ", \"childPolicy\": [{\"least_request_experimental\": {\"choiceCount\": 2}}]}}", false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("outlierPolicies")
  void outliers_serverFailingHalfItsCallsIsEjected(Policy policy) throws Exception {
    lab = new Lab(3);
    ManagedChannel ch = lab.channel(policy.serviceConfig());
    warmUp(ch, lab, 3);
    EchoServer flaky = lab.server(1);
    flaky.failEvery = 2;
    int[] batches = {0};
    await().atMost(PATIENCE).until(() -> {
      batches[0]++;
      int before = flaky.calls();
      Map<String, Integer> shares = Lab.shares(ch, 40);
      return flaky.calls() == before && shares.keySet().stream().noneMatch(k -> k.startsWith("error"));
    });
    Map<String, Integer> shares = Lab.shares(ch, 60);
    System.out.println(policy + ": ejected after " + batches[0] + " batches of 40 calls; then " + shares);
    assertThat(shares).containsOnlyKeys("s0", "s2");
  }
}
