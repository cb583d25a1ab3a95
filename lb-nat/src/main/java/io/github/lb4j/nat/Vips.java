package io.github.lb4j.nat;

import java.util.List;

/**
 * Which VIP a packet belongs to. A VIP serves a protocol and a port (0 for any), but its address is
 * the balancer's whatever the port: echo requests and neighbour questions are answered for the
 * address, ICMP errors belong to the VIP whose service the quoted packet came from, and later IP
 * fragments (which carry no ports) to the VIP of their address and protocol, their first fragment
 * having been checked against the port.
 *
 * <p>One thread (the translator's); never allocates; never blocks.
 */
final class Vips {

  private final boolean[] ipv6;
  private final long[] high;
  private final long[] low;
  private final int[] protocol;
  private final int[] port;
  private final int[] dscp;

  Vips(List<NatConfig.Vip> vips) {
    int n = vips.size();
    ipv6 = new boolean[n];
    high = new long[n];
    low = new long[n];
    protocol = new int[n];
    port = new int[n];
    dscp = new int[n];
    for (int i = 0; i < n; i++) {
      NatConfig.Vip v = vips.get(i);
      ipv6[i] = !IpAddresses.isV4(v.address());
      high[i] = IpAddresses.high(v.address());
      low[i] = IpAddresses.low(v.address());
      protocol[i] = v.protocol();
      port[i] = v.port();
      dscp[i] = v.dscp();
    }
  }

  /** The VIP serving this address, protocol and port, or -1. */
  int service(boolean six, long hi, long lo, int proto, int servicePort) {
    for (int i = 0; i < low.length; i++) {
      if (low[i] == lo && high[i] == hi && ipv6[i] == six && (protocol[i] == 0 || protocol[i] == proto)
          && (port[i] == 0 || port[i] == servicePort)) {
        return i;
      }
    }
    return -1;
  }

  /** A VIP serving this address and protocol on any port (a later fragment carries none), or -1. */
  int serviceAnyPort(boolean six, long hi, long lo, int proto) {
    for (int i = 0; i < low.length; i++) {
      if (low[i] == lo && high[i] == hi && ipv6[i] == six && (protocol[i] == 0 || protocol[i] == proto)) {
        return i;
      }
    }
    return -1;
  }

  /** A VIP with this address, whatever it serves, or -1. */
  int address(boolean six, long hi, long lo) {
    for (int i = 0; i < low.length; i++) {
      if (low[i] == lo && high[i] == hi && ipv6[i] == six) {
        return i;
      }
    }
    return -1;
  }

  /** The DSCP that names VIP {@code vip} to the servers (dsr-dscp), or -1. */
  int dscp(int vip) {
    return dscp[vip];
  }
}
