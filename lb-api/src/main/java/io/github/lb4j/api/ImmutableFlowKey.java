package io.github.lb4j.api;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An immutable {@link FlowKey} for callers: client SDKs, proxies and tests.
 *
 * <p>{@link #equals} and {@link #hashCode} compare flows field by field and agree with any other
 * implementation through {@link FlowKey#sameFlow} and {@link FlowKey#hash64()}.
 *
 * <p>Immutable; any thread may use it. The factories allocate; accessors do not. Never blocks.
 */
public final class ImmutableFlowKey implements FlowKey {

  private final int protocol;
  private final boolean ipv6;
  private final long srcHigh;
  private final long srcLow;
  private final long dstHigh;
  private final long dstLow;
  private final int srcPort;
  private final int dstPort;

  private ImmutableFlowKey(int protocol, boolean ipv6, long srcHigh, long srcLow, long dstHigh, long dstLow, int srcPort, int dstPort) {
    this.protocol = protocol;
    this.ipv6 = ipv6;
    this.srcHigh = srcHigh;
    this.srcLow = srcLow;
    this.dstHigh = dstHigh;
    this.dstLow = dstLow;
    this.srcPort = srcPort;
    this.dstPort = dstPort;
  }

  /**
   * Creates a key from addresses of one family.
   *
   * @param protocol the transport protocol
   * @param source the source address
   * @param sourcePort 0..65535
   * @param destination the destination address, same family as {@code source}
   * @param destinationPort 0..65535
   * @return the key
   * @throws IllegalArgumentException naming the field and value when one is invalid, or when the
   *     families differ
   */
  public static ImmutableFlowKey of(Protocol protocol, InetAddress source, int sourcePort, InetAddress destination, int destinationPort) {
    Objects.requireNonNull(protocol, "protocol");
    boolean v4 = Objects.requireNonNull(source, "source") instanceof Inet4Address;
    if (v4 != (Objects.requireNonNull(destination, "destination") instanceof Inet4Address)) {
      throw new IllegalArgumentException(
          "source and destination must be of one family, were " + source.getHostAddress() + " and " + destination.getHostAddress());
    }
    return new ImmutableFlowKey(protocol.number(), !v4, FlowKeys.high(source), FlowKeys.low(source),
        FlowKeys.high(destination), FlowKeys.low(destination),
        checkPort("sourcePort", sourcePort), checkPort("destinationPort", destinationPort));
  }

  /**
   * Creates a key from two resolved socket addresses.
   *
   * @param protocol the transport protocol
   * @param source the client side
   * @param destination the server side (typically the VIP)
   * @return the key
   * @throws IllegalArgumentException when an address is unresolved or the families differ
   */
  public static ImmutableFlowKey of(Protocol protocol, InetSocketAddress source, InetSocketAddress destination) {
    if (source.isUnresolved()) {
      throw new IllegalArgumentException("source must be resolved, was " + source);
    }
    if (destination.isUnresolved()) {
      throw new IllegalArgumentException("destination must be resolved, was " + destination);
    }
    return of(protocol, source.getAddress(), source.getPort(), destination.getAddress(), destination.getPort());
  }

  /**
   * Copies any key, for example a packet flyweight's, into an immutable one.
   *
   * @param key the key to copy
   * @return an immutable copy
   * @throws IllegalArgumentException when a port or the protocol number is out of range
   */
  public static ImmutableFlowKey copyOf(FlowKey key) {
    if (key instanceof ImmutableFlowKey) {
      return (ImmutableFlowKey) key;
    }
    int p = key.protocolNumber();
    if (p < 0 || p > 255) {
      throw new IllegalArgumentException("protocolNumber must be in 0..255, was " + p);
    }
    return new ImmutableFlowKey(p, key.isIpv6(), key.sourceAddressHigh(), key.sourceAddressLow(),
        key.destinationAddressHigh(), key.destinationAddressLow(),
        checkPort("sourcePort", key.sourcePort()), checkPort("destinationPort", key.destinationPort()));
  }

  /**
   * Returns the same flow seen from the other side: source and destination swapped.
   *
   * @return the same flow seen from the other side: source and destination swapped
   */
  public ImmutableFlowKey reversed() {
    return new ImmutableFlowKey(protocol, ipv6, dstHigh, dstLow, srcHigh, srcLow, dstPort, srcPort);
  }

  /**
   * Returns the source address (allocates).
   *
   * @return the source address (allocates)
   */
  public InetAddress sourceAddress() {
    return FlowKeys.toInetAddress(ipv6, srcHigh, srcLow);
  }

  /**
   * Returns the destination address (allocates).
   *
   * @return the destination address (allocates)
   */
  public InetAddress destinationAddress() {
    return FlowKeys.toInetAddress(ipv6, dstHigh, dstLow);
  }

  static int checkPort(String field, int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(field + " must be in 0..65535, was " + port);
    }
    return port;
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
  public boolean equals(@Nullable Object o) {
    return o instanceof ImmutableFlowKey && FlowKey.sameFlow(this, (ImmutableFlowKey) o);
  }

  @Override
  public int hashCode() {
    long h = hash64();
    return (int) (h ^ (h >>> 32));
  }

  @Override
  public String toString() {
    Protocol p = Protocol.ofNumber(protocol);
    return (p == null ? "proto-" + protocol : p.name().toLowerCase(java.util.Locale.ROOT)) + " "
        + FlowKeys.format(ipv6, srcHigh, srcLow, srcPort) + " -> " + FlowKeys.format(ipv6, dstHigh, dstLow, dstPort);
  }
}
