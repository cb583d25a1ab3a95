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
  /**
   * S6.1, the one-arm asymmetric return: in transparent or router mode, a client retransmitted the
   * first SYN of a flow that is neither source-NATed nor a hairpin (same sequence number, at least
   * one second later, RFC 6298's initial retransmission timeout), no reply of that flow ever passed
   * the balancer, and no reply of any flow passed it since that SYN: the servers answer around the
   * balancer. Counted once per flow. See {@link #SYN_UNANSWERED} for the same symptom while replies
   * do pass.
   */
  S6_1_ASYMMETRIC_RETURN,
  /**
   * S6.2, the hairpin: in transparent or router mode, a new flow to a VIP from a client inside a
   * server subnet (configured, or on-link on the servers' port) or from a backend's own address,
   * which its backend would answer directly. Counted once per flow, whether or not {@link
   * #HAIRPIN_SNAT} then fixes it.
   */
  S6_2_HAIRPIN,
  /** Hairpin flows source-NATed automatically (the S6.2 fix). */
  HAIRPIN_SNAT,
  /** First fragments recorded in the fragment table, {@link FragmentPolicy#FOLLOW_FIRST}. */
  FIRST_FRAGMENTS_RECORDED,
  /** Later fragments sent to their first fragment's backend, {@link FragmentPolicy#FOLLOW_FIRST}. */
  FRAGMENTS_FOLLOWED,
  /**
   * A retransmitted first SYN (as {@link #S6_1_ASYMMETRIC_RETURN} defines it) whose flow saw no
   * reply while replies of other flows did pass the balancer since that SYN: the backend, or the
   * path to it, drops the SYN silently. Not the S6.1 pitfall. Counted once per flow.
   */
  SYN_UNANSWERED,
  /** ICMP errors the balancer would have sent but its rate limit refused (RFC 1812 §4.3.2.8, RFC 4443 §2.4 (f)). */
  ICMP_ERRORS_RATE_LIMITED,
  /**
   * ICMP errors the balancer must not send and did not (RFC 1122 §3.2.2, RFC 1812 §4.3.2.7, RFC 4443
   * §2.4 (e)): about an ICMP error, a non-first fragment, a multicast or broadcast destination or
   * link-layer address, or a source that names no single host.
   */
  ICMP_ERRORS_SUPPRESSED,
  /** Frames dropped because a next hop's MAC was unknown; the neighbour table was asked to resolve it. */
  NEIGHBOR_RESOLUTIONS_REQUESTED,
  /**
   * Mid-stream TCP packets forwarded without state in a DSR mode whose source MAC names the flow's
   * previous owner, another backend than the current one ({@link SecondChance}).
   */
  SECOND_CHANCE_TAGS,
  /**
   * SYNs that found a connection that had ended (TIME_WAIT, CLOSE) under their addresses and ports
   * and were scheduled as a new connection (IPVS {@code conn_reuse_mode}).
   */
  RESCHEDULED_REUSED_PORT,
  /**
   * Packets that found a flow whose backend no longer takes them and were scheduled afresh: SYNs
   * whose backend is down, removed or drained; datagrams whose backend is down or removed (IPVS
   * {@code expire_nodest_conn}).
   */
  RESCHEDULED_FROM_UNAVAILABLE
}
