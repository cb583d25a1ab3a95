package io.github.lb4j.benchmarks;

import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.ImmutableFlowKey;
import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.Protocol;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long does the stable flow hash take, per key, for the immutable key a client SDK builds and for
 * the reusable key the packet path fills in place, IPv4 and IPv6? Both must give the same value
 * (checked in setup) and allocate nothing.
 *
 * <pre>java -jar lb-benchmarks/target/benchmarks.jar FlowHashBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class FlowHashBenchmark {

  private static final int KEYS = 4096;
  private static final int MASK = KEYS - 1;

  /** The address family of the keys. */
  @Param({"V4", "V6"})
  public String family;

  private final ImmutableFlowKey[] immutable = new ImmutableFlowKey[KEYS];
  private final long[][] fields = new long[KEYS][];
  private final MutableFlowKey mutable = new MutableFlowKey();
  private int i;

  /**
   * Builds random keys of the chosen family and checks both implementations hash them alike.
   *
   * @throws UnknownHostException never: addresses are built from bytes
   */
  @Setup
  public void setUp() throws UnknownHostException {
    SplittableRandom random = new SplittableRandom(42);
    boolean v6 = family.equals("V6");
    for (int k = 0; k < KEYS; k++) {
      byte[] src = new byte[v6 ? 16 : 4];
      byte[] dst = new byte[v6 ? 16 : 4];
      random.nextBytes(src);
      random.nextBytes(dst);
      ImmutableFlowKey key = ImmutableFlowKey.of(Protocol.TCP, InetAddress.getByAddress(src), random.nextInt(65536),
          InetAddress.getByAddress(dst), random.nextInt(65536));
      immutable[k] = key;
      fields[k] = new long[] {key.sourceAddressHigh(), key.sourceAddressLow(), key.destinationAddressHigh(),
          key.destinationAddressLow(), key.sourcePort(), key.destinationPort()};
      if (fill(k).hash64() != key.hash64()) {
        throw new IllegalStateException("mutable and immutable keys disagree on " + key);
      }
    }
  }

  private FlowKey fill(int k) {
    long[] f = fields[k];
    if (family.equals("V6")) {
      return mutable.setV6(6, f[0], f[1], (int) f[4], f[2], f[3], (int) f[5]);
    }
    return mutable.setV4(6, (int) f[1], (int) f[4], (int) f[3], (int) f[5]);
  }

  /** @return the five-tuple hash of a precomputed immutable key */
  @Benchmark
  public long immutableFiveTuple() {
    return immutable[i++ & MASK].hash64();
  }

  /** @return the five-tuple hash of the reusable key after filling it in place */
  @Benchmark
  public long mutableFillAndFiveTuple() {
    return fill(i++ & MASK).hash64();
  }

  /** @return the source-address hash (source-hash scheduling) of a precomputed key */
  @Benchmark
  public long sourceAddress() {
    return FlowHash.sourceAddress(immutable[i++ & MASK], 7L);
  }
}
