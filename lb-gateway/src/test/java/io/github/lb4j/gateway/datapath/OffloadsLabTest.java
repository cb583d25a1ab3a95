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
 * The datapath on interfaces as they come, and as they may be set: the same full-NAT traffic (three
 * downloads of 300 kB, through the balancer both ways) with veth's default offloads (partial
 * checksums from local senders, TSO super-frames across veth and bridge), with every offload off,
 * and with GRO on the balancer's interface; each with the offloads carried (the default: translated
 * as they are and sent on for the kernel to finish) and undone ({@code --offloads undo}: completed
 * and segmented by the datapath). The status says what the datapath carried or completed each time.
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

  private Path run(String... extra) throws Exception {
    List<String> a = new ArrayList<>(List.of("--mode", "full-nat", "--interface", "eth0", "--vip", Lab.VIP + ":" + Lab.BULK,
        "--gateway", Lab.ROUTER, "--snat", Lab.SNAT));
    for (int i = 1; i <= 3; i++) {
      a.add("--backend");
      a.add("s" + i + "=" + lab.server(i) + ":" + Lab.BULK);
    }
    a.addAll(List.of(extra));
    Path status = lab.startDatapath(3, a.toArray(String[]::new));
    Lab.Load downloads = lab.transfers("c", true, Lab.VIP, DOWNLOAD, 3, 10_000);
    assertThat(downloads.ok()).as("downloads of 300 kB: %s", downloads.raw()).isEqualTo(3);
    lab.stopDatapath();
    return status;
  }

  @Test
  void withDefaultOffloads_everyTransferSucceeds_andPartialChecksumsAndSuperFramesAreCarried() throws Exception {
    assertThat(lab.in("s1", "ethtool", "-k", "eth0")).contains("tx-checksumming: on", "tcp-segmentation-offload: on");

    Path status = run();

    assertThat(Lab.counter(status, "datapath.checksums_carried")).as("partial checksums carried").isPositive();
    assertThat(Lab.counter(status, "datapath.super_frames_carried")).as("TSO super-frames carried").isPositive();
    assertThat(Lab.counter(status, "datapath.checksums_completed")).as("nothing summed in user space").isZero();
    assertThat(Lab.counter(status, "datapath.segments")).as("nothing segmented in user space").isZero();
    assertThat(Lab.counter(status, "datapath.truncated")).isZero();
    assertThat(Lab.counter(status, "datapath.malformed_offload")).isZero();
  }

  @Test
  void withDefaultOffloadsUndone_everyTransferSucceeds_andTheStatusCountsWhatWasCompleted() throws Exception {
    Path status = run("--offloads", "undo");

    assertThat(Lab.counter(status, "datapath.checksums_completed")).as("partial checksums completed").isPositive();
    assertThat(Lab.counter(status, "datapath.super_frames")).as("TSO super-frames from the servers").isPositive();
    assertThat(Lab.counter(status, "datapath.segments")).isGreaterThan(Lab.counter(status, "datapath.super_frames"));
    assertThat(Lab.counter(status, "datapath.checksums_carried")).isZero();
    assertThat(Lab.counter(status, "datapath.super_frames_carried")).isZero();
    assertThat(Lab.counter(status, "datapath.truncated")).isZero();
  }

  @Test
  void withEveryOffloadOff_theSameTransfersNeedNothingCompletedNorCarried() throws Exception {
    lab.offloads("tx", "off", "tso", "off", "gso", "off", "gro", "off");

    Path status = run();

    assertThat(Lab.counter(status, "datapath.checksums_completed")).isZero();
    assertThat(Lab.counter(status, "datapath.super_frames")).isZero();
    assertThat(Lab.counter(status, "datapath.checksums_carried")).isZero();
    assertThat(Lab.counter(status, "datapath.super_frames_carried")).isZero();
  }

  @Test
  void withGroOnTheBalancersInterface_mergedSegmentsAreCarriedOrCutAgain() throws Exception {
    // The servers segment in software, so only the balancer's GRO makes super-frames.
    lab.offloads("tso", "off", "gso", "off");
    lab.in("lb", "ethtool", "-K", "eth0", "gro", "on");

    Path carried = run();
    assertThat(Lab.counter(carried, "datapath.super_frames_carried")).as("GRO super-frames carried").isPositive();
    assertThat(Lab.counter(carried, "datapath.truncated")).isZero();

    Path undone = run("--offloads", "undo");
    assertThat(Lab.counter(undone, "datapath.super_frames")).as("GRO super-frames cut").isPositive();
    assertThat(Lab.counter(undone, "datapath.truncated")).isZero();
  }
}
