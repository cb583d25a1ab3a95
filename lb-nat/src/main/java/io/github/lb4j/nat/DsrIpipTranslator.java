package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.Encapsulation;
import io.github.lb4j.nat.header.Icmpv4Flyweight;
import io.github.lb4j.nat.header.Icmpv6Flyweight;
import java.nio.ByteBuffer;

/**
 * L3 direct server return by IP-in-IP, seed S5.3b, as IPVS's tunnel method and Katran: an outer
 * IPv4 (RFC 2003) or IPv6 (RFC 2473) header from the balancer to the real server goes into the
 * headroom; the inner packet is untouched, so the server decapsulates, holds the VIP on loopback
 * (rp_filter=0) and answers the client directly. When the encapsulated packet would exceed the MTU,
 * the client gets ICMP "fragmentation needed" (RFC 1191) or "packet too big" (RFC 8201) with the MTU
 * less the outer header, so its path MTU discovery shrinks the flow's segments. The outer IPv6 flow
 * label is a hash of the inner flow so that ECMP spreads tunnels (RFC 6438). One thread; never
 * allocates; never blocks.
 */
final class DsrIpipTranslator extends BaseTranslator {

  private int identification;

  DsrIpipTranslator(NatConfig config) {
    super(config);
  }

  @Override
  int rewriteRequest(Frame frame, int slot, int handle, int vip) {
    if (bMac[handle] == 0) {
      return drop(DropReason.NO_NEIGHBOR);
    }
    ByteBuffer b = frame.buffer();
    int off = frame.offset();
    int l3 = p.l3Offset();
    int inner = p.l3End() - l3;
    int eth = l3 - off;
    boolean outer6 = bV6[handle];
    int outer = outer6 ? Encapsulation.IPV6_OUTER_LENGTH : Encapsulation.IPV4_OUTER_LENGTH;
    if (inner + outer > config.mtu()) {
      int mtu = config.mtu() - outer;
      if (!p.isIpv6() && (b.getShort(l3 + 6) & 0x4000) == 0) {
        return drop(DropReason.MTU_EXCEEDED);
      }
      drop(DropReason.MTU_EXCEEDED);
      long fromHi = p.isIpv6() ? (hasLbV6 ? lbV6Hi : p.destinationAddressHigh()) : 0;
      long fromLo = p.isIpv6() ? (hasLbV6 ? lbV6Lo : p.destinationAddressLow())
          : (hasLbV4 ? IpAddresses.V4_MAPPED | (lbV4 & 0xFFFF_FFFFL) : p.destinationAddressLow());
      return icmpErrorReply(frame, Icmpv4Flyweight.TYPE_DESTINATION_UNREACHABLE,
          Icmpv4Flyweight.CODE_FRAGMENTATION_NEEDED, Icmpv6Flyweight.TYPE_PACKET_TOO_BIG, mtu, fromHi, fromLo);
    }
    if (off < outer) {
      return drop(DropReason.NO_HEADROOM);
    }
    int start;
    if (outer6) {
      if (!hasLbV6) {
        return drop(DropReason.UNSUPPORTED);
      }
      int label = (int) FlowHash.fiveTuple(p, 0) & 0xFFFFF;
      start = Encapsulation.pushIpv6(b, off, eth, inner, p.isIpv6(), lbV6Hi, lbV6Lo, bHi[handle], bLo[handle], 64,
          trafficClass(b, l3), label);
    } else {
      if (!hasLbV4) {
        return drop(DropReason.UNSUPPORTED);
      }
      start = Encapsulation.pushIpv4(b, off, eth, inner, p.isIpv6(), lbV4, (int) bLo[handle], 64,
          trafficClass(b, l3), identification++);
    }
    frame.region(start, eth + outer + inner);
    macs(b, start, bMac[handle], lbMac);
    return Verdict.forward(serverPort);
  }

  private int trafficClass(ByteBuffer b, int l3) {
    return p.isIpv6() ? (b.getInt(l3) >>> 20) & 0xFF : b.get(l3 + 1) & 0xFF;
  }
}
