package io.github.lb4j.gateway.datapath;

import io.github.lb4j.api.MacAddress;
import io.github.lb4j.linux.PacketSocket;
import io.github.lb4j.nat.header.ArpFlyweight;
import io.github.lb4j.nat.header.EthernetFlyweight;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The next hops whose MAC addresses the datapath needs (the gateway towards the clients and every
 * real server) and what ARP said about them (RFC 826): requests are sent for unresolved targets
 * each second and for every target each {@link #REFRESH_NANOS}, so a server that comes back with a
 * new MAC is re-learned; any ARP frame whose sender is a target updates its entry.
 *
 * <p>Threads: {@link #sendDue} and {@link #onArp} run on the datapath worker (or on the starting
 * thread before the worker exists); {@link #mac} and {@link #version} may be read from any thread.
 * Sending reuses one buffer; learning a new or changed MAC is the only allocation-free-violating
 * event and happens rarely (one {@code MacAddress} per change is created by readers). Never blocks.
 */
final class Neighbors {

  /** Known entries are asked again this often, to follow a MAC change. */
  static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(15);
  private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private final InetAddress[] targets;
  private final int[] targetV4;
  private final int[] port;
  private final long[] macs;
  private final long[] lastAsked;
  private final PacketSocket[] sockets;
  private final long[] portMac;
  private final int[] portV4;
  private final ByteBuffer out = ByteBuffer.allocateDirect(64);
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
   */
  Neighbors(InetAddress[] targets, int[] port, PacketSocket[] sockets, long[] portMac, int[] portV4) {
    this.targets = targets.clone();
    this.port = port.clone();
    this.sockets = sockets;
    this.portMac = portMac;
    this.portV4 = portV4;
    this.targetV4 = new int[targets.length];
    for (int i = 0; i < targets.length; i++) {
      targetV4[i] = targets[i] instanceof Inet4Address a ? ByteBuffer.wrap(a.getAddress()).getInt() : 0;
    }
    this.macs = new long[targets.length];
    this.lastAsked = new long[targets.length];
  }

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
    for (int i = 0; i < targetV4.length; i++) {
      if (targetV4[i] == address && address != 0) {
        return macs[i];
      }
    }
    return 0;
  }

  /** @return a number that changes whenever an entry changes */
  long version() {
    return version;
  }

  /** @return whether every target is resolved */
  boolean allResolved() {
    for (int i = 0; i < targets.length; i++) {
      if (targetV4[i] != 0 && macAt(i) == 0) {
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
    for (int i = 0; i < targets.length; i++) {
      if (targetV4[i] == 0) {
        continue;
      }
      long wait = macs[i] == 0 ? RETRY_NANOS : REFRESH_NANOS;
      if (lastAsked[i] == 0 || now - lastAsked[i] >= wait) {
        lastAsked[i] = now;
        request(i);
      }
    }
  }

  private void request(int i) {
    int p = port[i];
    ByteBuffer b = out;
    b.clear();
    EthernetFlyweight.destination(b, 0, MacAddress.BROADCAST.toLong());
    EthernetFlyweight.source(b, 0, portMac[p]);
    b.putShort(12, (short) EthernetFlyweight.ETHER_TYPE_ARP);
    int a = EthernetFlyweight.HEADER_LENGTH;
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
    for (int k = a + ArpFlyweight.LENGTH; k < 60; k++) {
      b.put(k, (byte) 0);
    }
    try {
      sockets[p].send(outSegment, 0, 60);
      sockets[p].flush();
    } catch (RuntimeException e) {
      // A full or failing queue loses one request; the next is due soon.
    }
  }

  /**
   * Learns from an ARP frame (request or reply) whose sender is a target.
   *
   * @param b the buffer
   * @param frame the frame's offset
   * @param length the frame's length
   */
  void onArp(ByteBuffer b, int frame, int length) {
    int a = frame + EthernetFlyweight.HEADER_LENGTH;
    if (length < EthernetFlyweight.HEADER_LENGTH + ArpFlyweight.LENGTH
        || (b.getShort(a + ArpFlyweight.PROTOCOL_TYPE_OFFSET) & 0xFFFF) != EthernetFlyweight.ETHER_TYPE_IPV4) {
      return;
    }
    int sender = b.getInt(a + ArpFlyweight.SENDER_PROTOCOL_ADDRESS_OFFSET);
    for (int i = 0; i < targets.length; i++) {
      if (targetV4[i] == sender && sender != 0) {
        long mac = ((b.getShort(a + ArpFlyweight.SENDER_HARDWARE_ADDRESS_OFFSET) & 0xFFFFL) << 32)
            | (b.getInt(a + ArpFlyweight.SENDER_HARDWARE_ADDRESS_OFFSET + 2) & 0xFFFF_FFFFL);
        if (mac != 0 && (mac & 0x0100_0000_0000L) == 0) {
          synchronized (macs) {
            if (macs[i] != mac) {
              macs[i] = mac;
              version++;
            }
          }
        }
      }
    }
  }

  private static void putMac(ByteBuffer b, int at, long mac) {
    b.putShort(at, (short) (mac >>> 32));
    b.putInt(at + 2, (int) mac);
  }
}
