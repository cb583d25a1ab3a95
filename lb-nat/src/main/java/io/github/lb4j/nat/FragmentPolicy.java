package io.github.lb4j.nat;

/**
 * How the translator balances IP fragments. A later fragment (offset &gt; 0) carries no transport
 * header, so it cannot be balanced on its ports.
 *
 * <p>Any thread; an enum: never allocates, never blocks.
 */
public enum FragmentPolicy {
  /**
   * The default: the first fragment (offset 0, more fragments set) is balanced by its full flow like
   * an unfragmented packet and recorded in a small fixed-size fragment table keyed by source,
   * destination, protocol and IP identification (IPv4 ID, IPv6 fragment header identification);
   * later fragments are rewritten exactly as the first one was, and a later fragment whose first
   * fragment was not seen (or expired) is dropped as {@code FRAGMENT_UNMATCHED}. Nothing is
   * reassembled or buffered (IPVS instead has netfilter reassemble the datagram first).
   */
  FOLLOW_FIRST,
  /**
   * Every fragment, first or later, is balanced statelessly on protocol and addresses (ports zero),
   * so all fragments of a datagram reach one backend in any order, but that backend may differ
   * from the one of the unfragmented packets of the same flow.
   */
  HASH_THREE_TUPLE
}
