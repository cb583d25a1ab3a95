package io.github.lb4j.nat.flow;

/**
 * The states a flow entry can be in, as small {@code int} codes stored in the table (4 bits). TCP
 * states follow the IPVS director's view (net/netfilter/ipvs/ip_vs_proto_tcp.c) reduced to what a
 * balancer that may see only one direction can observe; UDP and ICMP flows have one state each.
 *
 * <p>Static constants; any thread; never allocates (except {@link #name(int)}), never blocks.
 */
public final class FlowState {

  /** An empty slot. */
  public static final int FREE = 0;
  /** TCP: a SYN was seen, the handshake has not completed. */
  public static final int SYN_RECV = 1;
  /** TCP: the client acknowledged; data flows. */
  public static final int ESTABLISHED = 2;
  /** TCP: one FIN was seen. */
  public static final int FIN_WAIT = 3;
  /** TCP: both FINs were seen. */
  public static final int TIME_WAIT = 4;
  /** TCP: a RST was seen. */
  public static final int CLOSE = 5;
  /** A UDP flow. */
  public static final int UDP = 6;
  /** An ICMP or ICMPv6 echo flow. */
  public static final int ICMP = 7;
  /** Any other protocol balanced by address. */
  public static final int OTHER = 8;
  /** The number of state codes. */
  public static final int COUNT = 9;

  private static final String[] NAMES = {
    "FREE", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "TIME_WAIT", "CLOSE", "UDP", "ICMP", "OTHER"
  };

  private FlowState() {}

  /**
   * Returns the name of a state code.
   *
   * @param state a code
   * @return its name, or {@code "UNKNOWN"}
   */
  public static String name(int state) {
    return state >= 0 && state < COUNT ? NAMES[state] : "UNKNOWN";
  }

  /**
   * Tells whether a flow in this state counts as an active session (BackendLoad's active count).
   *
   * @param state a code
   * @return true for ESTABLISHED, UDP, ICMP and OTHER
   */
  public static boolean active(int state) {
    return state == ESTABLISHED || state >= UDP;
  }

  /**
   * Tells whether a full table may evict a flow in this state before it expires.
   *
   * @param state a code
   * @return true for the TCP states other than ESTABLISHED, and for ICMP
   */
  public static boolean evictable(int state) {
    return state == SYN_RECV || state == FIN_WAIT || state == TIME_WAIT || state == CLOSE || state == ICMP;
  }
}
