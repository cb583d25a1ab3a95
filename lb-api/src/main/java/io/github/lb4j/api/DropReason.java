package io.github.lb4j.api;

import org.jspecify.annotations.Nullable;

/**
 * Why a frame was dropped, carried in a {@link Verdict} and counted per reason by the translators.
 * Codes are stable: they appear in counters and traces.
 *
 * <p>Any thread may use it; it never allocates and never blocks.
 */
public enum DropReason {
  /** A header field is invalid (bad version, IHL below 5, length fields that disagree). */
  MALFORMED(1),
  /** The frame ends before a header it announces. */
  TRUNCATED(2),
  /** An EtherType, IP protocol or extension header the translator does not handle. */
  UNSUPPORTED(3),
  /**
   * Not addressed to a VIP (or, for replies, not from a known backend); also a frame from the
   * servers' side addressed to a multicast or broadcast group, which no flow's client is.
   */
  NOT_FOR_VIP(4),
  /** The scheduler returned "none": no backend is eligible. */
  NO_BACKEND(5),
  /** A reply or a non-SYN segment that matches no tracked flow. */
  NO_FLOW(6),
  /** TTL or hop limit reached zero (an ICMP time exceeded may be sent as well). */
  TTL_EXCEEDED(7),
  /** The source NAT pool has no free address and port. */
  POOL_EXHAUSTED(8),
  /** An ICMP error that quotes no tracked flow. */
  ICMP_UNMATCHED(9),
  /** A later IP fragment whose first fragment was not seen. */
  FRAGMENT_UNMATCHED(10),
  /** The frame, once encapsulated, would exceed the MTU (a "too big" ICMP may be sent as well). */
  MTU_EXCEEDED(11),
  /** The flow table is full of entries that may not be evicted. */
  TABLE_FULL(12),
  /** A checksum on the frame is wrong. */
  BAD_CHECKSUM(13),
  /** No headroom in front of the frame for the encapsulation the mode needs. */
  NO_HEADROOM(14),
  /** The next hop's link-layer address is not known yet. */
  NO_NEIGHBOR(15),
  /** Dropped by policy (an ARP or ND packet not for the VIP, an ICMP type that is not answered). */
  POLICY(16),
  /**
   * UDP over IPv6 with a zero checksum: RFC 8200 §8.1 has IPv6 receivers discard it (unlike IPv4,
   * where zero means "no checksum").
   */
  UDP_ZERO_CHECKSUM(17),
  /**
   * A source or destination address no router may forward (RFC 1812 §5.3.7, RFC 4291 §2.5 and §2.7):
   * unspecified, loopback, multicast or limited-broadcast source, class E, loopback destination.
   */
  INVALID_ADDRESS(18);

  private static final @Nullable DropReason[] BY_CODE = new DropReason[64];

  static {
    for (DropReason r : values()) {
      BY_CODE[r.code] = r;
    }
  }

  private final int code;

  DropReason(int code) {
    this.code = code;
  }

  /**
   * Returns the stable code, 1..63.
   *
   * @return the stable code, 1..63
   */
  public int code() {
    return code;
  }

  /**
   * Finds the reason with a code.
   *
   * @param code a code from {@link #code()}
   * @return the reason, or {@code null} for an unknown code
   */
  public static @Nullable DropReason ofCode(int code) {
    return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }
}
