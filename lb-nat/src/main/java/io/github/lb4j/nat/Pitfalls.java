package io.github.lb4j.nat;

import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.nat.flow.FlowState;
import io.github.lb4j.nat.flow.FlowTable;
import java.util.ArrayList;
import java.util.List;

/**
 * Detects the seed's pitfalls (S6) in the two DNAT modes whose replies must pass the balancer,
 * transparent and router, each by a definition that no other situation meets:
 *
 * <ul>
 *   <li><b>S6.2 hairpin</b> ({@link NatCounter#S6_2_HAIRPIN}): a new flow to a VIP from a client in
 *       a server subnet (configured with {@code serverSubnet}, or on-link on the servers' port) or
 *       from a backend's own address: its backend shares the client's network and answers it
 *       directly, with its own address. Per new flow.
 *   <li><b>S6.1 one-arm asymmetric return</b> ({@link NatCounter#S6_1_ASYMMETRIC_RETURN}): a
 *       client retransmits the first SYN of a flow (the same sequence number, at least one second
 *       after the previous one: RFC 6298's initial retransmission timeout; a different sequence
 *       number is a new attempt or a spoofed packet, an earlier copy a duplicate), while the flow
 *       is still half-open with no reply ever seen, it is neither source-NATed nor a hairpin (whose
 *       backend answers directly, S6.2), and no reply of any flow that is not source-NATed passed
 *       the balancer since the SYN_RECV timeout (60 s by default) before that previous SYN. Then the
 *       servers answer around the balancer. Once per flow.
 *   <li>The same retransmission while replies of other flows did pass within that time: the backend
 *       (or the path to it) drops the SYN silently, {@link NatCounter#SYN_UNANSWERED}, not S6.1,
 *       also when every connection in progress waits on that backend, so that no reply passes
 *       between the SYN and its retransmission. Once per flow.
 * </ul>
 *
 * Limits: the elapsed time has the flow table's one-second resolution (the clock is read afresh at
 * the retransmission; the first SYN's time is as the table had sampled it); a
 * balancer whose only traffic is one backend that silently drops every SYN from the start shows
 * exactly what S6.1 shows (no reply ever passes) and is counted as S6.1. Full NAT and DSR need no
 * detection (S6.1b, S6.1c); full-NAT flows keep no sequence number, so their unanswered SYNs are not
 * counted.
 *
 * <p>One thread (the translator's); never allocates; never blocks.
 */
final class Pitfalls {

  private final boolean detect;
  private final FlowTable table;
  private final Counters counters;
  private final Backends backends;
  private final int synTimeout;
  private final boolean[] subnetV6;
  private final long[] subnetHigh;
  private final long[] subnetLow;
  private final long[] maskHigh;
  private final long[] maskLow;
  private int lastReplySecond = Integer.MIN_VALUE;

  Pitfalls(NatConfig config, FlowTable table, Counters counters, Backends backends) {
    ForwardingMode mode = config.mode();
    this.detect = mode == ForwardingMode.TRANSPARENT || mode == ForwardingMode.ROUTER;
    this.table = table;
    this.counters = counters;
    this.backends = backends;
    this.synTimeout = config.flowTable().timeoutSeconds(FlowState.SYN_RECV);
    List<NatConfig.Subnet> subnets = new ArrayList<>(config.serverSubnets());
    for (NatPort.Address a : config.serverSide().addresses()) {
      subnets.add(new NatConfig.Subnet(a.address(), a.prefixLength()));
    }
    int n = subnets.size();
    subnetV6 = new boolean[n];
    subnetHigh = new long[n];
    subnetLow = new long[n];
    maskHigh = new long[n];
    maskLow = new long[n];
    for (int i = 0; i < n; i++) {
      NatConfig.Subnet s = subnets.get(i);
      boolean six = !IpAddresses.isV4(s.prefix());
      int bits = six ? s.length() : 96 + s.length();
      subnetV6[i] = six;
      maskHigh[i] = bits == 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
      maskLow[i] = bits <= 64 ? 0 : bits == 128 ? -1L : -1L << (128 - bits);
      subnetHigh[i] = IpAddresses.high(s.prefix()) & maskHigh[i];
      subnetLow[i] = IpAddresses.low(s.prefix()) & maskLow[i];
    }
  }

  /** Whether a client calling a VIP is a hairpin (S6.2) in this mode; counts it when it is. */
  boolean newFlowIsHairpin(boolean six, long hi, long lo) {
    if (detect && hairpin(six, hi, lo)) {
      counters.bump(NatCounter.S6_2_HAIRPIN);
      return true;
    }
    return false;
  }

  private boolean hairpin(boolean six, long hi, long lo) {
    for (int i = 0; i < subnetV6.length; i++) {
      if (subnetV6[i] == six && (hi & maskHigh[i]) == subnetHigh[i] && (lo & maskLow[i]) == subnetLow[i]) {
        return true;
      }
    }
    return backends.isBackend(six, hi, lo);
  }

  /**
   * A reply passed the balancer. A source-NATed flow's reply (full NAT, a hairpin fixed by SNAT)
   * returns to the balancer's own address whatever the servers' gateway, so it says nothing about
   * the return path S6.1 is about, and is not noted.
   *
   * @param translation the flow's translation word
   */
  void replyPassed(int translation) {
    if (!Translation.isSnat(translation)) {
      lastReplySecond = table.nowSeconds();
    }
  }

  /** The sequence number a new non-source-NATed TCP flow keeps, to recognise its retransmissions. */
  static int firstSynTranslation(long sequence) {
    return Translation.firstSequence(sequence);
  }

  /**
   * A client SYN (without ACK) arrived for a flow that exists, before the flow is touched.
   *
   * @param slot the flow
   * @param sequence the SYN's sequence number
   * @param six the client's family
   * @param hi the client's address, bits 127..64
   * @param lo bits 63..0
   */
  void synForExistingFlow(int slot, long sequence, boolean six, long hi, long lo) {
    if (!detect || table.state(slot) != FlowState.SYN_RECV) {
      return;
    }
    int t = table.translation(slot);
    if (Translation.isSnat(t) || (t & Translation.STATUS) != 0 || (t & Translation.PAYLOAD) != Translation.firstSequence(sequence)) {
      return;
    }
    // the table samples its clock every few operations; a retransmission is rare enough to read it
    int before = table.nowSeconds();
    int left = table.secondsLeft(slot);
    int now = table.refreshClock();
    if (table.state(slot) == FlowState.FREE) {
      return; // expired on the fresh clock and swept: a new flow, not a retransmission
    }
    int previousSyn = before + left - synTimeout;
    if (now - previousSyn < 1 || hairpin(six, hi, lo)) {
      return;
    }
    // Whether the servers' replies come back through the balancer is a property of the topology, not
    // of one retransmission interval: while every connection in progress waits on a server that drops
    // SYNs, no reply passes between a SYN and its retransmission although replies do pass the
    // balancer. A reply within the half-open lifetime (the SYN_RECV timeout) before that SYN shows
    // that they do; in S6.1 none ever passes.
    boolean repliesPass = lastReplySecond != Integer.MIN_VALUE && lastReplySecond >= previousSyn - synTimeout;
    counters.bump(repliesPass ? NatCounter.SYN_UNANSWERED : NatCounter.S6_1_ASYMMETRIC_RETURN);
    table.translation(slot, t | Translation.COUNTED);
  }
}
