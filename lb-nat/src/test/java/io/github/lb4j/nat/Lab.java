package io.github.lb4j.nat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.FrameParser;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;

/** The addresses of the translator tests (documentation ranges only) and their builders. */
final class Lab {

  static final InetAddress CLIENT4 = IpAddresses.parse("192.0.2.1");
  static final InetAddress VIP4 = IpAddresses.parse("203.0.113.10");
  static final InetAddress LB4 = IpAddresses.parse("198.51.100.1");
  static final InetAddress SNAT4 = IpAddresses.parse("198.51.100.2");
  static final InetAddress RIP4 = IpAddresses.parse("198.51.100.11");
  static final InetAddress RIP4B = IpAddresses.parse("198.51.100.12");
  static final InetAddress CLIENT6 = IpAddresses.parse("2001:db8:2::1");
  static final InetAddress VIP6 = IpAddresses.parse("2001:db8:1::10");
  static final InetAddress LB6 = IpAddresses.parse("2001:db8:3::1");
  static final InetAddress SNAT6 = IpAddresses.parse("2001:db8:3::2");
  static final InetAddress RIP6 = IpAddresses.parse("2001:db8:3::11");
  static final MacAddress LB_MAC = MacAddress.parse("02:00:00:00:00:fe");
  static final MacAddress GW_MAC = MacAddress.parse("02:00:00:00:00:01");
  static final MacAddress RIP_MAC = MacAddress.parse("02:00:00:00:01:11");
  static final MacAddress RIP_MAC_B = MacAddress.parse("02:00:00:00:01:12");
  static final int DSCP = 10;

  private Lab() {}

  static NatConfig.Builder config(ForwardingMode mode, boolean six, List<Backend> backends) {
    SessionCounters sessions = SessionCounters.create();
    HashScheduler scheduler = new HashScheduler(sessions, backends);
    return NatConfig.builder(mode, scheduler)
        .vip(new NatConfig.Vip(six ? VIP6 : VIP4, 0, 0, mode == ForwardingMode.DSR_DSCP ? DSCP : -1))
        .balancer(LB_MAC, LB4, LB6).clientGateway(GW_MAC).snatAddress(six ? SNAT6 : SNAT4).ports(0, 1)
        .flowTable(FlowTableConfig.builder(4096, sessions).clockSampleInterval(1).seed(1).build());
  }

  static List<Backend> oneBackend(boolean six) {
    return List.of(Backend.of("web-1", six ? RIP6 : RIP4, 8080).withMac(RIP_MAC));
  }

  static PacketTranslator translator(ForwardingMode mode, boolean six) {
    return NatTranslators.create(config(mode, six, oneBackend(six)).build());
  }

  static FrameBuilder builder(boolean six, InetAddress src, InetAddress dst) {
    FrameBuilder fb = new FrameBuilder();
    if (six) {
      fb.ipv6(IpAddresses.high(src), IpAddresses.low(src), IpAddresses.high(dst), IpAddresses.low(dst));
    } else {
      fb.ipv4(IpAddresses.v4(src), IpAddresses.v4(dst));
    }
    return fb;
  }

  static byte[] bytes(ByteBuffer b, int off, int n) {
    byte[] a = new byte[n];
    b.get(off, a);
    return a;
  }

  /** Whether every checksum of a frame verifies by full recomputation (IPIP: outer and inner). */
  static boolean checksumsValid(ByteBuffer b, int off, int len) {
    FrameParser p = new FrameParser();
    if (p.parse(b, off, len) != FrameParser.OK) {
      return false;
    }
    int l3 = p.l3Offset();
    if (p.etherType() == 0x0806) {
      return true;
    }
    if (!p.isIpv6() && Checksums.fold(Checksums.sum(b, l3, p.l4Offset() - l3, 0)) != 0xFFFF) {
      return false;
    }
    int proto = p.protocolNumber();
    if (proto == 4 || proto == 41) {
      ByteBuffer inner = ByteBuffer.allocate(p.l3End() - p.l4Offset() + 14);
      inner.putShort(12, (short) (proto == 4 ? 0x0800 : 0x86DD));
      for (int i = 14; i < inner.capacity(); i++) {
        inner.put(i, b.get(p.l4Offset() + i - 14));
      }
      return checksumsValid(inner, 0, inner.capacity());
    }
    if (p.fragment() || p.l4HeaderLength() == 0) {
      return true;
    }
    int l4 = p.l4Offset();
    int n = p.l3End() - l4;
    if (proto == 17 && !p.isIpv6() && b.getShort(l4 + 6) == 0) {
      return true;
    }
    if (proto == 1) {
      return Checksums.fold(Checksums.sum(b, l4, n, 0)) == 0xFFFF;
    }
    if (proto == 6 || proto == 17 || proto == 58) {
      int c = p.isIpv6() ? Checksums.transportChecksumV6(b, l3, l4, n, proto) : Checksums.transportChecksumV4(b, l3, l4, n, proto);
      return c == 0;
    }
    return true;
  }
}
