package io.github.lb4j.benchmarks.nat;

import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.flow.FlowTable;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.Ipv4Flyweight;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What does one established packet cost through the packet core: copy a precomputed 64-byte frame
 * into the work buffer, parse it, find its flow among 1k, 64k or 1M established flows (a table of
 * twice as many slots), keep its state and DNAT it (destination IP and MAC, RFC 1624 updates of the
 * IPv4 and TCP checksums)? One frame at a time ({@code establishedDnat}) or in batches of 16 whose
 * flows' lines are read first ({@code establishedDnatBatch}, time per packet). And one new flow (the
 * SYN path: parse, miss, consistent-hash table, open state, rewrite) in a table of the same size that
 * evicts half-open flows once full. All must be 0 B/op.
 *
 * <p>Working sets ({@code workingSet}): {@code uniform} streams 2^20 precomputed frames (64 MB, as from
 * a NIC ring), each of a uniformly random flow of the table, so every flow is touched and, at 1M
 * flows, nearly every lookup misses the cache; {@code cycled4096} cycles 4,096 frames of random flows
 * (about 4,000 distinct flows touched whatever the table's size: the table grows, the working set does
 * not). Setup checks that every frame is forwarded with valid checksums and counts the distinct flows
 * the frames touch.
 *
 * <pre>lb-benchmarks/bench PacketCoreBenchmark -prof gc
 * lb-benchmarks/nat-baseline        # the lean C reference of the same work, CPU time, same run</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class PacketCoreBenchmark {

  private static final int LEN = NatFixtures.FRAME_LENGTH;
  private static final int AT = NatFixtures.HEADROOM;
  private static final int SYN_MASK = NatFixtures.CYCLED_FRAMES - 1;

  /** Flows in the table. */
  @Param({"1024", "65536", "1048576"})
  public int flows;

  /** Which flows the frames touch: "uniform" (all of them) or "cycled4096". */
  @Param({"uniform", "cycled4096"})
  public String workingSet;

  private NatFixtures fixtures;
  private DnatPath established;
  private DnatPath syn;
  private ByteBuffer synFrames;
  private final ByteBuffer work = ByteBuffer.allocateDirect(DnatPath.BATCH * DnatPath.AREA);
  private int mask;
  private long i;
  private int newClient;

  /** Builds the table, the frames and the SYN path, and checks one pass of each. */
  @Setup
  public void setUp() {
    fixtures = new NatFixtures(flows, 42, NatFixtures.frames(workingSet));
    mask = fixtures.frameCount() - 1;
    established = new DnatPath(fixtures.establishedTable(SessionCounters.create()), fixtures.backendAddress,
        fixtures.backendMac, fixtures.lookupTable);
    fixtures.writeFrames(43, TcpFlyweight.ACK | TcpFlyweight.PSH);
    for (int f = 0; f < fixtures.frameCount(); f++) {
      work.put(AT, fixtures.frames, f * LEN, LEN);
      int v = established.established(work, AT, LEN);
      if (Verdict.action(v) != Verdict.FORWARD || !NatFixtures.checksumsValid(work, AT)) {
        throw new IllegalStateException("frame " + f + " not forwarded intact: " + Verdict.toString(v));
      }
    }
    int distinct = fixtures.distinctFlows();
    if (workingSet.equals("uniform") ? distinct < Math.min(flows, fixtures.frameCount()) * 0.6 : distinct > 4096) {
      throw new IllegalStateException(workingSet + " frames touch " + distinct + " distinct flows of " + flows);
    }
    System.out.printf("%n%s: %d frames touch %d distinct flows of %d%n", workingSet, fixtures.frameCount(), distinct,
        flows);
    NatFixtures synFixtures = new NatFixtures(NatFixtures.CYCLED_FRAMES, 44);
    synFixtures.writeFrames(45, TcpFlyweight.SYN);
    synFrames = synFixtures.frames;
    syn = new DnatPath(synTable(flows), fixtures.backendAddress, fixtures.backendMac, fixtures.lookupTable);
  }

  private static FlowTable synTable(int flows) {
    SessionCounters s = SessionCounters.create();
    for (int b = 0; b < NatFixtures.BACKENDS; b++) {
      s.of("backend-" + b);
    }
    return new FlowTable(FlowTableConfig.builder(Math.max(16, 2 * flows), s).build());
  }

  /**
   * One established packet.
   *
   * @return the verdict
   */
  @Benchmark
  public int establishedDnat() {
    int f = (int) (i++ & mask);
    work.put(AT, fixtures.frames, f * LEN, LEN);
    return established.established(work, AT, LEN);
  }

  /**
   * A batch of 16 established packets (JMH reports the time per packet).
   *
   * @return frames forwarded
   */
  @Benchmark
  @OperationsPerInvocation(DnatPath.BATCH)
  public int establishedDnatBatch() {
    long first = i;
    i += DnatPath.BATCH;
    return established.establishedBatch(fixtures.frames, first, mask, work);
  }

  /**
   * One SYN of a new flow: the frame gets a fresh client address (with its checksum updates) so
   * every packet is a table miss.
   *
   * @return the verdict
   */
  @Benchmark
  public int synNewFlow() {
    int f = (int) (i++ & SYN_MASK);
    work.put(AT, synFrames, f * LEN, LEN);
    int l3 = AT + 14;
    int old = Ipv4Flyweight.sourceAddress(work, l3);
    int client = 0x6400_0000 + newClient++;
    Ipv4Flyweight.sourceAddress(work, l3, client);
    Ipv4Flyweight.headerChecksum(work, l3,
        Checksums.update32(Ipv4Flyweight.headerChecksum(work, l3), old, client));
    TcpFlyweight.checksum(work, l3 + 20,
        Checksums.update32(TcpFlyweight.checksum(work, l3 + 20), old, client));
    return syn.syn(work, AT, LEN);
  }
}
