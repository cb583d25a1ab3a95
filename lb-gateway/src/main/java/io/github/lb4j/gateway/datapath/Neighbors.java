package io.github.lb4j.gateway.datapath;

import io.github.lb4j.api.MacAddress;
import io.github.lb4j.linux.PacketSocket;
import io.github.lb4j.nat.NeighborTable;
import io.github.lb4j.nat.header.ArpFlyweight;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.EthernetFlyweight;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The next hops whose MAC addresses the datapath needs (the gateway towards the clients and every
 * real server) and what ARP (RFC 826) and IPv6 neighbor discovery (RFC 4861) said about them:
 * requests or solicitations are sent for unresolved targets every 500 ms and for every target each
 * {@link #REFRESH_NANOS}, so a server that comes back with a new MAC is re-learned; any ARP frame
 * whose sender is a target, and any advertisement for a target, updates its entry.
 *
 * <p>It is the translator's {@link NeighborTable}: the translator looks next hops up here and,
 * for an on-link neighbour it does not find (a client of router mode on the clients' network, a
 * server calling the VIP), asks for it; such a neighbour becomes one of up to {@link #DYNAMIC}
 * further targets (the oldest replaced when all are taken), resolved and refreshed like the others.
 *
 * <p>Threads: {@link #sendDue} and {@link #onArp} run on the datapath worker (or on the starting
 * thread before the worker exists); {@link #mac} and {@link #version} may be read from any thread.
 * Sending reuses one buffer; learning a new or changed MAC is the only allocation-free-violating
 * event and happens rarely (one {@code MacAddress} per change is created by readers). Never blocks.
 */
final class Neighbors implements NeighborTable {

  /** Known entries are asked again this often, to follow a MAC change. */
  static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(15);
  private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  /** Requests are built this far into the buffer, so that a VLAN tag can be put in front of them. */
  private static final int TAG_ROOM = 4;
  /** Neighbours the translator asked for, besides the configured next hops. */
  static final int DYNAMIC = 256;

  private final InetAddress[] targets;
  private final int fixed;
  private int dynamicNext;
  /** Entries in use: the fixed targets and the dynamic ones added so far (lookups scan no further). */
  private int used;
  private final int[] targetV4;
  private final long[] targetHi;
  private final long[] targetLo;
  private final long[] portV6Hi;
  private final long[] portV6Lo;
  private final int[] port;
  private final long[] macs;
  private final long[] lastAsked;
  private final PacketSocket[] sockets;
  private final long[] portMac;
  private final int[] portV4;
  private final int[] portVlan;
  private final ByteBuffer out = ByteBuffer.allocateDirect(128);
  private final MemorySegment outSegment = MemorySegment.ofBuffer(out);
  private volatile long version;

  /**
   * Creates the table.
   *
   * @param targets the next hops (IPv4; others are never resolved)
   * @param port the datapath port each target is reached on
   * @param sockets the sockets by port
   * @param portMac the MAC of each port
   * @param portV4 the IPv4 address of each port's interface (the ARP sender address), 0 when none
   * @param portV6 the IPv6 address of each port's interface (the solicitation's source), null when none
   * @param portVlan the 802.1Q VLAN of each port, -1 for untagged: requests leave tagged with it
   */
  Neighbors(InetAddress[] targets, int[] port, PacketSocket[] sockets, long[] portMac, int[] portV4,
      @Nullable InetAddress[] portV6, int[] portVlan) {
    this.targets = targets.clone();
    this.fixed = targets.length;
    this.used = fixed;
    int capacity = fixed + DYNAMIC;
    this.port = java.util.Arrays.copyOf(port, capacity);
    this.sockets = sockets;
    this.portMac = portMac;
    this.portV4 = portV4;
    this.portVlan = portVlan;
    this.targetV4 = new int[capacity];
    this.targetHi = new long[capacity];
    this.targetLo = new long[capacity];
    this.dynamic = new boolean[capacity];
    for (int i = 0; i < targets.length; i++) {
      ByteBuffer raw = ByteBuffer.wrap(targets[i].getAddress());
      if (targets[i] instanceof Inet4Address) {
        targetV4[i] = raw.getInt();
      } else {
        targetHi[i] = raw.getLong(0);
        targetLo[i] = raw.getLong(8);
      }
    }
    this.portV6Hi = new long[portV6.length];
    this.portV6Lo = new long[portV6.length];
    for (int p = 0; p < portV6.length; p++) {
      InetAddress a = portV6[p];
      if (a != null) {
        portV6Hi[p] = ByteBuffer.wrap(a.getAddress()).getLong(0);
        portV6Lo[p] = ByteBuffer.wrap(a.getAddress()).getLong(8);
      }
    }
    this.macs = new long[capacity];
    this.lastAsked = new long[capacity];
  }

  private final boolean[] dynamic;

  /**
   * Returns a target's MAC.
   *
   * @param target an address given at construction
   * @return its MAC, or {@code null} when not resolved
   */
  @Nullable MacAddress mac(InetAddress target) {
    for (int i = 0; i < targets.length; i++) {
      if (targets[i].equals(target)) {
        long m = macAt(i);
        return m == 0 ? null : MacAddress.ofLong(m);
      }
    }
    return null;
  }

  long macAt(int index) {
    synchronized (macs) {
      return macs[index];
    }
  }

  /** Reads an entry on the worker, the only writer: no lock. */
  long macOnWorker(int index) {
    return macs[index];
  }

  /**
   * Finds the MAC of a target by its IPv4 address, on the worker.
   *
   * @param address the IPv4 address as an int
   * @return its MAC, 0 when it is no target or not resolved
   */
  long macOfV4OnWorker(int address) {
    for (int i = 0; i < used; i++) {
      if (targetV4[i] == address && address != 0) {
        return macs[i];
      }
    }
    return 0;
  }

  /**
   * Finds the MAC of a target by its IPv6 address, on the worker.
   *
   * @param hi the address's high 64 bits
   * @param lo its low 64 bits
   * @return its MAC, 0 when it is no target or not resolved
   */
  long macOfV6OnWorker(long hi, long lo) {
    for (int i = 0; i < used; i++) {
      if (targetV4[i] == 0 && targetHi[i] == hi && targetLo[i] == lo && (hi | lo) != 0) {
        return macs[i];
      }
    }
    return 0;
  }

  @Override
  public long ipv4(int address) {
    return macOfV4OnWorker(address);
  }

  @Override
  public long ipv6(long high, long low) {
    return macOfV6OnWorker(high, low);
  }

  /** The translator needs an unknown IPv4 neighbour: it becomes a target, asked at the next {@link #sendDue}. */
  @Override
  public void resolveIpv4(int on, int address) {
    if (address != 0 && indexOfV4(address) < 0 && on < sockets.length) {
      int i = nextDynamic();
      targetV4[i] = address;
      targetHi[i] = 0;
      targetLo[i] = 0;
      addDynamic(i, on);
    }
  }

  /** The translator needs an unknown IPv6 neighbour: it becomes a target, solicited at the next {@link #sendDue}. */
  @Override
  public void resolveIpv6(int on, long high, long low) {
    if ((high | low) != 0 && macOfV6OnWorker(high, low) == 0 && indexOfV6(high, low) < 0 && on < sockets.length) {
      int i = nextDynamic();
      targetV4[i] = 0;
      targetHi[i] = high;
      targetLo[i] = low;
      addDynamic(i, on);
    }
  }

  private int indexOfV4(int address) {
    for (int i = 0; i < used; i++) {
      if (targetV4[i] == address) {
        return i;
      }
    }
    return -1;
  }

  private int indexOfV6(long hi, long lo) {
    for (int i = 0; i < used; i++) {
      if (targetV4[i] == 0 && targetHi[i] == hi && targetLo[i] == lo && (dynamic[i] || i < fixed)) {
        return i;
      }
    }
    return -1;
  }

  private int nextDynamic() {
    int i = fixed + dynamicNext;
    dynamicNext = (dynamicNext + 1) % DYNAMIC;
    used = Math.max(used, i + 1);
    return i;
  }

  private void addDynamic(int i, int on) {
    port[i] = on;
    lastAsked[i] = 0;
    dynamic[i] = true;
    synchronized (macs) {
      macs[i] = 0;
    }
  }

  /** @return a number that changes whenever an entry changes */
  long version() {
    return version;
  }

  /** @return whether every target is resolved */
  boolean allResolved() {
    for (int i = 0; i < fixed; i++) {
      if (resolvable(i) && macAt(i) == 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Sends the ARP requests that are due.
   *
   * @param now {@link System#nanoTime()}
   */
  void sendDue(long now) {
    for (int i = 0; i < used; i++) {
      if ((i >= fixed && !dynamic[i]) || !resolvable(i)) {
        continue;
      }
      long wait = macs[i] == 0 ? RETRY_NANOS : REFRESH_NANOS;
      if (lastAsked[i] == 0 || now - lastAsked[i] >= wait) {
        lastAsked[i] = now;
        if (targetV4[i] != 0) {
          request(i);
        } else {
          solicit(i);
        }
      }
    }
  }

  /** IPv4 targets are asked by ARP; IPv6 targets only when their port has an IPv6 address to ask from. */
  private boolean resolvable(int i) {
    return targetV4[i] != 0 || portV6Hi[port[i]] != 0 || portV6Lo[port[i]] != 0;
  }

  /** A neighbor solicitation (RFC 4861 section 4.3) to the target's solicited-node multicast group. */
  private void solicit(int i) {
    int p = port[i];
    ByteBuffer b = out;
    b.clear();
    long group = 0x3333_FF00_0000L | (targetLo[i] & 0xFF_FFFFL);
    EthernetFlyweight.destination(b, TAG_ROOM, group);
    EthernetFlyweight.source(b, TAG_ROOM, portMac[p]);
    b.putShort(TAG_ROOM + 12, (short) EthernetFlyweight.ETHER_TYPE_IPV6);
    int ip = TAG_ROOM + EthernetFlyweight.HEADER_LENGTH;
    b.putInt(ip, 0x6000_0000);
    b.putShort(ip + 4, (short) 32);
    b.put(ip + 6, (byte) 58);
    b.put(ip + 7, (byte) 255);
    b.putLong(ip + 8, portV6Hi[p]);
    b.putLong(ip + 16, portV6Lo[p]);
    b.putLong(ip + 24, 0xFF02_0000_0000_0000L);
    b.putLong(ip + 32, 0x0000_0001_FF00_0000L | (targetLo[i] & 0xFF_FFFFL));
    int icmp = ip + 40;
    b.putInt(icmp, 135 << 24);
    b.putInt(icmp + 4, 0);
    b.putLong(icmp + 8, targetHi[i]);
    b.putLong(icmp + 16, targetLo[i]);
    b.put(icmp + 24, (byte) 1);
    b.put(icmp + 25, (byte) 1);
    putMac(b, icmp + 26, portMac[p]);
    b.putShort(icmp + 2, (short) Checksums.transportChecksumV6(b, ip, icmp, 32, 58));
    transmit(p, icmp + 32 - TAG_ROOM);
  }

  /**
   * Sends the frame built at {@link #TAG_ROOM} of the buffer out of a port, with the port's 802.1Q
   * tag inserted after the source MAC when it has a VLAN.
   */
  private void transmit(int p, int length) {
    int at = TAG_ROOM;
    if (portVlan[p] >= 0) {
      MemorySegment.copy(outSegment, TAG_ROOM, outSegment, 0, 12);
      out.putShort(12, (short) EthernetFlyweight.TPID_8021Q);
      out.putShort(14, (short) portVlan[p]);
      at = 0;
      length += 4;
    }
    try {
      sockets[p].send(outSegment, at, length);
      sockets[p].flush();
    } catch (RuntimeException e) {
      // A full or failing queue loses one request; the next is due soon.
    }
  }

  /**
   * Learns from a neighbor advertisement (its target link-layer option, else its Ethernet source)
   * whose target is a target; the caller checked it is IPv6 carrying ICMPv6 without extension headers.
   *
   * @param ingress the port the frame arrived on: only targets reached on it are learned
   * @param b the buffer
   * @param frame the frame's offset (untagged)
   * @param length the frame's length
   */
  void onIcmpv6(int ingress, ByteBuffer b, int frame, int length) {
    int icmp = frame + EthernetFlyweight.HEADER_LENGTH + 40;
    if (length < EthernetFlyweight.HEADER_LENGTH + 40 + 24 || (b.get(icmp) & 0xFF) != 136) {
      return;
    }
    long hi = b.getLong(icmp + 8);
    long lo = b.getLong(icmp + 16);
    long mac = EthernetFlyweight.source(b, frame);
    if (length >= EthernetFlyweight.HEADER_LENGTH + 40 + 32 && b.get(icmp + 24) == 2 && b.get(icmp + 25) == 1) {
      mac = ((b.getShort(icmp + 26) & 0xFFFFL) << 32) | (b.getInt(icmp + 28) & 0xFFFF_FFFFL);
    }
    for (int i = 0; i < used; i++) {
      if (targetV4[i] == 0 && targetHi[i] == hi && targetLo[i] == lo && (i < fixed || dynamic[i]) && port[i] == ingress) {
        learn(i, mac);
      }
    }
  }

  private void learn(int i, long mac) {
    if (mac != 0 && (mac & 0x0100_0000_0000L) == 0) {
      synchronized (macs) {
        if (macs[i] != mac) {
          macs[i] = mac;
          version++;
        }
      }
    }
  }

  private void request(int i) {
    int p = port[i];
    ByteBuffer b = out;
    b.clear();
    EthernetFlyweight.destination(b, TAG_ROOM, MacAddress.BROADCAST.toLong());
    EthernetFlyweight.source(b, TAG_ROOM, portMac[p]);
    b.putShort(TAG_ROOM + 12, (short) EthernetFlyweight.ETHER_TYPE_ARP);
    int a = TAG_ROOM + EthernetFlyweight.HEADER_LENGTH;
    b.putShort(a + ArpFlyweight.HARDWARE_TYPE_OFFSET, (short) ArpFlyweight.HARDWARE_TYPE_ETHERNET);
    b.putShort(a + ArpFlyweight.PROTOCOL_TYPE_OFFSET, (short) EthernetFlyweight.ETHER_TYPE_IPV4);
    b.put(a + ArpFlyweight.HARDWARE_LENGTH_OFFSET, (byte) 6);
    b.put(a + ArpFlyweight.PROTOCOL_LENGTH_OFFSET, (byte) 4);
    b.putShort(a + ArpFlyweight.OPERATION_OFFSET, (short) ArpFlyweight.OPERATION_REQUEST);
    putMac(b, a + ArpFlyweight.SENDER_HARDWARE_ADDRESS_OFFSET, portMac[p]);
    b.putInt(a + ArpFlyweight.SENDER_PROTOCOL_ADDRESS_OFFSET, portV4[p]);
    putMac(b, a + ArpFlyweight.TARGET_HARDWARE_ADDRESS_OFFSET, 0);
    b.putInt(a + ArpFlyweight.TARGET_PROTOCOL_ADDRESS_OFFSET, targetV4[i]);
    // Padding to the 60-byte Ethernet minimum.
    for (int k = a + ArpFlyweight.LENGTH; k < TAG_ROOM + 60; k++) {
      b.put(k, (byte) 0);
    }
    transmit(p, 60);
  }

  /**
   * Learns from an ARP frame (request or reply) whose sender is a target.
   *
   * @param ingress the port the frame arrived on: only targets reached on it are learned
   * @param b the buffer
   * @param frame the frame's offset (untagged)
   * @param length the frame's length
   */
  void onArp(int ingress, ByteBuffer b, int frame, int length) {
    int a = frame + EthernetFlyweight.HEADER_LENGTH;
    if (length < EthernetFlyweight.HEADER_LENGTH + ArpFlyweight.LENGTH
        || (b.getShort(a + ArpFlyweight.PROTOCOL_TYPE_OFFSET) & 0xFFFF) != EthernetFlyweight.ETHER_TYPE_IPV4) {
      return;
    }
    int sender = b.getInt(a + ArpFlyweight.SENDER_PROTOCOL_ADDRESS_OFFSET);
    for (int i = 0; i < used; i++) {
      if (targetV4[i] == sender && sender != 0 && port[i] == ingress) {
        learn(i, ((b.getShort(a + ArpFlyweight.SENDER_HARDWARE_ADDRESS_OFFSET) & 0xFFFFL) << 32)
            | (b.getInt(a + ArpFlyweight.SENDER_HARDWARE_ADDRESS_OFFSET + 2) & 0xFFFF_FFFFL));
      }
    }
  }

  private static void putMac(ByteBuffer b, int at, long mac) {
    b.putShort(at, (short) (mac >>> 32));
    b.putInt(at + 2, (int) mac);
  }
}
