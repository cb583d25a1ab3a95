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
 * The issue-4 measurement unit, written once so that the Java benchmark and its C twin
 * ({@code src/main/c/nat_baseline.c}) do exactly the same work: parse, flow lookup (or, on the SYN
 * path, schedule and open), and the DNAT rewrite of destination IP and MAC with RFC 1624 updates of
 * the IPv4 and TCP checksums. One thread; never allocates.
 */
final class DnatPath {

  static final long LB_MAC = 0x0200_0000_00FEL;

  private final FrameParser parser = new FrameParser();
  private final FlowTable table;
  private final int[] backendAddress;
  private final long[] backendMac;
  private final int[] lookupTable;

  DnatPath(FlowTable table, int[] backendAddress, long[] backendMac, int[] lookupTable) {
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
    int slot = table.lookup(parser);
    if (slot < 0) {
      return Verdict.drop(DropReason.NO_FLOW);
    }
    table.touch(slot, parser.tcpFlags(), true, length);
    return rewrite(b, offset, table.backend(slot));
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
    return rewrite(b, offset, backend);
  }

  private int rewrite(ByteBuffer b, int offset, int backend) {
    int l3 = parser.l3Offset();
    int l4 = parser.l4Offset();
    int vip = Ipv4Flyweight.destinationAddress(b, l3);
    int rip = backendAddress[backend];
    Ipv4Flyweight.destinationAddress(b, l3, rip);
    Ipv4Flyweight.headerChecksum(b, l3, Checksums.update32(Ipv4Flyweight.headerChecksum(b, l3), vip, rip));
    TcpFlyweight.checksum(b, l4, Checksums.update32(TcpFlyweight.checksum(b, l4), vip, rip));
    EthernetFlyweight.destination(b, offset, backendMac[backend]);
    EthernetFlyweight.source(b, offset, LB_MAC);
    return Verdict.forward(1);
  }
}
