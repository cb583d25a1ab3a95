package io.github.lb4j.benchmarks.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.flow.FlowState;
import io.github.lb4j.nat.flow.FlowTable;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.EthernetFlyweight;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.Ipv4Flyweight;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.nio.ByteBuffer;

/**
 * The packet core's established-flow DNAT as one measurement unit, so that the Java benchmarks and the
 * lean C reference ({@code src/main/c/nat_lean.c}) do the same work: parse, flow lookup and state
 * (or, on the SYN path, schedule and open), and the DNAT rewrite of destination IP and MAC with RFC
 * 1624 updates of the IPv4 and TCP checksums; one frame at a time, or a batch of {@link #BATCH}
 * frames whose flows' lines are read first so that their cache misses overlap. One thread; never
 * allocates.
 */
final class DnatPath {

  static final long LB_MAC = 0x0200_0000_00FEL;
  /** Frames per batch. */
  static final int BATCH = 16;
  /** Bytes of the work buffer per frame of a batch (a frame at offset 32 of its area). */
  static final int AREA = 128;
  private static final int HEAD = 32;

  private final FrameParser parser = new FrameParser();
  private final FlowTable table;
  private final int[] backendAddress;
  private final long[] backendMac;
  private final int[] lookupTable;

  private final FrameParser[] parsers = new FrameParser[BATCH];
  private final boolean[] parsed = new boolean[BATCH];
  private final int[] lines = new int[BATCH];
  private long touched;

  DnatPath(FlowTable table, int[] backendAddress, long[] backendMac, int[] lookupTable) {
    for (int i = 0; i < BATCH; i++) {
      parsers[i] = new FrameParser();
    }
    this.table = table;
    this.backendAddress = backendAddress;
    this.backendMac = backendMac;
    this.lookupTable = lookupTable;
  }

  FlowTable table() {
    return table;
  }

  /** Established flows: a miss is a drop. */
  int established(ByteBuffer b, int offset, int length) {
    int r = parser.parse(b, offset, length);
    if (r != FrameParser.OK) {
      return Verdict.drop(DropReason.ofCode(r));
    }
    if (parser.protocolNumber() != 6 || parser.isIpv6()) {
      return Verdict.drop(DropReason.UNSUPPORTED);
    }
    int slot = lookup(parser);
    if (slot < 0) {
      return Verdict.drop(DropReason.NO_FLOW);
    }
    table.touch(slot, parser.tcpFlags(), true, length);
    return rewrite(parser, b, offset, table.backend(slot));
  }

  /** The IPv4 lookup from the parser's fields, without the FlowKey interface in between. */
  private int lookup(FrameParser p) {
    return table.lookupIpv4(6, (int) p.sourceAddressLow(), p.sourcePort(), (int) p.destinationAddressLow(),
        p.destinationPort());
  }

  /**
   * Established flows, a batch at a time: copies {@link #BATCH} frames into their areas of the work
   * buffer, parses each and hashes its flow to its first line ({@link FlowTable#firstLine}), reads all
   * the lines in one short loop ({@link FlowTable#readLines}), then looks each flow up and rewrites
   * its frame; by the last pass the lines are in cache or on their way.
   *
   * @param frames the precomputed frames
   * @param first the index of the batch's first frame
   * @param frameMask frames - 1 (a power of two)
   * @param work a buffer of at least {@code BATCH * AREA} bytes
   * @return frames forwarded
   */
  int establishedBatch(ByteBuffer frames, long first, int frameMask, ByteBuffer work) {
    for (int i = 0; i < BATCH; i++) {
      int at = i * AREA + HEAD;
      int f = (int) ((first + i) & frameMask);
      work.put(at, frames, f * NatFixtures.FRAME_LENGTH, NatFixtures.FRAME_LENGTH);
      FrameParser p = parsers[i];
      parsed[i] = p.parse(work, at, NatFixtures.FRAME_LENGTH) == FrameParser.OK && p.protocolNumber() == 6
          && !p.isIpv6();
      lines[i] = parsed[i] ? table.firstLine(p) : -1;
    }
    // A load that misses holds up retirement until it returns (Java has no prefetch instruction), so
    // the lines are read in a loop of their own, a few instructions each, short enough for the whole
    // batch's misses to be in flight at once.
    touched += table.readLines(lines, BATCH);
    int forwarded = 0;
    for (int i = 0; i < BATCH; i++) {
      if (!parsed[i]) {
        continue;
      }
      FrameParser p = parsers[i];
      int slot = lookup(p);
      if (slot < 0) {
        continue;
      }
      table.touch(slot, p.tcpFlags(), true, NatFixtures.FRAME_LENGTH);
      rewrite(p, work, i * AREA + HEAD, table.backend(slot));
      forwarded++;
    }
    return forwarded;
  }

  /** The sum of the lines read ahead, kept so that the reads are not optimized away. */
  long touched() {
    return touched;
  }

  /** The new-flow path: schedule by consistent-hash table, open SYN_RECV state, rewrite. */
  int syn(ByteBuffer b, int offset, int length) {
    int r = parser.parse(b, offset, length);
    if (r != FrameParser.OK) {
      return Verdict.drop(DropReason.ofCode(r));
    }
    if (parser.protocolNumber() != 6 || parser.isIpv6()) {
      return Verdict.drop(DropReason.UNSUPPORTED);
    }
    int slot = table.lookup(parser);
    int backend;
    if (slot >= 0) {
      backend = table.backend(slot);
    } else {
      // Maglev's select reduces the hash to a table slot by multiply-shift (Lemire), as
      // lb-algorithms' MaglevScheduler does; a 64-bit remainder would cost a division per SYN.
      backend = lookupTable[(int) (((parser.hash64() >>> 32) * lookupTable.length) >>> 32)];
      slot = table.open(parser, backend, FlowState.SYN_RECV, 0);
    }
    if (slot >= 0) {
      table.touch(slot, parser.tcpFlags(), true, length);
    }
    return rewrite(parser, b, offset, backend);
  }

  private int rewrite(FrameParser parser, ByteBuffer b, int offset, int backend) {
    int l3 = parser.l3Offset();
    int l4 = parser.l4Offset();
    int vip = (int) parser.destinationAddressLow();
    int rip = backendAddress[backend];
    Ipv4Flyweight.destinationAddress(b, l3, rip);
    Ipv4Flyweight.headerChecksum(b, l3, Checksums.update32(Ipv4Flyweight.headerChecksum(b, l3), vip, rip));
    TcpFlyweight.checksum(b, l4, Checksums.update32(TcpFlyweight.checksum(b, l4), vip, rip));
    EthernetFlyweight.addresses(b, offset, backendMac[backend], LB_MAC);
    return Verdict.forward(1);
  }
}
