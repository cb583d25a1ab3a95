package io.github.lb4j.api;

import java.net.InetAddress;

/**
 * A reusable {@link FlowKey} whose fields the owner sets before each use, for callers that select
 * per request without allocating (a proxy's event loop, a benchmark).
 *
 * <p>Not thread-safe: one instance belongs to one thread. Setters and accessors never allocate
 * (except {@link #set(Protocol, InetAddress, int, InetAddress, int)}, which reads the addresses'
 * bytes) and never block. Setters do not validate; {@link ImmutableFlowKey#copyOf} does.
 */
public final class MutableFlowKey implements FlowKey {

  private int protocol;
  private boolean ipv6;
  private long srcHigh;
  private long srcLow;
  private long dstHigh;
  private long dstLow;
  private int srcPort;
  private int dstPort;

  /** Creates a key with every field 0 (an IPv4 flow of protocol 0 from 0.0.0.0 to 0.0.0.0). */
  public MutableFlowKey() {
    srcLow = FlowKeys.V4_MAPPED_PREFIX;
    dstLow = FlowKeys.V4_MAPPED_PREFIX;
  }

  /**
   * Sets an IPv4 flow.
   *
   * @param protocolNumber the IANA protocol number
   * @param source the source address, as 32 bits
   * @param sourcePort the source port
   * @param destination the destination address, as 32 bits
   * @param destinationPort the destination port
   * @return this key
   */
  public MutableFlowKey setV4(int protocolNumber, int source, int sourcePort, int destination, int destinationPort) {
    this.protocol = protocolNumber;
    this.ipv6 = false;
    this.srcHigh = 0;
    this.srcLow = FlowKeys.V4_MAPPED_PREFIX | (source & 0xFFFF_FFFFL);
    this.dstHigh = 0;
    this.dstLow = FlowKeys.V4_MAPPED_PREFIX | (destination & 0xFFFF_FFFFL);
    this.srcPort = sourcePort & 0xFFFF;
    this.dstPort = destinationPort & 0xFFFF;
    return this;
  }

  /**
   * Sets an IPv6 flow.
   *
   * @param protocolNumber the IANA protocol number
   * @param sourceHigh bits 127..64 of the source address
   * @param sourceLow bits 63..0 of the source address
   * @param sourcePort the source port
   * @param destinationHigh bits 127..64 of the destination address
   * @param destinationLow bits 63..0 of the destination address
   * @param destinationPort the destination port
   * @return this key
   */
  public MutableFlowKey setV6(int protocolNumber, long sourceHigh, long sourceLow, int sourcePort,
      long destinationHigh, long destinationLow, int destinationPort) {
    this.protocol = protocolNumber;
    this.ipv6 = true;
    this.srcHigh = sourceHigh;
    this.srcLow = sourceLow;
    this.dstHigh = destinationHigh;
    this.dstLow = destinationLow;
    this.srcPort = sourcePort & 0xFFFF;
    this.dstPort = destinationPort & 0xFFFF;
    return this;
  }

  /**
   * Sets a flow from {@link InetAddress}es of one family (reads their bytes, which allocates).
   *
   * @param protocol the protocol
   * @param source the source address
   * @param sourcePort the source port
   * @param destination the destination address
   * @param destinationPort the destination port
   * @return this key
   */
  public MutableFlowKey set(Protocol protocol, InetAddress source, int sourcePort, InetAddress destination, int destinationPort) {
    this.protocol = protocol.number();
    this.ipv6 = !(source instanceof java.net.Inet4Address);
    this.srcHigh = FlowKeys.high(source);
    this.srcLow = FlowKeys.low(source);
    this.dstHigh = FlowKeys.high(destination);
    this.dstLow = FlowKeys.low(destination);
    this.srcPort = sourcePort & 0xFFFF;
    this.dstPort = destinationPort & 0xFFFF;
    return this;
  }

  /**
   * Copies every field of another key.
   *
   * @param other the key to copy
   * @return this key
   */
  public MutableFlowKey set(FlowKey other) {
    this.protocol = other.protocolNumber();
    this.ipv6 = other.isIpv6();
    this.srcHigh = other.sourceAddressHigh();
    this.srcLow = other.sourceAddressLow();
    this.dstHigh = other.destinationAddressHigh();
    this.dstLow = other.destinationAddressLow();
    this.srcPort = other.sourcePort();
    this.dstPort = other.destinationPort();
    return this;
  }

  @Override
  public int protocolNumber() {
    return protocol;
  }

  @Override
  public boolean isIpv6() {
    return ipv6;
  }

  @Override
  public long sourceAddressHigh() {
    return srcHigh;
  }

  @Override
  public long sourceAddressLow() {
    return srcLow;
  }

  @Override
  public long destinationAddressHigh() {
    return dstHigh;
  }

  @Override
  public long destinationAddressLow() {
    return dstLow;
  }

  @Override
  public int sourcePort() {
    return srcPort;
  }

  @Override
  public int destinationPort() {
    return dstPort;
  }

  @Override
  public String toString() {
    return "protocol " + protocol + " " + FlowKeys.format(ipv6, srcHigh, srcLow, srcPort) + " -> "
        + FlowKeys.format(ipv6, dstHigh, dstLow, dstPort);
  }
}
