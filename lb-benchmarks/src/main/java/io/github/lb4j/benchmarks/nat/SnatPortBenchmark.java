package io.github.lb4j.benchmarks.nat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.NatConfig;
import io.github.lb4j.nat.NatTranslators;
import io.github.lb4j.nat.PacketTranslator;
import io.github.lb4j.nat.flow.FlowTable;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
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
 * What does a new full-NAT flow cost when its source-NAT address is nearly full? Two pool addresses
 * of 64,512 ports each (1024..65535); the first is filled to {@code fill} percent with live UDP
 * flows ({@code pool-exhausted}: both addresses full). Each operation is a new TCP SYN through the
 * translator (flow lookup and open, port allocation, rewrite) and, when it was forwarded, the
 * release of its flow and port ({@code FlowTable.close}), so the fill stays where it is. At 100 the
 * first address is exhausted and every SYN takes a port of the second; with the pool exhausted every
 * SYN is refused ({@code POOL_EXHAUSTED}).
 *
 * <p>The peer, measured in the same run, is the same SYN and close in transparent mode (no source
 * NAT), with the same number of flows in the table: the difference is the cost of the port.
 *
 * <pre>lb-benchmarks/bench SnatPortBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class SnatPortBenchmark {

  private static final int PORTS = 65_535 - 1024 + 1;
  private static final int FRAMES = 4096;
  private static final int MASK = FRAMES - 1;
  private static final int AT = 128;
  private static final int VIP = 0xCB00_710A;

  /** Percent of the first pool address's ports held by live flows, or both addresses full. */
  @Param({"90", "99", "100", "pool-exhausted"})
  public String fill;

  /** {@code full-nat}, or the peer without source NAT, {@code transparent}. */
  @Param({"full-nat", "transparent"})
  public String mode;

  private PacketTranslator translator;
  private FlowTable table;
  private final ByteBuffer frames = ByteBuffer.allocateDirect(FRAMES * 64);
  private final int[] lengths = new int[FRAMES];
  private final MutableFlowKey[] keys = new MutableFlowKey[FRAMES];
  private final ByteBuffer work = ByteBuffer.allocateDirect(2048);
  private final Frame frame = new Frame(work, AT, 64);
  private int expectedAction;
  private int i;

  /**
   * Builds the translator, fills the pool with live flows and checks a SYN gets the expected verdict.
   *
   * @throws UnknownHostException never: addresses are literals
   */
  @Setup
  public void setUp() throws UnknownHostException {
    ForwardingMode m = ForwardingMode.parse(mode);
    SessionCounters sessions = SessionCounters.create();
    List<Backend> backends = new ArrayList<>();
    for (int b = 0; b < 16; b++) {
      backends.add(Backend.of("backend-" + b, InetAddress.getByName("198.51.100." + (b + 10)), 8080)
          .withMac(MacAddress.ofLong(0x0200_0000_1000L + b)));
    }
    translator = NatTranslators.create(NatConfig.builder(m, new FixedHashScheduler(sessions, backends))
        .vip(NatConfig.Vip.of(InetAddress.getByName("203.0.113.10")))
        .balancer(MacAddress.ofLong(0x0200_0000_00FEL), InetAddress.getByName("198.51.100.1"), null)
        .clientGateway(MacAddress.ofLong(0x0200_0000_0001L)).snatAddress(InetAddress.getByName("198.51.100.2"))
        .snatAddress(InetAddress.getByName("198.51.100.3")).snatPorts(1024, 65_535).ports(0, 1)
        .flowTable(FlowTableConfig.builder(1 << 19, sessions).build()).build());
    table = translator.flowTable();
    boolean exhausted = fill.equals("pool-exhausted");
    int live = exhausted ? 2 * PORTS : (int) ((long) PORTS * Integer.parseInt(fill) / 100);
    FrameBuilder fb = new FrameBuilder().macs(0x0200_0000_00FEL, 0x0200_0000_0001L);
    ByteBuffer b = ByteBuffer.allocate(2048);
    for (int k = 0; k < live; k++) {
      int n = fb.ipv4(0x0A00_0000 | k >>> 14, VIP).ports(1024 + (k & 0x3FFF), 53).payload(8).writeUdp(b, AT);
      int v = translator.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER);
      if (Verdict.action(v) != Verdict.FORWARD) {
        throw new IllegalStateException("fill flow " + k + " not forwarded: " + Verdict.toString(v));
      }
    }
    for (int f = 0; f < FRAMES; f++) {
      int client = 0x0A80_0000 | f;
      lengths[f] = fb.ipv4(client, VIP).ports(40_000, 80).payload(0).tcpFlags(TcpFlyweight.SYN).writeTcp(frames, f * 64);
      keys[f] = new MutableFlowKey().setV4(6, client, 40_000, VIP, 80);
    }
    expectedAction = exhausted && m == ForwardingMode.FULL_NAT ? Verdict.DROP : Verdict.FORWARD;
    for (int f = 0; f < FRAMES; f++) {
      int v = synThenClose();
      if (Verdict.action(v) != expectedAction
          || (expectedAction == Verdict.DROP && Verdict.reason(v) != DropReason.POOL_EXHAUSTED)) {
        throw new IllegalStateException("fill " + fill + ": SYN " + f + " gave " + Verdict.toString(v));
      }
    }
    if (table.size() != live) {
      throw new IllegalStateException("the table holds " + table.size() + " flows, not the " + live + " of the fill");
    }
  }

  /**
   * A new flow's SYN, then the release of its flow (and port).
   *
   * @return the SYN's verdict
   */
  @Benchmark
  public int synThenClose() {
    int f = i++ & MASK;
    work.put(AT, frames, f * 64, lengths[f]);
    frame.region(AT, lengths[f]);
    int v = translator.translate(frame, Direction.CLIENT_TO_SERVER);
    if (Verdict.action(v) == Verdict.FORWARD) {
      table.close(table.lookup(keys[f]));
    }
    return v;
  }
}
