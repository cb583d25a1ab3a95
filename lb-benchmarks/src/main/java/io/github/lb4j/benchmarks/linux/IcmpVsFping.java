package io.github.lb4j.benchmarks.linux;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times ICMP rounds over the same 1,000 loopback addresses with lb4j's [icmp] checker and with fping,
 * interleaved in one run, and prints the medians and the ratio. Run by {@code
 * lb-benchmarks/icmp-vs-fping [rounds]}; each round must hear every target.
 */
public final class IcmpVsFping {

  private IcmpVsFping() {}

  /**
   * Runs the comparison.
   *
   * @param args optional: number of timed rounds (default 21) and {@code --with-default-interval};
   *     or {@code --lb4j-rounds N} for N back-to-back lb4j rounds alone
   * @throws Exception when a round does not hear every target or fping cannot run
   */
  public static void main(String[] args) throws Exception {
    if (args.length > 1 && args[0].equals("--lb4j-rounds")) {
      lb4jAlone(Integer.parseInt(args[1]));
      return;
    }
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 21;
    List<InetSocketAddress> targets = IcmpRound.addresses(1000);
    List<String> fping0 = IcmpRound.fpingCommand(targets, 0);
    try (HealthChecker checker = HealthCheckers.create("icmp", Map.of())) {
      for (int i = 0; i < 20; i++) {
        expectAll("lb4j warm-up", IcmpRound.lb4j(checker, targets), targets.size());
      }
      expectAll("fping warm-up", IcmpRound.fping(fping0), targets.size());
      long[] lb4j = new long[rounds];
      long[] fping = new long[rounds];
      long[] spawn = new long[rounds];
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        expectAll("lb4j", IcmpRound.lb4j(checker, targets), targets.size());
        long t1 = System.nanoTime();
        expectAll("fping", IcmpRound.fping(fping0), targets.size());
        long t2 = System.nanoTime();
        new ProcessBuilder("true").start().waitFor();
        long t3 = System.nanoTime();
        lb4j[r] = t1 - t0;
        fping[r] = t2 - t1;
        spawn[r] = t3 - t2;
      }
      double l = median(lb4j) / 1e6;
      double f = median(fping) / 1e6;
      System.out.printf(Locale.ROOT, "targets: %d loopback addresses %s .. %s, %d rounds each, interleaved%n",
          targets.size(), targets.get(0).getAddress().getHostAddress(), targets.get(targets.size() - 1).getAddress().getHostAddress(), rounds);
      System.out.printf(Locale.ROOT, "lb4j icmp (one socket, one I/O thread):   median %8.2f ms per round%n", l);
      System.out.printf(Locale.ROOT, "fping -c1 -t500 -q -i 0 (process incl.):  median %8.2f ms per round%n", f);
      double p = median(spawn) / 1e6;
      System.out.printf(Locale.ROOT, "process start alone (true), for scale:    median %8.2f ms%n", p);
      System.out.printf(Locale.ROOT, "ratio lb4j / fping: %.2f (below 1 means lb4j is faster)%n", l / f);
      System.out.printf(Locale.ROOT, "ratio lb4j / (fping - process start): %.2f%n", l / Math.max(0.001, f - p));
    }
    if (args.length > 1 && args[1].equals("--with-default-interval")) {
      long t0 = System.nanoTime();
      expectAll("fping default interval", IcmpRound.fping(IcmpRound.fpingCommand(targets, 10)), targets.size());
      System.out.printf(Locale.ROOT, "fping -c1 -t500 -q (default -i 10), one round: %.0f ms%n", (System.nanoTime() - t0) / 1e6);
    }
  }

  /** Back-to-back lb4j rounds: how many lost a reply, and the spread of the round time. */
  private static void lb4jAlone(int rounds) throws Exception {
    List<InetSocketAddress> targets = IcmpRound.addresses(1000);
    try (HealthChecker checker = HealthCheckers.create("icmp", Map.of())) {
      for (int i = 0; i < 20; i++) {
        IcmpRound.lb4j(checker, targets);
      }
      long[] times = new long[rounds];
      int lossy = 0;
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        int heard = IcmpRound.lb4j(checker, targets);
        times[r] = System.nanoTime() - t0;
        if (heard != targets.size()) {
          lossy++;
        }
      }
      long[] sorted = times.clone();
      Arrays.sort(sorted);
      System.out.printf(Locale.ROOT, "lb4j icmp, %d back-to-back rounds of %d targets: %d lost a reply; median %.2f ms, p90 %.2f ms, max %.2f ms%n",
          rounds, targets.size(), lossy, median(times) / 1e6, sorted[(int) (rounds * 0.9)] / 1e6, sorted[rounds - 1] / 1e6);
    }
  }

  private static void expectAll(String what, int heard, int of) {
    if (heard != of) {
      throw new IllegalStateException(what + " heard " + heard + " of " + of + " targets");
    }
  }

  private static double median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
  }
}
