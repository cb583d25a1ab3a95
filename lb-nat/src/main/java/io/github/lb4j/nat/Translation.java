package io.github.lb4j.nat;

/**
 * The 32-bit translation word each flow keeps in the flow table, as the translators use it:
 *
 * <pre>
 *  bit 31      source-NATed (full NAT, or a hairpin flow under hairpinSnat)
 *  bit 30      a reply of the flow passed the balancer
 *  bit 29      the flow was counted as a pitfall (S6.1) or an unanswered SYN
 *  bits 28..0  source-NATed: pool address index (bits 28..16) and port (bits 15..0);
 *              otherwise: bits 28..0 of the first SYN's sequence number (to tell a retransmission)
 * </pre>
 *
 * <p>Static; any thread; never allocates.
 */
final class Translation {

  static final int SNAT = 1 << 31;
  static final int REPLY_SEEN = 1 << 30;
  static final int COUNTED = 1 << 29;
  /** The bits that change over a flow's life; the rest identify its translation. */
  static final int STATUS = REPLY_SEEN | COUNTED;
  static final int PAYLOAD = (1 << 29) - 1;

  private Translation() {}

  static int snat(int poolIndex, int port) {
    return SNAT | poolIndex << 16 | port;
  }

  static boolean isSnat(int translation) {
    return (translation & SNAT) != 0;
  }

  static int poolIndex(int translation) {
    return (translation >>> 16) & 0x1FFF;
  }

  static int port(int translation) {
    return translation & 0xFFFF;
  }

  static boolean replySeen(int translation) {
    return (translation & REPLY_SEEN) != 0;
  }

  /** The first SYN's sequence number as a non-source-NATed flow keeps it. */
  static int firstSequence(long sequence) {
    return (int) sequence & PAYLOAD;
  }
}
