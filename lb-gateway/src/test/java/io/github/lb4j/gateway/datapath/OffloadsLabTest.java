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
 * The datapath on interfaces as they come, and as they may be set: the same full-NAT traffic (1,000
 * requests and three downloads of 300 kB, through the balancer both ways) with veth's default
 * offloads (partial checksums from local senders, TSO super-frames across veth and bridge), with
 * every offload off, and with GRO on the balancer's interface. The status says what the datapath
 * had to complete each time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OffloadsLabTest {

  private static final int DOWNLOAD = 300_000;
  private Lab lab;

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable();
    lab = Lab.create(Lab.Layout.ONE_ARM, 3);
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
      lab.offloads("tx", "on", "tso", "on", "gso", "on", "gro", "off");
    }
  }

  private Path run() throws Exception {
    List<String> a = new ArrayList<>(List.of("--mode", "full-nat", "--interface", "eth0", "--vip", Lab.VIP + ":" + Lab.BULK,
        "--gateway", Lab.ROUTER, "--snat", Lab.SNAT));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + lab.server(i) + ":" + Lab.BULK);
    }
    Path status = lab.startDatapath(3, a.toArray(String[]::new));
    Lab.Load downloads = lab.transfers("c", true, Lab.VIP, DOWNLOAD, 3, 10_000);
    assertThat(downloads.ok()).as("downloads of 300 kB: %s", downloads.raw()).isEqualTo(3);
    lab.stopDatapath();
    return status;
  }

  @Test
  void withDefaultOffloads_everyTransferSucceeds_andTheStatusCountsWhatWasCompleted() throws Exception {
    assertThat(lab.in("s1", "ethtool", "-k", "eth0")).contains("tx-checksumming: on", "tcp-segmentation-offload: on");

    Path status = run();

    assertThat(Lab.counter(status, "datapath.checksums_completed")).as("partial checksums completed").isPositive();
    assertThat(Lab.counter(status, "datapath.super_frames")).as("TSO super-frames from the servers").isPositive();
    assertThat(Lab.counter(status, "datapath.segments")).isGreaterThan(Lab.counter(status, "datapath.super_frames"));
    assertThat(Lab.counter(status, "datapath.truncated")).isZero();
  }

  @Test
  void withEveryOffloadOff_theSameTransfersNeedNothingCompleted() throws Exception {
    lab.offloads("tx", "off", "tso", "off", "gso", "off", "gro", "off");

    Path status = run();

    assertThat(Lab.counter(status, "datapath.checksums_completed")).isZero();
    assertThat(Lab.counter(status, "datapath.super_frames")).isZero();
  }

  @Test
  void withGroOnTheBalancersInterface_mergedSegmentsAreCutAgain() throws Exception {
    // The servers segment in software, so only the balancer's GRO makes super-frames.
    lab.offloads("tso", "off", "gso", "off");
    lab.in("lb", "ethtool", "-K", "eth0", "gro", "on");

    Path status = run();

    assertThat(Lab.counter(status, "datapath.super_frames")).as("GRO super-frames").isPositive();
    assertThat(Lab.counter(status, "datapath.truncated")).isZero();
  }
}
