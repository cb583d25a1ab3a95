package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.nat.SecondChance;
import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.FrrRouter;
import io.github.lb4j.testing.Privileged;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Scaling out (Maglev NSDI'16 §3, Katran): three {@code lb datapath} balancers announce one VIP by
 * BGP to an FRR router that spreads flows over them by ECMP; all use the same Maglev seed and table.
 * 200 long-lived TCP connections stream through the VIP while one balancer is killed (SIGKILL) and
 * another stopped gracefully (SIGTERM: withdraw, drain, stop), or while a server joins and then a
 * balancer is killed (the second chance). In the DSR modes the packets of an
 * established flow that reach a balancer without its state are forwarded by the consistent hash, to
 * the server the flow already has, so the connections survive.
 *
 * <p>Measured and printed, never bounded by time: the share of connections that survive each
 * event, the time until the router withdrew the balancer, and the time until new connections (a
 * probe every 25 ms) succeed again. Asserted, on counts: at least 99% survive.
 */
@Privileged(value = "the scale-out lab", capabilities = {Capability.NET_ADMIN, Capability.SYS_ADMIN, Capability.NET_RAW},
    commands = {"ip", "ethtool", "nft", "bird", "vtysh", "setpriv"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScaleOutLabTest {

  static final int CONNECTIONS = 200;
  static final int INTERVAL_MS = 200;
  static final Duration WAIT = Duration.ofSeconds(60);

  private ScaleOutLab lab;

  @BeforeAll
  void up() throws IOException {
    FrrRouter.require("the scale-out lab");
    lab = ScaleOutLab.create(3, 4, ScaleOutLab.Routing.BGP);
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  @AfterEach
  void reset() throws Exception {
    for (int i = 1; i <= 3; i++) {
      if (lab.datapath(i) != null) {
        lab.killDatapath(i);
      }
    }
    for (int i = 1; i <= 4; i++) {
      lab.in("s" + i, "nft", "flush", "ruleset");
    }
    Awaitility.await("the router forgot every balancer").atMost(WAIT).until(() -> lab.nextHops().isEmpty());
  }

  /** How the first balancer fails. */
  enum Failure {
    /** SIGKILL of the balancer: its speaker dies with it and its sessions close. */
    KILL,
    /** SIGSTOP of every process of the balancer (a hung host): its BFD falls silent. */
    FREEZE
  }

  @Test
  void dsrL2_connectionsSurviveABalancerKilledAndOneStoppedGracefully() throws Exception {
    survive("dsr-l2", Failure.KILL);
  }

  @Test
  void dsrIpip_connectionsSurviveABalancerKilledAndOneStoppedGracefully() throws Exception {
    lab.decapsulateIpipOnServers();
    lab.nftOnServers(ScaleOutLab.DROP_IPIP);
    survive("dsr-ipip", Failure.KILL);
  }

  @Test
  void dsrL2_aFrozenBalancerIsWithdrawnByBfd_andItsConnectionsMoveOn() throws Exception {
    survive("dsr-l2", Failure.FREEZE);
  }

  @Test
  void dsrDscp_connectionsSurviveABalancerKilledAndOneStoppedGracefully() throws Exception {
    lab.nftOnServers("""
        table ip lb4j_dscp {
          chain restore {
            type filter hook prerouting priority -300; policy accept;
            ip dscp %d ip daddr set %s
          }
        }
        """.formatted(ScaleOutLab.DSCP, ScaleOutLab.VIP));
    survive("dsr-dscp", Failure.KILL);
  }

  /**
   * The second chance (GLB, Unimog): a fourth server joins while the connections stream, then lb1
   * dies. lb2 and lb3 meet lb1's flows without state under the new backend set, in which about a
   * quarter of them hash to the new server. With {@code --second-chance} those packets reach it
   * tagged with the server they had, and the new server's socket check ({@link
   * SecondChance#nftRules}) passes them on: the connections survive.
   */
  @Test
  void dsrL2_secondChance_connectionsSurviveAServerJoiningAndThenABalancerKilled() throws Exception {
    lab.killServer(4);
    try {
      List<Backend> servers = new ArrayList<>();
      for (int i = 1; i <= 4; i++) {
        servers.add(Backend.of("s" + i, InetAddress.getByName(ScaleOutLab.server(i)), ScaleOutLab.PORT));
      }
      lab.nftOnServers(SecondChance.nftRules(servers, "eth0"));
      for (int i = 1; i <= 3; i++) {
        List<String> args = new ArrayList<>(lab.datapathArgs("dsr-l2", 4));
        args.addAll(lab.bgpArgs(i));
        args.add("--second-chance");
        lab.startDatapath(i, args);
      }
      awaitNextHops(Set.of(ScaleOutLab.balancer(1), ScaleOutLab.balancer(2), ScaleOutLab.balancer(3)));
      ScaleOutLab.StreamClient client = lab.streamClient(CONNECTIONS, INTERVAL_MS);
      awaitStreaming(client, 3);

      lab.startServer(4);
      lab.awaitServer(4);
      Awaitility.await("every balancer has s4 up").atMost(WAIT).pollInterval(Duration.ofMillis(100))
          .until(() -> lab.backendUp(1, "s4") && lab.backendUp(2, "s4") && lab.backendUp(3, "s4"));
      awaitStreaming(client, client.progress()[2] + 2);

      lab.killDatapath(1);
      awaitNextHops(Set.of(ScaleOutLab.balancer(2), ScaleOutLab.balancer(3)));
      awaitStreaming(client, client.progress()[2] + 5);
      long stateless = 0;
      long tags = 0;
      for (int i = 2; i <= 3; i++) {
        stateless += ScaleOutLab.counter(lab.status(i), "counter.stateless_forwards");
        tags += ScaleOutLab.counter(lab.status(i), "counter.second_chance_tags");
      }
      List<String> result = client.stop();
      String[] r = result.get(0).split(" ");
      long total = Long.parseLong(r[1]);
      long survived = Long.parseLong(r[2]);
      System.out.printf("scale-out dsr-l2 second chance: s4 joined, then lb1 killed: %d of %d connections survived (%.1f%%);"
          + " lb2 and lb3 forwarded %d packets without state, %d of them tagged with the previous owner%n",
          survived, total, 100.0 * survived / total, stateless, tags);
      result.stream().filter(l -> l.startsWith("failure")).limit(10).forEach(System.out::println);
      assertThat(total).isEqualTo(CONNECTIONS);
      assertThat(tags).as("flows of lb1 that the new table gives to s4 came tagged").isPositive();
      assertThat(survived).as("connections surviving (%s) %s", result, lab.logs()).isGreaterThanOrEqualTo(CONNECTIONS * 99L / 100);
    } finally {
      if (!lab.serverRunning(4)) {
        lab.startServer(4);
        lab.awaitServer(4);
      }
    }
  }

  private void survive(String mode, Failure failure) throws Exception {
    for (int i = 1; i <= 3; i++) {
      List<String> args = new ArrayList<>(lab.datapathArgs(mode, 4));
      args.addAll(lab.bgpArgs(i));
      lab.startDatapath(i, args);
    }
    awaitNextHops(Set.of(ScaleOutLab.balancer(1), ScaleOutLab.balancer(2), ScaleOutLab.balancer(3)));

    ScaleOutLab.StreamClient client = lab.streamClient(CONNECTIONS, INTERVAL_MS);
    awaitStreaming(client, 3);
    for (int i = 1; i <= 3; i++) {
      assertThat(ScaleOutLab.counter(lab.status(i), "datapath.vip_frames")).as("ECMP sends lb%d a share of the flows", i).isPositive();
    }

    // 1. lb1 dies (its speaker dies with it and the session closes) or hangs (BFD detects it): the
    //    router withdraws it, and its flows rehash to lb2 and lb3
    client.ask("mark kill");
    long killed = System.nanoTime();
    List<Long> frozen = failure == Failure.KILL ? List.of() : lab.freezeBalancer(1);
    if (failure == Failure.KILL) {
      lab.killDatapath(1);
    }
    awaitNextHops(Set.of(ScaleOutLab.balancer(2), ScaleOutLab.balancer(3)));
    long killWithdrawn = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
    long afterKill = awaitStreaming(client, client.progress()[2] + 5);
    String killProbes = client.ask("probes kill");
    if (failure == Failure.FREEZE) {
      lab.killDatapath(1);
      lab.thaw(frozen);
    }

    // 2. lb2 stops gracefully: withdraws, drains while the router moves its flows to lb3, stops
    client.ask("mark graceful");
    long stopping = System.nanoTime();
    lab.stopDatapath(2);
    awaitNextHops(Set.of(ScaleOutLab.balancer(3)));
    long stopWithdrawn = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping);
    String stopOutput = lab.awaitDatapathExit(2, WAIT);
    awaitStreaming(client, client.progress()[2] + 5);
    String stopProbes = client.ask("probes graceful");

    long statelessOnLb3 = ScaleOutLab.counter(lab.status(3), "counter.stateless_forwards");
    List<String> result = client.stop();
    String[] r = result.get(0).split(" ");
    long total = Long.parseLong(r[1]);
    long survived = Long.parseLong(r[2]);
    System.out.printf("scale-out %s: %d of %d connections survived (%.1f%%), longest stall %s ms; " + failure + " of lb1: router withdrew it"
            + " after %d ms, new connections %s; graceful stop of lb2: withdrawn after %d ms, %s, new connections %s;"
            + " lb3 forwarded %d packets of flows it had no state for%n",
        mode, survived, total, 100.0 * survived / total, r[4], killWithdrawn, killProbes, stopWithdrawn,
        stopOutput.lines().filter(l -> l.contains("drain")).reduce((a, b) -> b).orElse("no drain line"), stopProbes, statelessOnLb3);
    result.stream().filter(l -> l.startsWith("failure")).limit(10).forEach(System.out::println);

    assertThat(total).isEqualTo(CONNECTIONS);
    assertThat(survived).as("connections surviving both events (%s) %s", result, lab.logs()).isGreaterThanOrEqualTo(CONNECTIONS * 99L / 100);
    assertThat(stopOutput).contains("withdrawn", "drained");
    assertThat(statelessOnLb3).as("lb3 took over flows without their state").isPositive();
    assertThat(afterKill).isPositive();
  }

  private void awaitNextHops(Set<String> hops) {
    Awaitility.await("the router's ECMP next hops for the VIP are " + hops).atMost(WAIT).pollInterval(Duration.ofMillis(10))
        .until(() -> lab.nextHops().equals(hops));
  }

  /** Waits until every live connection made {@code exchanges} exchanges; returns the fewest. */
  private long awaitStreaming(ScaleOutLab.StreamClient client, long exchanges) {
    long[] last = new long[3];
    Awaitility.await("every connection streams (" + exchanges + " exchanges)").atMost(WAIT).pollInterval(Duration.ofMillis(200))
        .until(() -> {
          long[] p = client.progress();
          System.arraycopy(p, 0, last, 0, 3);
          return p[0] + p[1] == CONNECTIONS && p[2] >= exchanges;
        });
    return last[2];
  }
}
