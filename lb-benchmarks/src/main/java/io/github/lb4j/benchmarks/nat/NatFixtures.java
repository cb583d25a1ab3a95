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

  static final int FRAMES = 4096;
  static final int FRAME_LENGTH = 64;
  static final int BACKENDS = 64;
  static final int VIP = 0xCB00_7105;
  static final int HEADROOM = 128;

  final int[] clientAddress;
  final int[] clientPort;
  final int[] backendAddress = new int[BACKENDS];
  final long[] backendMac = new long[BACKENDS];
  final int[] lookupTable = new int[65_537];
  final ByteBuffer frames = ByteBuffer.allocateDirect(FRAMES * FRAME_LENGTH);

  NatFixtures(int flows, long seed) {
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

  /** 4096 frames of random flows, each a 64-byte TCP ACK with 10 bytes of data. */
  void writeFrames(long seed, int tcpFlags) {
    SplittableRandom r = new SplittableRandom(seed);
    FrameBuilder fb = new FrameBuilder().macs(0x0200_0000_00FEL, 0x0200_0000_0002L).payload(10).tcpFlags(tcpFlags);
    for (int f = 0; f < FRAMES; f++) {
      int i = r.nextInt(clientAddress.length);
      int n = fb.ipv4(clientAddress[i], VIP).ports(clientPort[i], 80).writeTcp(frames, f * FRAME_LENGTH);
      if (n != FRAME_LENGTH) {
        throw new IllegalStateException("frame length " + n);
      }
    }
  }

  static boolean checksumsValid(ByteBuffer b, int offset) {
    int l3 = offset + 14;
    int l4 = l3 + 20;
    return Checksums.fold(Checksums.sum(b, l3, 20, 0)) == 0xFFFF
        && Checksums.transportChecksumV4(b, l3, l4, FRAME_LENGTH - 34, 6) == 0;
  }
}
