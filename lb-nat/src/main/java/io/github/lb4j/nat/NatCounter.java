package io.github.lb4j.nat;

/**
 * The event counters of a {@link PacketTranslator}, besides its drops per {@link
 * io.github.lb4j.api.DropReason}.
 *
 * <p>Any thread; never allocates, never blocks.
 */
public enum NatCounter {
  /** Requests forwarded towards a server. */
  FORWARDED_REQUESTS,
  /** Replies forwarded towards a client. */
  FORWARDED_REPLIES,
  /** Requests forwarded without flow state (rate limit, full table, mid-stream TCP in a DSR mode). */
  STATELESS_FORWARDS,
  /** IP fragments balanced on the 3-tuple (protocol and addresses), {@link FragmentPolicy#HASH_THREE_TUPLE}. */
  FRAGMENTS_HASHED,
  /** ARP replies sent for a VIP or the balancer's address. */
  ARP_REPLIES,
  /** Neighbor advertisements sent for a VIP or the balancer's address. */
  NEIGHBOR_ADVERTISEMENTS,
  /** ICMP echo replies sent for a VIP. */
  ECHO_REPLIES,
  /** ICMP errors about a tracked flow, translated and forwarded. */
  ICMP_ERRORS_TRANSLATED,
  /** ICMP errors the balancer sent itself (time exceeded, fragmentation needed, packet too big). */
  ICMP_ERRORS_SENT,
  /** S6.1: a SYN retransmitted while no reply of its flow ever passed the balancer (one-arm asymmetric return). */
  S6_1_ASYMMETRIC_RETURN,
  /** S6.2: a client inside the servers' subnet called a VIP (hairpin). */
  S6_2_HAIRPIN,
  /** Hairpin flows source-NATed automatically (the S6.2 fix). */
  HAIRPIN_SNAT,
  /** First fragments recorded in the fragment table, {@link FragmentPolicy#FOLLOW_FIRST}. */
  FIRST_FRAGMENTS_RECORDED,
  /** Later fragments sent to their first fragment's backend, {@link FragmentPolicy#FOLLOW_FIRST}. */
  FRAGMENTS_FOLLOWED
}
