package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two workers, each with its own sockets (one fanout group per interface) and its own flow table, on
 * the inline layout: every frame of a flow, both ways, must reach the worker that tracks it, or the
 * replies find no flow. Router mode steers a reply by its client (the destination); full NAT steers
 * it by its source-NAT port, which each worker takes from its own run. Both run 1,000 requests from
 * many client ports and three downloads of 300 kB (super-frames from the servers).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkersLabTest {

  private static final int DOWNLOAD = 300_000;
  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable();
    lab = Lab.create(Lab.Layout.INLINE, 3);
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  @AfterEach
  void reset() throws Exception {
    if (lab != null) {
      lab.stopDatapath();
      lab.resetServersGateways();
    }
  }

  private Path start(int port, String mode, String... more) throws Exception {
    List<String> a = new ArrayList<>(List.of("--mode", mode, "--client-interface", "eth0", "--server-interface", "eth1",
        "--vip", Lab.VIP + ":" + port, "--gateway", Lab.ROUTER, "--workers", "2"));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + lab.server(i) + ":" + port);
    }
    a.addAll(List.of(more));
    return lab.startDatapath(3, a.toArray(String[]::new));
  }

  private static void assertBothWorkersTrackedFlowsAndNoReplyWasLost(Path status) throws Exception {
    assertThat(Lab.counter(status, "workers")).isEqualTo(2);
    assertThat(Lab.counter(status, "worker.0.rx_frames")).as("frames of worker 0").isPositive();
    assertThat(Lab.counter(status, "worker.1.rx_frames")).as("frames of worker 1").isPositive();
    assertThat(Lab.counter(status, "drop.no_flow")).as("replies that reached a worker without their flow:%n%s",
        java.nio.file.Files.readString(status)).isZero();
  }

  @Test
  void router_twoWorkers_everyRequestAndDownloadSucceeds() throws Exception {
    Path status = start(Lab.HTTP, "router");

    Lab.Load load = lab.load("c", Lab.VIP, OneArmModesTest.REQUESTS, 8, 3000);

    OneArmModesTest.assertBalanced(load);
    lab.stopDatapath();
    assertBothWorkersTrackedFlowsAndNoReplyWasLost(status);
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(OneArmModesTest.REQUESTS * 2L);

    Path bulk = start(Lab.BULK, "router");
    Lab.Load downloads = lab.transfers("c", true, Lab.VIP, DOWNLOAD, 3, 10_000);
    assertThat(downloads.ok()).as("downloads of 300 kB: %s", downloads.raw()).isEqualTo(3);
    lab.stopDatapath();
    assertThat(Lab.counter(bulk, "drop.no_flow")).isZero();
  }

  @Test
  void fullNat_twoWorkers_repliesFindTheirWorkerByTheSourceNatPort() throws Exception {
    // The servers' gateway points nowhere useful: only source NAT brings the replies back.
    lab.serversGateway("198.51.100.254");
    Path status = start(Lab.HTTP, "full-nat", "--snat", "198.51.100.3");

    Lab.Load load = lab.load("c", Lab.VIP, OneArmModesTest.REQUESTS, 8, 3000);

    OneArmModesTest.assertBalanced(load);
    lab.stopDatapath();
    assertBothWorkersTrackedFlowsAndNoReplyWasLost(status);
    assertThat(Lab.counter(status, "counter.forwarded_replies")).isGreaterThanOrEqualTo(OneArmModesTest.REQUESTS * 2L);
  }
}
