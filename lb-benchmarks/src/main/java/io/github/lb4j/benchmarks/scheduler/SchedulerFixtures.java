package io.github.lb4j.benchmarks.scheduler;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.ImmutableFlowKey;
import io.github.lb4j.api.Protocol;
import io.github.lb4j.api.SchedulerConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Backends and flows for the scheduler benchmarks, from the documentation ranges only. */
final class SchedulerFixtures {

  /** Keys per thread: a power of two, read as {@code i++ & MASK}. */
  static final int KEYS = 4096;
  static final int MASK = KEYS - 1;
  static final long SEED = 0x5EED_BE7CL;

  /** Every registered algorithm, for the benchmarks that compare them all. */
  static final String ALL = "round-robin,weighted-round-robin,smooth-weighted-round-robin,least-connections,"
      + "weighted-least-connections,shortest-expected-delay,never-queue,source-hash,four-tuple-hash,random,"
      + "weighted-random,power-of-two-choices,peak-ewma,least-request,weighted-round-robin-adaptive,aperture,"
      + "maglev,ring-hash,jump,rendezvous,failover,locality-least-connections";

  private SchedulerFixtures() {}

  /**
   * The benchmark configuration of an algorithm for {@code n} backends: the fixed seed, and a
   * Maglev table of 1,000,003 slots (prime) when n exceeds the default 65,537, since Maglev needs
   * more slots than backends.
   */
  static SchedulerConfig.Builder config(String algorithm, int n) {
    SchedulerConfig.Builder b = SchedulerConfig.builder().seed(SEED);
    if (algorithm.equals("maglev") && n > 65_537) {
      b.option("table-size", "1000003");
    }
    if (algorithm.equals("weighted-round-robin-adaptive")) {
      // Reported weights count at once, so select runs the weighted stride, not round robin.
      b.option("blackout-period", "0");
    }
    return b;
  }

  /** {@code n} backends at 2001:db8::/32 with weights 1..4 drawn from {@code seed}. */
  static List<Backend> backends(int n, String prefix, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Backend> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] a = new byte[16];
      a[0] = 0x20;
      a[1] = 0x01;
      a[2] = 0x0d;
      a[3] = (byte) 0xb8;
      a[14] = (byte) (i >>> 8);
      a[15] = (byte) i;
      try {
        out.add(Backend.of(prefix + i, InetAddress.getByAddress(a), 8080).withWeight(1 + random.nextInt(4)));
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  /** {@link #KEYS} TCP flows from random clients in 198.51.100.0/24 and ports to 203.0.113.1:443. */
  static FlowKey[] flows(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    FlowKey[] out = new FlowKey[KEYS];
    for (int i = 0; i < KEYS; i++) {
      try {
        out[i] = ImmutableFlowKey.of(Protocol.TCP,
            InetAddress.getByAddress(new byte[] {(byte) 198, 51, 100, (byte) random.nextInt(256)}), random.nextInt(1024, 65536),
            InetAddress.getByAddress(new byte[] {(byte) 203, 0, 113, 1}), 443);
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }
}
