package io.github.lb4j.benchmarks.nat;

import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * The Java side of {@code lb-benchmarks/nat-baseline}'s CPU-time comparison: the same loop as the C
 * baseline ({@code src/main/c/nat_baseline.c}) over {@link DnatPath#established}, timed with the
 * thread's CPU clock (as the C side uses {@code CLOCK_THREAD_CPUTIME_ID}), so that time the thread
 * spends descheduled on a shared machine counts on neither side. JMH's {@link PacketCoreBenchmark}
 * remains the wall-clock figure.
 *
 * <pre>java -cp lb-benchmarks/target/benchmarks.jar io.github.lb4j.benchmarks.nat.CpuTimeComparison 65536 50000000</pre>
 */
public final class CpuTimeComparison {

  private CpuTimeComparison() {}

  /**
   * Runs the loop.
   *
   * @param args flows, then packets to time
   */
  public static void main(String[] args) {
    int flows = args.length > 0 ? Integer.parseInt(args[0]) : 65_536;
    long packets = args.length > 1 ? Long.parseLong(args[1]) : 50_000_000L;
    NatFixtures f = new NatFixtures(flows, 42);
    DnatPath path = new DnatPath(f.establishedTable(SessionCounters.create()), f.backendAddress, f.backendMac,
        f.lookupTable);
    f.writeFrames(43, TcpFlyweight.ACK | TcpFlyweight.PSH);
    ByteBuffer work = ByteBuffer.allocateDirect(2048);
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    long forwarded = 0;
    for (int round = 0; round < 3; round++) {
      forwarded += loop(path, f.frames, work, packets / 5);
    }
    long start = cpu.getCurrentThreadCpuTime();
    forwarded += loop(path, f.frames, work, packets);
    long ns = cpu.getCurrentThreadCpuTime() - start;
    if (forwarded != packets + 3 * (packets / 5)) {
      throw new IllegalStateException("only " + forwarded + " forwarded");
    }
    System.out.printf(Locale.ROOT, "flows=%d cpu_ns_per_packet=%.2f%n", flows, (double) ns / packets);
  }

  private static long loop(DnatPath path, ByteBuffer frames, ByteBuffer work, long packets) {
    long forwarded = 0;
    for (long n = 0; n < packets; n++) {
      work.put(NatFixtures.HEADROOM, frames, (int) (n & (NatFixtures.FRAMES - 1)) * NatFixtures.FRAME_LENGTH,
          NatFixtures.FRAME_LENGTH);
      if (Verdict.action(path.established(work, NatFixtures.HEADROOM, NatFixtures.FRAME_LENGTH)) == Verdict.FORWARD) {
        forwarded++;
      }
    }
    return forwarded;
  }
}
