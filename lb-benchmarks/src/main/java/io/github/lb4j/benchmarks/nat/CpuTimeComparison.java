package io.github.lb4j.benchmarks.nat;

import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * The Java side of {@code lb-benchmarks/nat-baseline}'s CPU-time comparison: the same loop as the lean
 * C reference ({@code src/main/c/nat_lean.c}) over {@link DnatPath}, one frame at a time or in
 * batches, over the same working set, timed with the thread's CPU clock (as the C side uses {@code
 * CLOCK_THREAD_CPUTIME_ID}), so that time the thread spends descheduled on a shared machine counts on
 * neither side. JMH's {@link PacketCoreBenchmark} remains the wall-clock figure.
 *
 * <pre>java -Xms3g -Xmx3g -XX:+UseTransparentHugePages -cp lb-benchmarks/target/benchmarks.jar io.github.lb4j.benchmarks.nat.CpuTimeComparison 65536 50000000 uniform single</pre>
 *
 * (nat-baseline runs it so, with the C side's table on huge pages too, unless given {@code --pages 4k}.)
 */
public final class CpuTimeComparison {

  private CpuTimeComparison() {}

  /**
   * Runs the loop.
   *
   * @param args flows, packets to time, working set (uniform or cycled4096), single or batch
   */
  public static void main(String[] args) {
    int flows = args.length > 0 ? Integer.parseInt(args[0]) : 65_536;
    long packets = args.length > 1 ? Long.parseLong(args[1]) : 50_000_000L;
    String set = args.length > 2 ? args[2] : "uniform";
    String mode = args.length > 3 ? args[3] : "single";
    boolean batch = mode.equals("batch");
    if (!batch && !mode.equals("single")) {
      throw new IllegalArgumentException("mode must be single or batch, was " + mode);
    }
    packets -= packets % DnatPath.BATCH;
    NatFixtures f = new NatFixtures(flows, 42, NatFixtures.frames(set));
    DnatPath path = new DnatPath(f.establishedTable(SessionCounters.create()), f.backendAddress, f.backendMac,
        f.lookupTable);
    f.writeFrames(43, TcpFlyweight.ACK | TcpFlyweight.PSH);
    ByteBuffer work = ByteBuffer.allocateDirect(DnatPath.BATCH * DnatPath.AREA);
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    long warm = packets / 5 - (packets / 5) % DnatPath.BATCH;
    long forwarded = 0;
    for (int round = 0; round < 3; round++) {
      forwarded += loop(path, f, work, warm, batch);
    }
    long start = cpu.getCurrentThreadCpuTime();
    long wallStart = System.nanoTime();
    forwarded += loop(path, f, work, packets, batch);
    long ns = cpu.getCurrentThreadCpuTime() - start;
    long wall = System.nanoTime() - wallStart;
    if (forwarded != packets + 3 * warm) {
      throw new IllegalStateException("only " + forwarded + " forwarded");
    }
    System.out.printf(Locale.ROOT, "flows=%d set=%s mode=%s cpu_ns_per_packet=%.2f wall_ns_per_packet=%.2f%n", flows,
        set, mode, (double) ns / packets, (double) wall / packets);
  }

  private static long loop(DnatPath path, NatFixtures f, ByteBuffer work, long packets, boolean batch) {
    int mask = f.frameCount() - 1;
    long forwarded = 0;
    if (batch) {
      for (long n = 0; n < packets; n += DnatPath.BATCH) {
        forwarded += path.establishedBatch(f.frames, n, mask, work);
      }
      return forwarded;
    }
    for (long n = 0; n < packets; n++) {
      work.put(NatFixtures.HEADROOM, f.frames, (int) (n & mask) * NatFixtures.FRAME_LENGTH, NatFixtures.FRAME_LENGTH);
      if (Verdict.action(path.established(work, NatFixtures.HEADROOM, NatFixtures.FRAME_LENGTH)) == Verdict.FORWARD) {
        forwarded++;
      }
    }
    return forwarded;
  }
}
