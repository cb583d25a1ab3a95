package io.github.lb4j.api;

/**
 * The identity of a flow: protocol, source and destination address and port, IPv4 or IPv6.
 *
 * <p>Addresses are exposed as two {@code long} halves of a 128-bit value so that a packet-path
 * flyweight can implement this interface over a frame without allocating. An IPv4 address is
 * presented as its IPv4-mapped IPv6 form {@code ::ffff:a.b.c.d} (RFC 4291 §2.5.5.2): high half 0,
 * low half {@code 0x0000_FFFF_xxxx_xxxx}; {@link #isIpv6()} tells the two families apart.
 *
 * <p>For ICMP echo flows the ports carry the echo identifier (source) and 0 (destination), as
 * conntrack does. For protocols without ports both are 0.
 *
 * <p>{@link #hash64()} is defined by {@link FlowHash} over the accessors, so every implementation
 * gives the same value for the same flow, in every JVM and release: several balancers behind ECMP
 * and the immutable and flyweight keys agree.
 *
 * <p>Implementations document their thread-safety; {@link ImmutableFlowKey} may be shared freely,
 * {@link MutableFlowKey} and packet flyweights belong to one thread. Accessors never allocate and
 * never block.
 */
public interface FlowKey {

  /**
   * Returns the IANA protocol number (6 for TCP, 17 for UDP, ...).
   *
   * @return the IANA protocol number (6 for TCP, 17 for UDP, ...)
   */
  int protocolNumber();

  /**
   * Returns {@code true} for an IPv6 flow, {@code false} for IPv4.
   *
   * @return {@code true} for an IPv6 flow, {@code false} for IPv4
   */
  boolean isIpv6();

  /**
   * Returns bits 127..64 of the source address (0 for IPv4).
   *
   * @return bits 127..64 of the source address (0 for IPv4)
   */
  long sourceAddressHigh();

  /**
   * Returns bits 63..0 of the source address ({@code 0x0000_FFFF_xxxx_xxxx} for IPv4).
   *
   * @return bits 63..0 of the source address ({@code 0x0000_FFFF_xxxx_xxxx} for IPv4)
   */
  long sourceAddressLow();

  /**
   * Returns bits 127..64 of the destination address (0 for IPv4).
   *
   * @return bits 127..64 of the destination address (0 for IPv4)
   */
  long destinationAddressHigh();

  /**
   * Returns bits 63..0 of the destination address ({@code 0x0000_FFFF_xxxx_xxxx} for IPv4).
   *
   * @return bits 63..0 of the destination address ({@code 0x0000_FFFF_xxxx_xxxx} for IPv4)
   */
  long destinationAddressLow();

  /**
   * Returns the source port, 0..65535.
   *
   * @return the source port, 0..65535
   */
  int sourcePort();

  /**
   * Returns the destination port, 0..65535.
   *
   * @return the destination port, 0..65535
   */
  int destinationPort();

  /**
   * Returns the IPv4 source address as a 32-bit value, meaningful only when {@link #isIpv6()} is false.
   *
   * @return the IPv4 source address as a 32-bit value, meaningful only when {@link #isIpv6()} is false
   */
  default int sourceAddressV4() {
    return (int) sourceAddressLow();
  }

  /**
   * Returns the IPv4 destination address as a 32-bit value, meaningful only when {@link #isIpv6()} is false.
   *
   * @return the IPv4 destination address as a 32-bit value, meaningful only when {@link #isIpv6()} is false
   */
  default int destinationAddressV4() {
    return (int) destinationAddressLow();
  }

  /**
   * Returns the stable 64-bit hash of all five fields, {@link FlowHash#fiveTuple(FlowKey, long)}
   * with seed 0.
   *
   * @return the hash
   */
  default long hash64() {
    return FlowHash.fiveTuple(this, 0L);
  }

  /**
   * Tells whether two keys name the same flow, whatever their implementations.
   *
   * @param a a key
   * @param b another key
   * @return {@code true} when every field is equal
   */
  static boolean sameFlow(FlowKey a, FlowKey b) {
    return a.protocolNumber() == b.protocolNumber()
        && a.isIpv6() == b.isIpv6()
        && a.sourcePort() == b.sourcePort()
        && a.destinationPort() == b.destinationPort()
        && a.sourceAddressLow() == b.sourceAddressLow()
        && a.sourceAddressHigh() == b.sourceAddressHigh()
        && a.destinationAddressLow() == b.destinationAddressLow()
        && a.destinationAddressHigh() == b.destinationAddressHigh();
  }
}
