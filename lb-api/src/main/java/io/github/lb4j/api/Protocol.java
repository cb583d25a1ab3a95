package io.github.lb4j.api;

import org.jspecify.annotations.Nullable;

/**
 * The transport protocols lb4j balances, with their IANA protocol numbers.
 *
 * <p>Any thread may use it; it never allocates and never blocks.
 */
public enum Protocol {
  /** ICMP for IPv4 (RFC 792), protocol number 1. */
  ICMP(1),
  /** TCP (RFC 9293), protocol number 6. */
  TCP(6),
  /** UDP (RFC 768), protocol number 17. */
  UDP(17),
  /** ICMP for IPv6 (RFC 4443), protocol number 58. */
  ICMPV6(58),
  /** SCTP (RFC 9260), protocol number 132. */
  SCTP(132);

  private static final @Nullable Protocol[] BY_NUMBER = new Protocol[256];

  static {
    for (Protocol p : values()) {
      BY_NUMBER[p.number] = p;
    }
  }

  private final int number;

  Protocol(int number) {
    this.number = number;
  }

  /**
   * Returns the IANA "Assigned Internet Protocol Number".
   *
   * @return 0..255
   */
  public int number() {
    return number;
  }

  /**
   * Returns the protocol with the given IANA number, or {@code null} for a number lb4j does not
   * know. Allocation-free, for the packet path.
   *
   * @param number the protocol number as read from an IPv4 header or IPv6 next-header field
   * @return the protocol, or {@code null}
   */
  public static @Nullable Protocol ofNumber(int number) {
    return number >= 0 && number < 256 ? BY_NUMBER[number] : null;
  }

  /**
   * Returns the protocol with the given IANA number.
   *
   * @param number the protocol number
   * @return the protocol
   * @throws IllegalArgumentException naming the value when lb4j does not know the number
   */
  public static Protocol of(int number) {
    Protocol p = ofNumber(number);
    if (p == null) {
      throw new IllegalArgumentException("protocol number " + number + " is not one of " + java.util.Arrays.toString(values()));
    }
    return p;
  }
}
