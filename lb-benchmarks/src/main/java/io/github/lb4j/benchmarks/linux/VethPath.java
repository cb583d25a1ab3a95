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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A veth pair without addresses (IPv6 off, so no neighbour chatter) with a packet socket on each end,
 * opened for one way of moving frames; {@link #burst()} sends 64 frames on one end and takes them on
 * the other. Needs root. Not thread-safe; allocation-free after construction.
 */
final class VethPath implements AutoCloseable {

  /** How frames move. */
  enum Way {
    /** One send and one receive system call per frame (sendmsg with the vnet header, recvmsg). */
    COPY,
    /** One send system call per frame, RX ring read in place. */
    RX_RING,
    /** TX ring with one sendto per burst, RX ring read in place. */
    RX_TX_RINGS,
    /**
     * As {@link #RX_RING}, with the offloads left alone ({@code undoOffloads(false)}: no vnet header
     * per frame): the peer that shows what looking at each frame's offloads costs the others.
     */
    RX_RING_RAW
  }

  static final int BURST = 64;
  private static final int ETHERTYPE = 0x88B5;

  private final Way way;
  private final int frameBytes;
  private final String a;
  private final Arena arena = Arena.ofConfined();
  private final PacketSocket tx;
  private final PacketSocket rx;
  private final MemorySegment frame;
  private final MemorySegment in;
  private int received;
  private long checksum;
  private final FrameHandler count = (memory, offset, length) -> {
    received++;
    checksum += memory.get(ValueLayout.JAVA_BYTE, offset + length - 1);
  };

  VethPath(Way way, int frameBytes, String tag) throws IOException, InterruptedException {
    this.way = way;
    this.frameBytes = frameBytes;
    long pid = ProcessHandle.current().pid() % 100000;
    this.a = "lbj" + tag + "a" + pid;
    String b = "lbj" + tag + "b" + pid;
    run("ip", "link", "add", a, "type", "veth", "peer", "name", b);
    try {
      for (String n : new String[] {a, b}) {
        Files.writeString(Path.of("/proc/sys/net/ipv6/conf/" + n + "/disable_ipv6"), "1");
        run("ip", "link", "set", n, "up");
      }
      PacketSocket.Options base = PacketSocket.Options.defaults().undoOffloads(way != Way.RX_RING_RAW);
      tx = PacketSocket.open(NetInterface.byName(a), way == Way.RX_TX_RINGS ? base.txRing(256) : base);
      rx = PacketSocket.open(NetInterface.byName(b), way == Way.COPY ? base : base.rxRing(1024, 2048));
      rx.attachFilter(new long[] {
        Bpf.insn(Bpf.LD_H_ABS, 0, 0, 12),
        Bpf.insn(Bpf.JEQ_K, 0, 1, ETHERTYPE),
        Bpf.insn(Bpf.RET_K, 0, 0, 0xFFFF),
        Bpf.insn(Bpf.RET_K, 0, 0, 0),
      });
      frame = arena.allocate(frameBytes);
      MemorySegment.copy(NetInterface.byName(b).macAddress().toBytes(), 0, frame, ValueLayout.JAVA_BYTE, 0, 6);
      MemorySegment.copy(NetInterface.byName(a).macAddress().toBytes(), 0, frame, ValueLayout.JAVA_BYTE, 6, 6);
      frame.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 12, (short) ETHERTYPE);
      in = arena.allocate(2048);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    burst();
    if (received != BURST) {
      close();
      throw new IllegalStateException(way + " moved " + received + " of " + BURST + " frames");
    }
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed (needs root): " + out);
    }
  }

  Way way() {
    return way;
  }

  /** Sends {@link #BURST} frames on one end and takes them all on the other. */
  long burst() {
    received = 0;
    for (int i = 0; i < BURST; i++) {
      while (tx.send(frame, 0, frameBytes) < 0) {
        tx.flush();
      }
    }
    tx.flush();
    if (way == Way.COPY) {
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

  @Override
  public void close() {
    if (tx != null) {
      tx.close();
    }
    if (rx != null) {
      rx.close();
    }
    arena.close();
    try {
      run("ip", "link", "del", a);
    } catch (IOException | InterruptedException | IllegalStateException e) {
      System.err.println("could not delete " + a + ": " + e.getMessage());
    }
  }
}
