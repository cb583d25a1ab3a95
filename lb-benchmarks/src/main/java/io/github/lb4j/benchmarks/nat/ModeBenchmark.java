package io.github.lb4j.benchmarks.nat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.NatConfig;
import io.github.lb4j.nat.NatTranslators;
import io.github.lb4j.nat.PacketTranslator;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
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
 * What does one established packet cost through each forwarding mode's translator, in each
 * direction where replies pass the balancer, with 64k flows in the table? Working set: 4096
 * precomputed 64-byte frames of random flows (about 4,000 distinct flows of the 64k touched, as
 * {@link PacketCoreBenchmark}'s {@code cycled4096}), copied into a work buffer with headroom before
 * translation, so each figure compares with that established DNAT figure. Setup opens and establishes every flow through the translator itself and checks every
 * frame is forwarded. 0 B/op.
 *
 * <pre>lb-benchmarks/bench ModeBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ModeBenchmark {

  private static final int FLOWS = 65_536;
  private static final int FRAMES = 4096;
  private static final int MASK = FRAMES - 1;
  private static final int LEN = 64;
  private static final int AT = 128;

  /** The forwarding mode. */
  @Param({"transparent", "router", "dsr-l2", "dsr-ipip", "dsr-dscp", "full-nat"})
  public String mode;

  /** Requests (client to server) or replies (server to client; only modes whose replies pass). */
  @Param({"request", "reply"})
  public String direction;

  private PacketTranslator translator;
  private Direction dir;
  private final ByteBuffer frames = ByteBuffer.allocateDirect(FRAMES * LEN);
  private final ByteBuffer work = ByteBuffer.allocateDirect(2048);
  private final Frame frame = new Frame(work, AT, LEN);
  private int i;

  /**
   * Builds the translator, establishes 64k flows through it and precomputes the frames.
   *
   * @throws UnknownHostException never: addresses are literals
   */
  @Setup
  public void setUp() throws UnknownHostException {
    ForwardingMode m = ForwardingMode.parse(mode);
    dir = direction.equals("request") ? Direction.CLIENT_TO_SERVER : Direction.SERVER_TO_CLIENT;
    if (dir == Direction.SERVER_TO_CLIENT && !m.repliesPassBalancer()) {
      throw new IllegalStateException("mode " + mode + " has no reply path through the balancer (not a failure: skip it)");
    }
    SessionCounters sessions = SessionCounters.create();
    List<Backend> backends = new ArrayList<>();
    for (int b = 0; b < 64; b++) {
      backends.add(Backend.of("backend-" + b, InetAddress.getByName("198.51.100." + (b + 10)), 8080)
          .withMac(MacAddress.ofLong(0x0200_0000_1000L + b)));
    }
    int vip = 0xCB00_710A;
    NatConfig config = NatConfig.builder(m, new FixedHashScheduler(sessions, backends))
        .vip(new NatConfig.Vip(InetAddress.getByName("203.0.113.10"), 0, 0, m == ForwardingMode.DSR_DSCP ? 10 : -1))
        .balancer(MacAddress.ofLong(0x0200_0000_00FEL), InetAddress.getByName("198.51.100.1"), null)
        .clientGateway(MacAddress.ofLong(0x0200_0000_0001L)).snatAddress(InetAddress.getByName("198.51.100.2"))
        .snatAddress(InetAddress.getByName("198.51.100.3")).ports(0, 1)
        .flowTable(FlowTableConfig.builder(2 * FLOWS, sessions).build()).build();
    translator = NatTranslators.create(config);
    SplittableRandom r = new SplittableRandom(42);
    int[] client = new int[FLOWS];
    int[] port = new int[FLOWS];
    byte[][] replies = new byte[FLOWS][];
    FrameBuilder fb = new FrameBuilder().macs(0x0200_0000_00FEL, 0x0200_0000_0001L);
    FrameParser p = new FrameParser();
    ByteBuffer b = ByteBuffer.allocate(2048);
    for (int k = 0; k < FLOWS; k++) {
      client[k] = 0x0A00_0000 | r.nextInt(1 << 24);
      port[k] = 1024 + r.nextInt(64_000);
      for (int step = 0; step < 2; step++) {
        int n = fb.ipv4(client[k], vip).ports(port[k], 80).payload(0)
            .tcpFlags(step == 0 ? TcpFlyweight.SYN : TcpFlyweight.ACK).writeTcp(b, AT);
        Frame f = new Frame(b, AT, n);
        int v = translator.translate(f, Direction.CLIENT_TO_SERVER);
        if (Verdict.action(v) != Verdict.FORWARD) {
          throw new IllegalStateException("flow " + k + " not forwarded: " + Verdict.toString(v));
        }
        if (step == 0 && m.repliesPassBalancer()) {
          p.parse(b, f.offset(), f.length());
          ByteBuffer rb = ByteBuffer.allocate(LEN);
          new FrameBuilder().macs(0x0200_0000_00FEL, 0x0200_0000_1000L).ipv4(p.destinationAddressV4(), p.sourceAddressV4())
              .ports(p.destinationPort(), p.sourcePort()).tcpFlags(TcpFlyweight.ACK | TcpFlyweight.PSH).payload(10)
              .writeTcp(rb, 0);
          replies[k] = rb.array();
        }
      }
    }
    for (int f = 0; f < FRAMES; f++) {
      int k = r.nextInt(FLOWS);
      if (dir == Direction.CLIENT_TO_SERVER) {
        fb.ipv4(client[k], vip).ports(port[k], 80).tcpFlags(TcpFlyweight.ACK | TcpFlyweight.PSH).payload(10)
            .writeTcp(frames, f * LEN);
      } else {
        frames.put(f * LEN, replies[k]);
      }
    }
    for (int f = 0; f < FRAMES; f++) {
      int v = translateOne(f);
      if (Verdict.action(v) != Verdict.FORWARD) {
        throw new IllegalStateException("frame " + f + " not forwarded: " + Verdict.toString(v));
      }
    }
  }

  private int translateOne(int f) {
    work.put(AT, frames, f * LEN, LEN);
    frame.region(AT, LEN);
    return translator.translate(frame, dir);
  }

  /**
   * One established packet through the mode.
   *
   * @return the verdict
   */
  @Benchmark
  public int established() {
    return translateOne(i++ & MASK);
  }
}
