package io.github.lb4j.benchmarks.nat;

import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.nat.flow.FlowState;
import io.github.lb4j.nat.flow.FlowTable;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.FrameBuilder;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/** Builds the flows, tables and 64-byte frames the packet-core benchmarks share (setup only). */
final class NatFixtures {

  /** Frames cycled by the "cycled4096" working set: about 4,000 distinct flows, whatever the table. */
  static final int CYCLED_FRAMES = 4096;
  /** Frames streamed by the "uniform" working set: each of a uniformly random flow of the table. */
  static final int UNIFORM_FRAMES = 1 << 20;
  static final int FRAME_LENGTH = 64;
  static final int BACKENDS = 64;
  static final int VIP = 0xCB00_7105;
  static final int HEADROOM = 128;

  final int[] clientAddress;
  final int[] clientPort;
  final int[] backendAddress = new int[BACKENDS];
  final long[] backendMac = new long[BACKENDS];
  final int[] lookupTable = new int[65_537];
  final ByteBuffer frames;

  NatFixtures(int flows, long seed) {
    this(flows, seed, CYCLED_FRAMES);
  }

  /**
   * Flows and room for frames.
   *
   * @param flows flows in the table
   * @param seed the random seed
   * @param frameCount frames to precompute, a power of two
   */
  NatFixtures(int flows, long seed, int frameCount) {
    frames = ByteBuffer.allocateDirect(frameCount * FRAME_LENGTH);
    SplittableRandom r = new SplittableRandom(seed);
    clientAddress = new int[flows];
    clientPort = new int[flows];
    for (int i = 0; i < flows; i++) {
      clientAddress[i] = 0x0A00_0000 | r.nextInt(1 << 24);
      clientPort[i] = 1024 + r.nextInt(64_000);
    }
    for (int b = 0; b < BACKENDS; b++) {
      backendAddress[b] = 0xC633_6400 | (b + 10);
      backendMac[b] = 0x0200_0000_1000L + b;
    }
    for (int i = 0; i < lookupTable.length; i++) {
      lookupTable[i] = i % BACKENDS;
    }
  }

  /** A table of twice the flows' capacity holding every flow as ESTABLISHED. */
  FlowTable establishedTable(SessionCounters sessions) {
    int flows = clientAddress.length;
    for (int b = 0; b < BACKENDS; b++) {
      sessions.of("backend-" + b);
    }
    FlowTable t = new FlowTable(FlowTableConfig.builder(Math.max(16, 2 * flows), sessions).build());
    MutableFlowKey k = new MutableFlowKey();
    for (int i = 0; i < flows; i++) {
      k.setV4(6, clientAddress[i], clientPort[i], VIP, 80);
      if (t.open(k, i % BACKENDS, FlowState.ESTABLISHED, 0) < 0) {
        throw new IllegalStateException("table refused flow " + i + " of " + flows);
      }
    }
    return t;
  }

  /** The number of precomputed frames (a power of two). */
  int frameCount() {
    return frames.capacity() / FRAME_LENGTH;
  }

  /** Frames of uniformly random flows, each a 64-byte TCP ACK with 10 bytes of data. */
  void writeFrames(long seed, int tcpFlags) {
    SplittableRandom r = new SplittableRandom(seed);
    FrameBuilder fb = new FrameBuilder().macs(0x0200_0000_00FEL, 0x0200_0000_0002L).payload(10).tcpFlags(tcpFlags);
    for (int f = 0; f < frameCount(); f++) {
      int i = r.nextInt(clientAddress.length);
      int n = fb.ipv4(clientAddress[i], VIP).ports(clientPort[i], 80).writeTcp(frames, f * FRAME_LENGTH);
      if (n != FRAME_LENGTH) {
        throw new IllegalStateException("frame length " + n);
      }
    }
  }

  /**
   * The frame count of a working set's name.
   *
   * @param workingSet "uniform" or "cycled4096"
   * @return the count
   */
  static int frames(String workingSet) {
    switch (workingSet) {
      case "uniform":
        return UNIFORM_FRAMES;
      case "cycled4096":
        return CYCLED_FRAMES;
      default:
        throw new IllegalArgumentException("working set must be uniform or cycled4096, was " + workingSet);
    }
  }

  /**
   * How many distinct flows a frame set touches (setup checks that a working set is what it claims).
   *
   * @return distinct client address and port pairs among the frames
   */
  int distinctFlows() {
    java.util.HashSet<Long> seen = new java.util.HashSet<>();
    for (int f = 0; f < frameCount(); f++) {
      int at = f * FRAME_LENGTH;
      seen.add((long) frames.getInt(at + 26) << 16 | (frames.getShort(at + 34) & 0xFFFF));
    }
    return seen.size();
  }

  static boolean checksumsValid(ByteBuffer b, int offset) {
    int l3 = offset + 14;
    int l4 = l3 + 20;
    return Checksums.fold(Checksums.sum(b, l3, 20, 0)) == 0xFFFF
        && Checksums.transportChecksumV4(b, l3, l4, FRAME_LENGTH - 34, 6) == 0;
  }
}
