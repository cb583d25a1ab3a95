package io.github.lb4j.nat;

import io.github.lb4j.nat.flow.FlowState;
import io.github.lb4j.nat.flow.FlowTable;
import java.net.InetAddress;
import java.util.List;

/**
 * The source-NAT pool (full NAT, S6.1b, and the hairpin fix of S6.2): its addresses and, per
 * address, which flow holds each port. Allocation and release are O(1): the free ports of an address
 * wait in a FIFO ring (released at the tail, handed out from the head, so a port rests as long as
 * possible before its next use and a server's TIME_WAIT for the old connection has time to end), and
 * the flow table tells {@link #freed} whenever a flow goes, whatever the cause. When the ring is
 * empty, a few ports of a clock hand are examined for a flow that expired but was not swept yet
 * ({@link #RECLAIM_PROBES}), so an exhausted address recovers its expired ports at once, in bounded
 * time per allocation. The ring starts at an origin: a translator whose flow table draws a random
 * seed draws a random origin too, so a balancer restarted within the servers' TIME_WAIT does not hand
 * out the ports of its previous life again from the same end (a SYN that meets the old connection's
 * TIME_WAIT is answered with an ACK, and the client's connection waits for a retransmission, a
 * second); Linux's NAT draws its ports at random for the same reason. A fixed seed keeps them
 * reproducible from the range's start.
 *
 * <p>The previous allocator walked a cursor over the port range for a free or expired owner: 64,512
 * ports examined per new flow once an address was full (467 µs per SYN). Linux's NAT
 * ({@code nf_nat_l4proto_unique_tuple}) bounds its port search to 128 random attempts for the same
 * reason. Measured by {@code SnatPortBenchmark} in lb-benchmarks.
 *
 * <p>One thread (the translator's, the flow table's writer); allocates only at construction (an int
 * per port and address); never blocks.
 */
final class SnatPorts {

  /** Ports of the clock hand examined per allocation when no port is free. */
  static final int RECLAIM_PROBES = 8;

  private final FlowTable table;
  private final boolean[] ipv6;
  private final long[] high;
  private final long[] low;
  private final int portLow;
  private final int range;
  /** Per address: the slot + 1 of the flow holding each port, 0 when free. */
  private final int[][] owner;
  /** Per address: the free ports, a ring of {@code range} entries. */
  private final int[][] ring;
  private final int[] head;
  private final int[] free;
  private final int[] hand;

  SnatPorts(List<InetAddress> pool, int portLow, int portHigh, FlowTable table) {
    this(pool, portLow, portHigh, table, 0);
  }

  /**
   * A pool whose free ports are handed out from {@code origin} on.
   *
   * @param origin how many ports past {@code portLow + 1} the first one is (taken modulo the range)
   */
  SnatPorts(List<InetAddress> pool, int portLow, int portHigh, FlowTable table, int origin) {
    this.table = table;
    int m = pool.size();
    this.portLow = portLow;
    this.range = portHigh - portLow + 1;
    ipv6 = new boolean[m];
    high = new long[m];
    low = new long[m];
    owner = new int[m][];
    ring = new int[m][];
    head = new int[m];
    free = new int[m];
    hand = new int[m];
    for (int a = 0; a < m; a++) {
      ipv6[a] = !IpAddresses.isV4(pool.get(a));
      high[a] = IpAddresses.high(pool.get(a));
      low[a] = IpAddresses.low(pool.get(a));
      owner[a] = new int[65_536];
      int[] r = new int[range];
      // from the origin on, low + 1 first and low last at origin 0: the order the cursor allocator
      // handed ports out in
      int start = Math.floorMod(origin, range);
      for (int i = 0; i < range; i++) {
        r[i] = portLow + (int) ((start + i + 1L) % range);
      }
      ring[a] = r;
      free[a] = range;
    }
  }

  /** The number of pool addresses. */
  int size() {
    return low.length;
  }

  long high(int address) {
    return high[address];
  }

  long low(int address) {
    return low[address];
  }

  /** The pool index of an address, or -1 when it is not in the pool. */
  int indexOf(boolean six, long hi, long lo) {
    for (int a = 0; a < low.length; a++) {
      if (low[a] == lo && high[a] == hi && ipv6[a] == six) {
        return a;
      }
    }
    return -1;
  }

  /**
   * Gives a flow an address of its family and a port.
   *
   * @param slot the flow
   * @param six its family
   * @return its translation word ({@link Translation#snat}), or 0 when every address is exhausted
   */
  int allocate(int slot, boolean six) {
    for (int a = 0; a < low.length; a++) {
      if (ipv6[a] != six) {
        continue;
      }
      if (free[a] == 0) {
        reclaimExpired(a);
      }
      if (free[a] > 0) {
        int port = ring[a][head[a]];
        head[a] = head[a] + 1 == range ? 0 : head[a] + 1;
        free[a]--;
        owner[a][port] = slot + 1;
        return Translation.snat(a, port);
      }
    }
    return 0;
  }

  /** Frees the flows of up to {@link #RECLAIM_PROBES} ports whose flow expired; {@link #freed} queues their ports. */
  private void reclaimExpired(int a) {
    int[] owners = owner[a];
    int h = hand[a];
    for (int n = 0; n < RECLAIM_PROBES; n++) {
      h = h + 1 == range ? 0 : h + 1;
      int slot = owners[portLow + h] - 1;
      if (slot >= 0 && table.isExpired(slot)) {
        table.close(slot);
      }
    }
    hand[a] = h;
  }

  /** The flow table freed a flow: its port, if it held one, goes back to the tail of the ring. */
  void freed(int slot, int translation) {
    if (!Translation.isSnat(translation)) {
      return;
    }
    int a = Translation.poolIndex(translation);
    int port = Translation.port(translation);
    if (a < low.length && owner[a][port] == slot + 1) {
      owner[a][port] = 0;
      int tail = head[a] + free[a];
      ring[a][tail >= range ? tail - range : tail] = port;
      free[a]++;
    }
  }

  /** The flow table moved a flow to its other bucket. */
  void moved(int from, int to, int translation) {
    if (Translation.isSnat(translation)) {
      int a = Translation.poolIndex(translation);
      int port = Translation.port(translation);
      if (a < low.length && owner[a][port] == from + 1) {
        owner[a][port] = to + 1;
      }
    }
  }

  /**
   * The live flow holding a pool address's port for a protocol, or {@link FlowTable#MISSING}.
   *
   * @param a the pool index
   * @param port the port
   * @param proto the protocol of the packet looking for it
   */
  int owner(int a, int port, int proto) {
    int slot = owner[a][port] - 1;
    if (slot >= 0 && table.state(slot) != FlowState.FREE && table.protocol(slot) == proto
        && (table.translation(slot) & ~Translation.STATUS) == Translation.snat(a, port) && !table.isExpired(slot)) {
      return slot;
    }
    return FlowTable.MISSING;
  }

  /** Free ports of pool address {@code a} (tests, benchmarks). */
  int freePorts(int a) {
    return free[a];
  }
}
