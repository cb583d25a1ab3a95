package io.github.lb4j.benchmarks.linux;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Do lb-linux's memory-mapped rings pay? Per frame, what does moving bursts of 64 frames across a
 * veth pair cost with one {@code sendto}/{@code recvfrom} per frame ({@code COPY}), with the RX ring
 * read in place ({@code RX_RING}), and with both rings ({@code RX_TX_RINGS}: frames copied into the TX
 * ring, one {@code sendto} per burst)? Sender and receiver run on the benchmark thread, so the figure
 * is the CPU cost of both ends plus the kernel's veth path. Every path must show 0 B/op with {@code
 * -prof gc}. {@link PacketPaths} measures the same three ways interleaved, for ratios on a busy machine.
 *
 * <p>Needs root (creates a veth pair {@code lbj0a<pid>}/{@code lbj0b<pid>} without addresses in the
 * current namespace and deletes it in tear-down).
 *
 * <pre>lb-benchmarks/bench PacketSocketBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PacketSocketBenchmark {

  @Param({"COPY", "RX_RING", "RX_TX_RINGS"})
  String way;

  @Param({"128", "1500"})
  int frameBytes;

  private VethPath path;

  @Setup(Level.Trial)
  public void open() throws Exception {
    path = new VethPath(VethPath.Way.valueOf(way), frameBytes, "0");
  }

  @TearDown(Level.Trial)
  public void close() {
    path.close();
  }

  @Benchmark
  @OperationsPerInvocation(VethPath.BURST)
  public long burst() {
    return path.burst();
  }
}
