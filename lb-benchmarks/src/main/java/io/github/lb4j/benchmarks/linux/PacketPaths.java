package io.github.lb4j.benchmarks.linux;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times the ways of {@link VethPath} interleaved in one run (one veth pair each, samples taken
 * in rotating order), and prints the median nanoseconds per frame and the ratios against {@code
 * COPY}: the comparison that survives a busy machine. Needs root.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp lb-benchmarks/target/benchmarks.jar \
 *     io.github.lb4j.benchmarks.linux.PacketPaths [samples] [frameBytes]</pre>
 */
public final class PacketPaths {

  private PacketPaths() {}

  /**
   * Runs the comparison.
   *
   * @param args optional: samples per way (default 41), frame size in bytes (default 1500)
   * @throws Exception when a veth pair cannot be made or frames go missing
   */
  public static void main(String[] args) throws Exception {
    int samples = args.length > 0 ? Integer.parseInt(args[0]) : 41;
    int frameBytes = args.length > 1 ? Integer.parseInt(args[1]) : 1500;
    int bursts = 100;
    List<VethPath> paths = new ArrayList<>();
    try {
      int tag = 1;
      for (VethPath.Way w : VethPath.Way.values()) {
        paths.add(new VethPath(w, frameBytes, Integer.toString(tag++)));
      }
      for (int warm = 0; warm < 200; warm++) {
        for (VethPath p : paths) {
          p.burst();
        }
      }
      double[][] perFrame = new double[paths.size()][samples];
      for (int s = 0; s < samples; s++) {
        for (int k = 0; k < paths.size(); k++) {
          int i = (s + k) % paths.size();
          VethPath p = paths.get(i);
          long t0 = System.nanoTime();
          for (int b = 0; b < bursts; b++) {
            p.burst();
          }
          perFrame[i][s] = (System.nanoTime() - t0) / (double) (bursts * VethPath.BURST);
        }
      }
      System.out.printf(Locale.ROOT, "%d-byte frames over a veth pair, bursts of %d, %d samples of %d bursts per way, interleaved%n",
          frameBytes, VethPath.BURST, samples, bursts);
      double copy = median(perFrame[0]);
      for (int i = 0; i < paths.size(); i++) {
        double m = median(perFrame[i]);
        System.out.printf(Locale.ROOT, "%-12s median %7.0f ns per frame (send + receive)   ratio to COPY %.2f%n",
            paths.get(i).way(), m, m / copy);
      }
    } finally {
      for (VethPath p : paths) {
        p.close();
      }
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
