package io.github.lb4j.benchmarks.linux;

import io.github.lb4j.linux.Bpf;
import io.github.lb4j.linux.FrameHandler;
import io.github.lb4j.linux.NetInterface;
import io.github.lb4j.linux.PacketSocket;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
 * is the CPU cost of both ends plus the kernel's veth path. The ring paths must show 0 B/op with
 * {@code -prof gc}.
 *
 * <p>Needs root (creates a veth pair {@code lbjA<pid>}/{@code lbjB<pid>} without addresses in the
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

  /** How frames move. */
  public enum Path {
    /** sendto and recvfrom per frame. */
    COPY,
    /** sendto per frame, RX ring read in place. */
    RX_RING,
    /** TX ring with one sendto per burst, RX ring read in place. */
    RX_TX_RINGS
  }

  private static final int BURST = 64;
  private static final int ETHERTYPE = 0x88B5;

  @Param({"COPY", "RX_RING", "RX_TX_RINGS"})
  Path path;

  @Param({"128", "1500"})
  int frameBytes;

  private String a = "";
  private String b = "";
  private Arena arena;
  private PacketSocket tx;
  private PacketSocket rx;
  private MemorySegment frame;
  private MemorySegment in;
  private int received;
  private long checksum;
  private final FrameHandler count = (memory, offset, length) -> {
    received++;
    checksum += memory.get(ValueLayout.JAVA_BYTE, offset + length - 1);
  };

  @Setup(Level.Trial)
  public void createVethPair() throws Exception {
    long pid = ProcessHandle.current().pid() % 100000;
    a = "lbjA" + pid;
    b = "lbjB" + pid;
    run("ip", "link", "add", a, "type", "veth", "peer", "name", b);
    for (String n : new String[] {a, b}) {
      java.nio.file.Files.writeString(java.nio.file.Path.of("/proc/sys/net/ipv6/conf/" + n + "/disable_ipv6"), "1");
      run("ip", "link", "set", n, "up");
    }
    arena = Arena.ofConfined();
    PacketSocket.Options base = PacketSocket.Options.defaults();
    PacketSocket.Options txOptions = path == Path.RX_TX_RINGS ? base.txRing(256) : base;
    PacketSocket.Options rxOptions = path == Path.COPY ? base : base.rxRing(1024, 2048);
    tx = PacketSocket.open(NetInterface.byName(a), txOptions);
    rx = PacketSocket.open(NetInterface.byName(b), rxOptions);
    rx.attachFilter(new long[] {
      Bpf.insn(Bpf.LD_H_ABS, 0, 0, 12),
      Bpf.insn(Bpf.JEQ_K, 0, 1, ETHERTYPE),
      Bpf.insn(Bpf.RET_K, 0, 0, 0xFFFF),
      Bpf.insn(Bpf.RET_K, 0, 0, 0),
    });
    frame = arena.allocate(frameBytes);
    byte[] dst = NetInterface.byName(b).macAddress().toBytes();
    byte[] src = NetInterface.byName(a).macAddress().toBytes();
    MemorySegment.copy(dst, 0, frame, ValueLayout.JAVA_BYTE, 0, 6);
    MemorySegment.copy(src, 0, frame, ValueLayout.JAVA_BYTE, 6, 6);
    frame.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 12, (short) ETHERTYPE);
    in = arena.allocate(2048);
    burst();
    if (received != BURST) {
      throw new IllegalStateException(path + " moved " + received + " of " + BURST + " frames");
    }
  }

  @TearDown(Level.Trial)
  public void deleteVethPair() throws Exception {
    if (tx != null) {
      tx.close();
    }
    if (rx != null) {
      rx.close();
    }
    if (arena != null) {
      arena.close();
    }
    run("ip", "link", "del", a);
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed (needs root): " + out);
    }
  }

  @Benchmark
  @OperationsPerInvocation(BURST)
  public long burst() {
    received = 0;
    for (int i = 0; i < BURST; i++) {
      while (tx.send(frame, 0, frameBytes) < 0) {
        tx.flush();
      }
    }
    tx.flush();
    if (path == Path.COPY) {
      while (received < BURST) {
        if (rx.receive(in) >= 0) {
          received++;
        } else {
          rx.poll(1000);
        }
      }
    } else {
      while (received < BURST) {
        if (rx.receive(count, BURST) == 0) {
          rx.poll(1000);
        }
      }
    }
    return checksum;
  }
}
