package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.Privileged;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Active/standby for sites without BGP: two {@code lb datapath} balancers (DSR L2, the same Maglev
 * seed and table) and keepalived (VRRPv3, RFC 5798) on each; the router reaches the VIP through
 * the VRRP address that keepalived gives the active balancer. 200 long-lived connections stream
 * through the VIP while (1) the active balancer's datapath crashes (keepalived's track script sees
 * its status go stale and hands the address over), (2) it comes back and takes the address back
 * (preemption), (3) the whole active host dies (the standby takes over after the VRRP master down
 * interval, about 3.6 advertisement intervals). The standby forwards the moved flows by the
 * consistent hash, without their state, so they survive.
 *
 * <p>Measured and printed: the interruption of new connections (probes every 25 ms) and the longest
 * stall of a connection. Asserted, on counts: the address moves each time and at least 99% of the
 * connections survive.
 */
@Privileged(value = "the keepalived lab", capabilities = {Capability.NET_ADMIN, Capability.SYS_ADMIN, Capability.NET_RAW},
    commands = {"ip", "ethtool", "keepalived", "find"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeepalivedLabTest {

  static final int CONNECTIONS = 200;
  static final Duration WAIT = Duration.ofSeconds(60);

  private ScaleOutLab lab;

  @BeforeAll
  void up() throws IOException {
    lab = ScaleOutLab.create(2, 4, ScaleOutLab.Routing.VRRP);
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  @Test
  void dsrL2_theVipMovesToTheStandby_whenTheActiveBalancerFails_andConnectionsSurvive() throws Exception {
    for (int i = 1; i <= 2; i++) {
      lab.startDatapath(i, lab.datapathArgs("dsr-l2", 4));
    }
    lab.startKeepalived(1, 150);
    lab.startKeepalived(2, 100);
    awaitActive(1);

    ScaleOutLab.StreamClient client = lab.streamClient(CONNECTIONS, 200);
    awaitStreaming(client, 3);

    // 1. lb1's datapath crashes; keepalived on lb1 stays and must notice
    client.ask("mark crash");
    long t = System.nanoTime();
    lab.killDatapath(1);
    awaitActive(2);
    long crashMoved = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t);
    awaitStreaming(client, client.progress()[2] + 5);
    String crashProbes = client.ask("probes crash");

    // 2. lb1's datapath is back: lb1 takes the address back (VRRP preemption)
    client.ask("mark back");
    t = System.nanoTime();
    lab.startDatapath(1, lab.datapathArgs("dsr-l2", 4));
    awaitActive(1);
    long backMoved = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t);
    awaitStreaming(client, client.progress()[2] + 5);
    String backProbes = client.ask("probes back");

    // 3. the lb1 host dies: no resignation, lb2 takes over after the master down interval
    client.ask("mark host");
    t = System.nanoTime();
    lab.killHost(1);
    awaitActive(2);
    long hostMoved = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t);
    awaitStreaming(client, client.progress()[2] + 5);
    String hostProbes = client.ask("probes host");

    long stateless = ScaleOutLab.counter(lab.status(2), "counter.stateless_forwards");
    List<String> result = client.stop();
    String[] r = result.get(0).split(" ");
    long survived = Long.parseLong(r[2]);
    System.out.printf("keepalived dsr-l2: %d of %d connections survived, longest stall %s ms; datapath crash: VRRP address on lb2"
            + " after %d ms, new connections %s; lb1 back: address on lb1 after %d ms, new connections %s; host death: address on lb2"
            + " after %d ms, new connections %s; lb2 forwarded %d packets without state%n",
        survived, CONNECTIONS, r[4], crashMoved, crashProbes, backMoved, backProbes, hostMoved, hostProbes, stateless);
    result.stream().filter(l -> l.startsWith("failure")).limit(10).forEach(System.out::println);
    assertThat(survived).as("connections surviving the three moves: %s %s", result, lab.logs())
        .isGreaterThanOrEqualTo(CONNECTIONS * 99L / 100);
    assertThat(stateless).as("lb2 carried flows it had no state for").isPositive();
  }

  /**
   * Waits until balancer {@code i} alone holds the VRRP address and the router, if it has resolved
   * the address yet, sends to its MAC (keepalived's gratuitous ARPs update the router's entry).
   */
  private void awaitActive(int i) {
    String mac = lab.mac(i);
    Awaitility.await("lb" + i + " is the active balancer").atMost(WAIT).pollInterval(Duration.ofMillis(10))
        .until(() -> {
          String neighbor = lab.routerNeighbor();
          return lab.vrrpOwners().equals(List.of(i)) && (neighbor.isEmpty() || neighbor.equals(mac));
        });
  }

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
