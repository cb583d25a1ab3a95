package io.github.lb4j.benchmarks.linux;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long does one ICMP round over 1,000 loopback addresses (127.0.1.0 .. 127.0.4.231) take with
 * lb4j's [icmp] checker (one raw or ping socket, one I/O thread), and with fping 5 on the same
 * addresses ({@code fping -c1 -t500 -q -i 0}, its fastest pacing; the process start is part of its
 * round)? Every round must hear all 1,000 targets (checked). Needs CAP_NET_RAW or the ping group, and
 * fping on the PATH. {@code lb-benchmarks/icmp-vs-fping} prints the two medians and their ratio.
 *
 * <pre>lb-benchmarks/bench IcmpRoundBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class IcmpRoundBenchmark {

  /** Which pinger runs the round. */
  public enum Pinger {
    /** lb4j's [icmp] checker, socket=auto. */
    LB4J,
    /** fping -c1 -t500 -q -i 0. */
    FPING
  }

  @Param({"LB4J", "FPING"})
  Pinger pinger;

  private List<InetSocketAddress> targets = List.of();
  private List<String> fping = List.of();
  private HealthChecker checker;

  @Setup(Level.Trial)
  public void open() throws Exception {
    targets = IcmpRound.addresses(1000);
    fping = IcmpRound.fpingCommand(targets, 0);
    if (pinger == Pinger.LB4J) {
      checker = HealthCheckers.create("icmp", Map.of());
    }
    int heard = round();
    if (heard != targets.size()) {
      throw new IllegalStateException(pinger + " heard " + heard + " of " + targets.size() + " targets");
    }
  }

  @TearDown(Level.Trial)
  public void close() {
    if (checker != null) {
      checker.close();
    }
  }

  @Benchmark
  public int round() throws Exception {
    return pinger == Pinger.LB4J ? IcmpRound.lb4j(checker, targets) : IcmpRound.fping(fping);
  }
}
