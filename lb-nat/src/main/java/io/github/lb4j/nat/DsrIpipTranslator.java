package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.Frame;
import io.github.lb4j.nat.header.Encapsulation;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * L3 direct server return by IP-in-IP, seed S5.3b, as IPVS's tunnel method and Katran: an outer
 * IPv4 (RFC 2003) or IPv6 (RFC 2473) header from the balancer to the real server goes into the
 * headroom; the inner packet is untouched, so the server decapsulates, holds the VIP on loopback
 * (rp_filter=0) and answers the client directly. When the encapsulated packet would exceed the
 * servers' port's MTU, the client gets ICMP "fragmentation needed" (RFC 1191) or "packet too big"
 * (RFC 8201) with the MTU less the outer header, so its path MTU discovery shrinks the flow's
 * segments. The outer IPv6 flow label is a hash of the inner flow so that ECMP spreads tunnels
 * (RFC 6438). One thread; never allocates; never blocks.
 */
final class DsrIpipTranslator extends BaseTranslator {

  private final boolean hasOwnV4;
  private final int ownV4;
  private final boolean hasOwnV6;
  private final long ownV6High;
  private final long ownV6Low;
  private int identification;

  DsrIpipTranslator(NatConfig config) {
    super(config);
    InetAddress v4 = config.balancerIpv4();
    InetAddress v6 = config.balancerIpv6();
    this.hasOwnV4 = v4 != null;
    this.ownV4 = v4 != null ? IpAddresses.v4(v4) : 0;
    this.hasOwnV6 = v6 != null;
    this.ownV6High = v6 != null ? IpAddresses.high(v6) : 0;
    this.ownV6Low = v6 != null ? IpAddresses.low(v6) : 0;
  }

  @Override
  int rewriteRequest(Frame frame, int slot, int handle, int vip) {
    ByteBuffer b = frame.buffer();
    int off = frame.offset();
    int l3 = parsed.l3Offset();
    int inner = parsed.l3End() - l3;
    int eth = l3 - off;
    boolean outer6 = backends.ipv6(handle);
    int outer = outer6 ? Encapsulation.IPV6_OUTER_LENGTH : Encapsulation.IPV4_OUTER_LENGTH;
    int mtu = link.servers().mtu();
    if (inner + outer > mtu) {
      return icmp.tooBig(frame, mtu - outer);
    }
    if (off < outer) {
      return drop(DropReason.NO_HEADROOM);
    }
    int start;
    if (outer6) {
      if (!hasOwnV6) {
        return drop(DropReason.UNSUPPORTED);
      }
      int label = (int) FlowHash.fiveTuple(parsed, 0) & 0xFFFFF;
      start = Encapsulation.pushIpv6(b, off, eth, inner, parsed.isIpv6(), ownV6High, ownV6Low, backends.high(handle),
          backends.low(handle), 64, trafficClass(b, l3), label);
    } else {
      if (!hasOwnV4) {
        return drop(DropReason.UNSUPPORTED);
      }
      start = Encapsulation.pushIpv4(b, off, eth, inner, parsed.isIpv6(), ownV4, (int) backends.low(handle), 64,
          trafficClass(b, l3), identification++);
    }
    frame.region(start, eth + outer + inner);
    return link.toBackend(b, start, backends, handle);
  }

  private int trafficClass(ByteBuffer b, int l3) {
    return parsed.isIpv6() ? (b.getInt(l3) >>> 20) & 0xFF : b.get(l3 + 1) & 0xFF;
  }
}
