package io.github.lb4j.nat;

/**
 * Address classes a router must not forward from or to (RFC 1812 §5.3.7 and §4.2.2.11 for IPv4;
 * RFC 4291 §2.5.2, §2.5.3 and §2.7 for IPv6), in the translators' form (IPv4 addresses IPv4-mapped,
 * as {@code FlowKey} gives them).
 *
 * <p>Static; any thread; never allocates.
 */
final class Addresses {

  private Addresses() {}

  /**
   * Whether a source address names one host: not unspecified, loopback, multicast, IPv4 limited
   * broadcast or class E. Packets from other sources are not forwarded and get no ICMP error.
   */
  static boolean singleHost(boolean six, long high, long low) {
    if (six) {
      boolean unspecified = high == 0 && low == 0;
      boolean loopback = high == 0 && low == 1;
      boolean multicast = (high >>> 56) == 0xFF;
      return !unspecified && !loopback && !multicast;
    }
    int a = (int) low;
    int first = a >>> 24;
    return first != 0 && first != 127 && first < 224;
  }

  /**
   * Whether a destination names a group rather than one host: multicast (IPv4 224.0.0.0/4, IPv6
   * ff00::/8) or the IPv4 limited broadcast. No flow's client is one.
   */
  static boolean group(boolean six, long high, long low) {
    if (six) {
      return (high >>> 56) == 0xFF;
    }
    int a = (int) low;
    return (a >>> 28) == 0xE || a == 0xFFFF_FFFF;
  }

  /**
   * Whether a destination may be forwarded to: not unspecified, loopback or (IPv4) class E; for
   * IPv6 not unspecified or loopback. Multicast and broadcast destinations are not balanced either
   * (no VIP is one), but a translator only forwards to VIPs, backends and tracked clients.
   */
  static boolean forwardableDestination(boolean six, long high, long low) {
    if (six) {
      return !(high == 0 && (low == 0 || low == 1));
    }
    int first = (int) low >>> 24;
    return first != 0 && first != 127 && first < 240;
  }
}
