package io.github.lb4j.benchmarks.nat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * The per-mode figures of {@link ModeBenchmark} and the DNAT and SYN figures of {@link
 * PacketCoreBenchmark}, timed in one JVM with the thread's CPU clock (time spent descheduled on a
 * shared machine does not count), each mode as a ratio to the established DNAT of the same run.
 * The JMH classes stay the wall-clock reference; this is their state and benchmark methods driven in
 * a plain loop.
 *
 * <pre>java -Xmx3g -cp lb-benchmarks/target/benchmarks.jar io.github.lb4j.benchmarks.nat.ModeCpuTime 10000000</pre>
 */
public final class ModeCpuTime {

  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  private ModeCpuTime() {}

  /**
   * Runs every measurement.
   *
   * @param args operations to time per measurement
   * @throws UnknownHostException never: addresses are literals
   */
  public static void main(String[] args) throws UnknownHostException {
    long ops = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
    PacketCoreBenchmark core = new PacketCoreBenchmark();
    core.flows = 65_536;
    core.workingSet = "cycled4096";
    core.setUp();
    double dnat = time(core::establishedDnat, ops);
    System.out.printf(Locale.ROOT, "%-22s %8.1f CPU ns/packet%n", "established DNAT 64k (cycled4096)", dnat);
    double syn = time(core::synNewFlow, ops);
    System.out.printf(Locale.ROOT, "%-22s %8.1f CPU ns/packet  (%.1f Mpps on one core)%n", "SYN path", syn, 1000 / syn);
    String[] modes = {"transparent", "router", "dsr-l2", "dsr-ipip", "dsr-dscp", "full-nat"};
    for (String direction : new String[] {"request", "reply"}) {
      for (String mode : modes) {
        if (direction.equals("reply") && mode.startsWith("dsr")) {
          continue;
        }
        ModeBenchmark m = new ModeBenchmark();
        m.mode = mode;
        m.direction = direction;
        m.setUp();
        double ns = time(m::established, ops);
        System.out.printf(Locale.ROOT, "%-22s %8.1f CPU ns/packet  %.2fx DNAT%n", mode + " " + direction, ns, ns / dnat);
      }
    }
  }

  private static double time(IntSupplier op, long ops) {
    long sink = 0;
    for (long i = 0; i < ops / 2; i++) {
      sink += op.getAsInt();
    }
    long start = CPU.getCurrentThreadCpuTime();
    for (long i = 0; i < ops; i++) {
      sink += op.getAsInt();
    }
    long ns = CPU.getCurrentThreadCpuTime() - start;
    if (sink == 42) {
      System.out.print("");
    }
    return (double) ns / ops;
  }
}
