package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Frame;
import io.github.lb4j.nat.header.ArpFlyweight;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.EthernetFlyweight;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.Icmpv6Flyweight;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * Answers ARP requests (RFC 826) and IPv6 neighbor solicitations (RFC 4861 §7.2.4) for the addresses
 * the balancer owns at the link layer: its VIPs (whatever port they serve), its source-NAT addresses
 * and its own addresses. The answer names the MAC of the port the question came in on, so a
 * question on the servers' side of an inline balancer learns that side's MAC. Others are dropped
 * as {@code POLICY}.
 *
 * <p>One thread (the translator's); never allocates; never blocks.
 */
final class NeighborAnswers {

  private final FrameParser parsed;
  private final Counters counters;
  private final LinkLayer link;
  private final Vips vips;
  private final SnatPorts pool;
  private final boolean hasOwnV4;
  private final int ownV4;
  private final boolean hasOwnV6;
  private final long ownV6High;
  private final long ownV6Low;
  private final ArpFlyweight arp = new ArpFlyweight();
  private final Icmpv6Flyweight icmpv6 = new Icmpv6Flyweight();

  NeighborAnswers(NatConfig config, FrameParser parsed, Counters counters, LinkLayer link, Vips vips, SnatPorts pool) {
    this.parsed = parsed;
    this.counters = counters;
    this.link = link;
    this.vips = vips;
    this.pool = pool;
    InetAddress v4 = config.balancerIpv4();
    InetAddress v6 = config.balancerIpv6();
    this.hasOwnV4 = v4 != null;
    this.ownV4 = v4 != null ? IpAddresses.v4(v4) : 0;
    this.hasOwnV6 = v6 != null;
    this.ownV6High = v6 != null ? IpAddresses.high(v6) : 0;
    this.ownV6Low = v6 != null ? IpAddresses.low(v6) : 0;
  }

  private boolean owns(boolean six, long hi, long lo) {
    if (six ? hasOwnV6 && hi == ownV6High && lo == ownV6Low : hasOwnV4 && lo == (IpAddresses.V4_MAPPED | (ownV4 & 0xFFFF_FFFFL))) {
      return true;
    }
    return vips.address(six, hi, lo) >= 0 || pool.indexOf(six, hi, lo) >= 0;
  }

  /** Answers an ARP request (the frame is parsed as ARP). */
  int arp(Frame frame) {
    ByteBuffer b = frame.buffer();
    int l3 = parsed.l3Offset();
    if ((b.getShort(l3 + ArpFlyweight.OPERATION_OFFSET) & 0xFFFF) != ArpFlyweight.OPERATION_REQUEST) {
      return counters.drop(DropReason.POLICY);
    }
    int target = b.getInt(l3 + ArpFlyweight.TARGET_PROTOCOL_ADDRESS_OFFSET);
    if (!owns(false, 0, IpAddresses.V4_MAPPED | (target & 0xFFFF_FFFFL))) {
      return counters.drop(DropReason.POLICY);
    }
    arp.wrap(b, l3);
    int requesterAddress = arp.senderProtocolAddress();
    long requesterMac = arp.senderHardwareAddress();
    arp.operation(ArpFlyweight.OPERATION_REPLY).targetHardwareAddress(requesterMac)
        .targetProtocolAddress(requesterAddress).senderHardwareAddress(link.ingressMac(frame))
        .senderProtocolAddress(target);
    counters.bump(NatCounter.ARP_REPLIES);
    return link.answer(frame);
  }

  /** Answers a neighbor solicitation (the frame is parsed as ICMPv6 type 135) with an advertisement. */
  int neighborSolicitation(Frame frame) {
    ByteBuffer b = frame.buffer();
    int l3 = parsed.l3Offset();
    int l4 = parsed.l4Offset();
    if (parsed.l3End() - l4 < 24) {
      return counters.drop(DropReason.TRUNCATED);
    }
    long targetHigh = b.getLong(l4 + Icmpv6Flyweight.TARGET_ADDRESS_OFFSET);
    long targetLow = b.getLong(l4 + Icmpv6Flyweight.TARGET_ADDRESS_OFFSET + 8);
    if (!owns(true, targetHigh, targetLow)) {
      return counters.drop(DropReason.POLICY);
    }
    if (l4 + 32 > b.capacity()) {
      return counters.drop(DropReason.TRUNCATED);
    }
    int off = frame.offset();
    long srcHigh = parsed.sourceAddressHigh();
    long srcLow = parsed.sourceAddressLow();
    // RFC 4861 §7.2.4: a solicitation from the unspecified address (duplicate address detection)
    // is answered to all-nodes, unsolicited
    boolean unspecified = srcHigh == 0 && srcLow == 0;
    long mac = link.ingressMac(frame);
    b.putShort(l3 + 4, (short) 32);
    b.put(l3 + 6, (byte) 58);
    b.put(l3 + 7, (byte) 255);
    b.putLong(l3 + 8, targetHigh);
    b.putLong(l3 + 16, targetLow);
    b.putLong(l3 + 24, unspecified ? 0xFF02_0000_0000_0000L : srcHigh);
    b.putLong(l3 + 32, unspecified ? 1L : srcLow);
    icmpv6.wrap(b, l4);
    icmpv6.type(Icmpv6Flyweight.TYPE_NEIGHBOR_ADVERTISEMENT).code(0).checksum(0)
        .advertisementFlags((unspecified ? 0 : Icmpv6Flyweight.FLAG_SOLICITED) | Icmpv6Flyweight.FLAG_OVERRIDE)
        .targetAddress(targetHigh, targetLow)
        .linkLayerAddressOption(Icmpv6Flyweight.OPTION_TARGET_LINK_LAYER_ADDRESS, mac);
    icmpv6.checksum(Checksums.transportChecksumV6(b, l3, l4, 32, 58));
    frame.region(off, l4 + 32 - off);
    counters.bump(NatCounter.NEIGHBOR_ADVERTISEMENTS);
    int v = link.answer(frame);
    if (unspecified) {
      EthernetFlyweight.destination(b, off, 0x3333_0000_0001L);
    }
    return v;
  }
}
