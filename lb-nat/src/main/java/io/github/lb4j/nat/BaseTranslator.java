package io.github.lb4j.nat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.flow.FlowState;
import io.github.lb4j.nat.flow.FlowTable;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.EthernetFlyweight;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.Icmpv6Flyweight;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import org.jspecify.annotations.Nullable;

/**
 * The path every forwarding mode shares, from a frame to its verdict: parse once; answer ARP and
 * neighbor solicitations ({@link NeighborAnswers}); admit only packets a router may forward (IPv4
 * header checksum, RFC 1812 §5.2.2; addresses, §5.3.7; UDP over IPv6 without checksum, RFC 8200
 * §8.1; source-routed packets in the modes that rewrite addresses); then, for a request, answer echo
 * ({@link EchoReplies}), pass ICMP errors to the flow they quote ({@link IcmpErrors}), send
 * fragments where their first fragment went ({@link Fragments}), find or open the flow (the
 * scheduler picks a new flow's backend; {@link Pitfalls} names S6.1 and S6.2; {@link SnatPorts}
 * source-NATs), check the MTU of the port it leaves by, and let the mode rewrite it; for a reply,
 * find its flow ({@link ReplyIndex}) and let the mode rewrite it back. Link-layer choices are {@link
 * LinkLayer}'s, header rewrites {@link Rewrites}'.
 *
 * <p>Subclasses implement the mode: {@link #rewriteRequest}, and where replies pass the balancer
 * {@link #prepareReply}, {@link #rewriteReply} and {@link #addressReply}.
 *
 * <p>One thread (the datapath worker); never allocates on the packet path except the first time a
 * backend is seen; never blocks.
 */
abstract class BaseTranslator implements PacketTranslator {

  final NatConfig config;
  final ForwardingMode mode;
  final FlowTable table;
  final Scheduler scheduler;
  final FrameParser parsed = new FrameParser();
  final Counters counters = new Counters();
  final Vips vips;
  final Backends backends;
  final SnatPorts pool;
  final Rewrites rewrites;
  final LinkLayer link;
  final IcmpErrors icmp;
  private final NeighborAnswers neighborAnswers;
  private final EchoReplies echo;
  private final ReplyIndex replies;
  private final Fragments fragments;
  private final Pitfalls pitfalls;
  private final boolean rewritesAddresses;
  private final MutableFlowKey quotedFlow = new MutableFlowKey();
  private final @Nullable SecondChanceScheduler secondChance;

  BaseTranslator(NatConfig config) {
    this.config = config;
    this.mode = config.mode();
    this.scheduler = config.scheduler();
    this.table = new FlowTable(config.flowTable());
    this.vips = new Vips(config.vips());
    this.backends = new Backends(scheduler);
    // a random table seed, a random first source-NAT port (see SnatPorts); a fixed one, the range's start
    this.pool = new SnatPorts(config.snatPool(), config.snatPortLow(), config.snatPortHigh(), table,
        config.flowTable().seed().isPresent() ? 0 : new SecureRandom().nextInt(1 << 16));
    this.rewrites = new Rewrites(parsed);
    this.link = new LinkLayer(config, counters);
    this.icmp = new IcmpErrors(config, parsed, counters, link);
    this.neighborAnswers = new NeighborAnswers(config, parsed, counters, link, vips, pool);
    this.echo = new EchoReplies(parsed, counters, link);
    this.replies = new ReplyIndex(table, backends, pool);
    this.fragments = new Fragments(config, scheduler, backends);
    this.pitfalls = new Pitfalls(config, table, counters, backends);
    this.rewritesAddresses = mode != ForwardingMode.DSR_L2 && mode != ForwardingMode.DSR_IPIP;
    this.secondChance = scheduler instanceof SecondChanceScheduler s && !mode.repliesPassBalancer() ? s : null;
    table.onMove(pool::moved);
    table.onFree(pool::freed);
  }

  @Override
  public final ForwardingMode mode() {
    return mode;
  }

  @Override
  public final FlowTable flowTable() {
    return table;
  }

  @Override
  public final NatConfig config() {
    return config;
  }

  @Override
  public final long count(NatCounter counter) {
    return counters.count(counter);
  }

  @Override
  public final long drops(DropReason reason) {
    return counters.drops(reason);
  }

  final int drop(DropReason reason) {
    return counters.drop(reason);
  }

  @Override
  public final int translate(Frame frame, Direction direction) {
    int r = parsed.parse(frame.buffer(), frame.offset(), frame.length());
    if (r != FrameParser.OK) {
      return counters.drop(r);
    }
    if (parsed.etherType() == EthernetFlyweight.ETHER_TYPE_ARP) {
      return neighborAnswers.arp(frame);
    }
    if (parsed.isIpv6() && parsed.protocolNumber() == 58 && parsed.icmpType() == Icmpv6Flyweight.TYPE_NEIGHBOR_SOLICITATION) {
      return neighborAnswers.neighborSolicitation(frame);
    }
    DropReason refused = admit(frame.buffer());
    if (refused != null) {
      return drop(refused);
    }
    return direction == Direction.CLIENT_TO_SERVER ? request(frame) : reply(frame);
  }

  /** What no mode may forward or answer, or null. */
  private DropReason admit(ByteBuffer b) {
    boolean six = parsed.isIpv6();
    int l3 = parsed.l3Offset();
    if (!six && Checksums.fold(Checksums.sum(b, l3, parsed.l4Offset() - l3, 0)) != 0xFFFF) {
      return DropReason.BAD_CHECKSUM;
    }
    if (six && parsed.protocolNumber() == 17 && parsed.l4HeaderLength() > 0 && b.getShort(parsed.l4Offset() + 6) == 0) {
      return DropReason.UDP_ZERO_CHECKSUM;
    }
    if (!Addresses.singleHost(six, parsed.sourceAddressHigh(), parsed.sourceAddressLow())
        || !Addresses.forwardableDestination(six, parsed.destinationAddressHigh(), parsed.destinationAddressLow())) {
      return DropReason.INVALID_ADDRESS;
    }
    if (parsed.sourceRouted() && rewritesAddresses) {
      return DropReason.UNSUPPORTED;
    }
    return null;
  }

  // ---------------------------------------------------------------- requests

  private int request(Frame frame) {
    boolean six = parsed.isIpv6();
    long dstHigh = parsed.destinationAddressHigh();
    long dstLow = parsed.destinationAddressLow();
    int proto = parsed.protocolNumber();
    if (echo.isRequest()) {
      if (vips.address(six, dstHigh, dstLow) < 0) {
        return drop(DropReason.NOT_FOR_VIP);
      }
      // answering one fragment would need the whole datagram
      return parsed.fragment() ? drop(DropReason.UNSUPPORTED) : echo.reply(frame);
    }
    if (parsed.icmpError()) {
      return clientIcmpError(frame);
    }
    if (parsed.fragment()) {
      int v = fragment(frame);
      if (v != -1) {
        return v;
      }
    }
    int vip = vips.service(six, dstHigh, dstLow, proto, parsed.destinationPort());
    if (vip < 0) {
      return drop(DropReason.NOT_FOR_VIP);
    }
    int slot = table.lookup(parsed);
    int flags = parsed.tcpFlags();
    boolean syn = proto == 6 && (flags & (TcpFlyweight.SYN | TcpFlyweight.ACK)) == TcpFlyweight.SYN;
    int handle;
    if (slot >= 0 && startsAfresh(slot, proto, syn)) {
      // the tracked flow goes (its session, its source-NAT port) and this packet opens a new one
      table.close(slot);
      slot = FlowTable.MISSING;
    }
    if (slot >= 0) {
      handle = table.backend(slot);
      if (syn) {
        pitfalls.synForExistingFlow(slot, sequence(frame.buffer()), six, parsed.sourceAddressHigh(),
            parsed.sourceAddressLow());
      }
      table.touch(slot, flags, true, frame.length());
      return forwardRequest(frame, slot, handle, vip);
    }
    Backend be = scheduler.select(parsed);
    if (be == null) {
      return drop(DropReason.NO_BACKEND);
    }
    handle = backends.handleOf(be);
    if (proto == 6 && !syn) {
      if (mode.repliesPassBalancer()) {
        return drop(DropReason.NO_FLOW);
      }
      // mid-stream without state in a DSR mode: the consistent hash keeps it where it was (Katran),
      // and after a change of the backend set the previous owner gets a second chance (GLB)
      counters.bump(NatCounter.STATELESS_FORWARDS);
      return midStreamWithoutState(frame, handle, vip);
    }
    if (backends.ipv6(handle) != six && rewritesAddresses) {
      return drop(DropReason.UNSUPPORTED);
    }
    int state = proto == 6 ? FlowState.SYN_RECV : proto == 17 ? FlowState.UDP
        : proto == 1 || proto == 58 ? FlowState.ICMP : FlowState.OTHER;
    // Where replies pass the balancer a flow without state could not have its reply translated:
    // above the new-flow rate such flows keep getting state (FlowTable.admit) instead of none.
    slot = mode.repliesPassBalancer() ? table.admit(parsed, handle, state, 0) : table.open(parsed, handle, state, 0);
    if (slot < 0) {
      if (mode.repliesPassBalancer() && slot == FlowTable.FULL) {
        return drop(DropReason.TABLE_FULL);
      }
      counters.bump(NatCounter.STATELESS_FORWARDS);
      return forwardRequest(frame, -1, handle, vip);
    }
    table.touch(slot, flags, true, frame.length());
    if (mode.repliesPassBalancer()) {
      int refused = setUpReturnPath(frame, slot, handle, syn);
      if (refused != 0) {
        return refused;
      }
    }
    return forwardRequest(frame, slot, handle, vip);
  }

  /**
   * Whether a request that found a tracked flow is scheduled afresh instead, as IPVS does
   * (net/netfilter/ipvs/ip_vs_core.c, {@code ip_vs_in}; ip-sysctl: {@code conn_reuse_mode},
   * {@code expire_nodest_conn}):
   *
   * <ul>
   *   <li>a SYN for a connection that ended (TIME_WAIT, CLOSE): the client reuses its port for a new
   *       connection, which the scheduler places like any other (and which gets a new source-NAT
   *       port, so the server's TIME_WAIT of the old one is not in its way);
   *   <li>a SYN for a flow whose backend takes no new flows (down, removed or drained): a handshake
   *       retransmitted, or a port reused while the old connection's end went unseen, must not open a
   *       connection to a server the pool took out (a stopped server would refuse it);
   *   <li>a UDP, ICMP or other datagram of a flow whose backend is down or removed: there is no
   *       connection to keep, and each datagram may go to a live server. A drained backend keeps its
   *       datagram flows until they expire, as it keeps its TCP connections.
   * </ul>
   *
   * A retransmitted SYN of a handshake whose backend still takes new flows, a SYN inside a live
   * connection, and every other TCP segment stay with the tracked flow: an established connection to
   * a backend found down keeps going to it (its kernel resets it if the server is gone; one merely
   * failing its checks goes on serving), as HAProxy and Envoy do by default.
   */
  private boolean startsAfresh(int slot, int proto, boolean syn) {
    if (proto != 6) {
      if (backends.eligible(table.backend(slot))) {
        return false;
      }
      counters.bump(NatCounter.RESCHEDULED_FROM_UNAVAILABLE);
      return true;
    }
    if (!syn) {
      return false;
    }
    int state = table.state(slot);
    if (state == FlowState.TIME_WAIT || state == FlowState.CLOSE) {
      counters.bump(NatCounter.RESCHEDULED_REUSED_PORT);
      return true;
    }
    if (!backends.takesNewFlows(table.backend(slot))) {
      counters.bump(NatCounter.RESCHEDULED_FROM_UNAVAILABLE);
      return true;
    }
    return false;
  }

  /**
   * Forwards a mid-stream TCP packet without state to the current owner, its source MAC the tag of
   * the previous owner when a {@link SecondChanceScheduler} names another one ({@link SecondChance}).
   */
  private int midStreamWithoutState(Frame frame, int handle, int vip) {
    long tag = 0;
    if (secondChance != null) {
      Backend previous = secondChance.previous(parsed);
      if (previous != null) {
        int h = backends.handleOf(previous);
        if (h != handle && backends.ipv6(h) == backends.ipv6(handle)) {
          tag = SecondChance.tag(backends.low(h));
        }
      }
    }
    int v = forwardRequest(frame, -1, handle, vip);
    if (tag != 0 && Verdict.action(v) == Verdict.FORWARD) {
      EthernetFlyweight.source(frame.buffer(), frame.offset(), tag);
      counters.bump(NatCounter.SECOND_CHANCE_TAGS);
    }
    return v;
  }

  /** Source-NATs a new flow (full NAT, hairpin fix) or links it for its replies; a drop verdict, or 0. */
  private int setUpReturnPath(Frame frame, int slot, int handle, boolean syn) {
    boolean six = parsed.isIpv6();
    boolean snat = mode == ForwardingMode.FULL_NAT;
    if (!snat && pitfalls.newFlowIsHairpin(six, parsed.sourceAddressHigh(), parsed.sourceAddressLow())
        && config.hairpinSnat()) {
      snat = true;
      counters.bump(NatCounter.HAIRPIN_SNAT);
    }
    if (snat) {
      int translation = pool.allocate(slot, six);
      if (translation == 0) {
        table.close(slot);
        return drop(DropReason.POOL_EXHAUSTED);
      }
      table.translation(slot, translation);
      return 0;
    }
    if (syn) {
      table.translation(slot, Translation.firstSequence(sequence(frame.buffer())));
    }
    if (!replies.link(slot, handle, six, parsed.protocolNumber(), parsed.sourceAddressHigh(), parsed.sourceAddressLow(),
        parsed.sourcePort())) {
      table.close(slot);
      return drop(DropReason.TABLE_FULL);
    }
    return 0;
  }

  private long sequence(ByteBuffer b) {
    return b.getInt(parsed.l4Offset() + 4) & 0xFFFF_FFFFL;
  }

  /** A fragment's verdict, or -1 for a first fragment that takes the normal flow path. */
  private int fragment(Frame frame) {
    if (mode == ForwardingMode.FULL_NAT) {
      return drop(DropReason.FRAGMENT_UNMATCHED);
    }
    boolean six = parsed.isIpv6();
    long dstHigh = parsed.destinationAddressHigh();
    long dstLow = parsed.destinationAddressLow();
    boolean later = !parsed.firstFragment();
    if (fragments.followFirst()) {
      if (!later) {
        return -1;
      }
      // a later fragment carries no port: it belongs to a VIP of its address and protocol, and
      // follows its first fragment, which was checked against the port
      if (vips.serviceAnyPort(six, dstHigh, dstLow, parsed.protocolNumber()) < 0) {
        return drop(DropReason.NOT_FOR_VIP);
      }
      int entry = fragments.follow(parsed);
      if (entry < 0) {
        return drop(DropReason.FRAGMENT_UNMATCHED);
      }
      counters.bump(NatCounter.FRAGMENTS_FOLLOWED);
      return forwardRequest(frame, -1, Fragments.handle(entry), Fragments.vip(entry));
    }
    int vip = later ? vips.serviceAnyPort(six, dstHigh, dstLow, parsed.protocolNumber())
        : vips.service(six, dstHigh, dstLow, parsed.protocolNumber(), parsed.destinationPort());
    if (vip < 0) {
      return drop(DropReason.NOT_FOR_VIP);
    }
    int handle = fragments.hash(parsed);
    if (handle < 0) {
      return drop(DropReason.NO_BACKEND);
    }
    counters.bump(NatCounter.FRAGMENTS_HASHED);
    return forwardRequest(frame, -1, handle, vip);
  }

  private int forwardRequest(Frame frame, int slot, int handle, int vip) {
    boolean first = fragments.followFirst() && parsed.fragment() && parsed.firstFragment();
    // read before the rewrite changes them: later fragments are looked up by the client's addresses
    boolean six = parsed.isIpv6();
    long srcHigh = parsed.sourceAddressHigh();
    long srcLow = parsed.sourceAddressLow();
    long dstHigh = parsed.destinationAddressHigh();
    long dstLow = parsed.destinationAddressLow();
    int mtu = link.servers().mtu();
    if (mode != ForwardingMode.DSR_IPIP && parsed.l3End() - parsed.l3Offset() > mtu) {
      return icmp.tooBig(frame, mtu);
    }
    int v = rewriteRequest(frame, slot, handle, vip);
    if (Verdict.action(v) == Verdict.FORWARD) {
      counters.bump(NatCounter.FORWARDED_REQUESTS);
      // a source-NATed (hairpin) flow is not recorded: its later fragments would need the flow's
      // SNAT address, which the fragment table does not keep, so they are dropped as unmatched
      if (first && (slot < 0 || !Translation.isSnat(table.translation(slot)))) {
        fragments.recordFirst(six, parsed.protocolNumber(), srcHigh, srcLow, dstHigh, dstLow,
            parsed.fragmentIdentification(), handle, vip);
        counters.bump(NatCounter.FIRST_FRAGMENTS_RECORDED);
      }
    }
    return v;
  }

  /**
   * Rewrites a request (or an ICMP error about a reply, in the DSR modes) for the mode and addresses it.
   *
   * @param frame the frame, parsed into {@link #parsed}
   * @param slot its flow, or -1 when forwarded without state
   * @param handle the backend
   * @param vip the VIP index
   * @return the verdict
   */
  abstract int rewriteRequest(Frame frame, int slot, int handle, int vip);

  // ---------------------------------------------------------------- replies

  private int reply(Frame frame) {
    if (!mode.repliesPassBalancer()) {
      return drop(DropReason.UNSUPPORTED);
    }
    if (Addresses.group(parsed.isIpv6(), parsed.destinationAddressHigh(), parsed.destinationAddressLow())) {
      // a flow's client is one host: a frame to a group is the link's own chatter (MLD reports and
      // router solicitations that a bridge without a querier floods, mDNS), not a reply gone astray
      return drop(DropReason.NOT_FOR_VIP);
    }
    if (parsed.fragment()) {
      return drop(DropReason.FRAGMENT_UNMATCHED);
    }
    if (parsed.icmpError()) {
      return serverIcmpError(frame);
    }
    int slot = replies.find(parsed.protocolNumber(), parsed.isIpv6(), parsed.sourceAddressHigh(),
        parsed.sourceAddressLow(), parsed.sourcePort(), parsed.destinationAddressHigh(),
        parsed.destinationAddressLow(), parsed.destinationPort());
    if (slot < 0) {
      return drop(DropReason.NO_FLOW);
    }
    NatPort out = link.portTowards(parsed.isIpv6(), table.address(slot, 0), table.address(slot, 1));
    if (parsed.l3End() - parsed.l3Offset() > out.mtu()) {
      return icmp.tooBig(frame, out.mtu());
    }
    table.touch(slot, parsed.tcpFlags(), false, frame.length());
    int t = table.translation(slot);
    if (!Translation.replySeen(t)) {
      table.translation(slot, t | Translation.REPLY_SEEN);
    }
    pitfalls.replyPassed(t);
    if (!prepareReply(frame)) {
      return icmp.timeExceeded(frame);
    }
    rewriteReply(frame, slot);
    int v = addressReply(frame, slot);
    if (Verdict.action(v) == Verdict.FORWARD) {
      counters.bump(NatCounter.FORWARDED_REPLIES);
    }
    return v;
  }

  /** Before a reply (or an error towards a client) is rewritten: false when its TTL expires here (router). */
  boolean prepareReply(Frame frame) {
    return true;
  }

  /** Rewrites a reply's addresses and ports back to what the client expects; replies pass the balancer. */
  void rewriteReply(Frame frame, int slot) {
    throw new UnsupportedOperationException(mode.modeName() + " has no replies through the balancer");
  }

  /** Addresses a rewritten reply (or error) to the flow's client: by default routed, on-link or via the gateway. */
  int addressReply(Frame frame, int slot) {
    return link.toAddress(frame.buffer(), frame.offset(), table.ipv6(slot), table.address(slot, 0), table.address(slot, 1));
  }

  // ---------------------------------------------------------------- ICMP errors crossing the balancer

  /**
   * An ICMP error about a reply the VIP sent (the quoted packet is VIP to client), from the client
   * or a router on the way to it (fragmentation needed, packet too big: the client side's path MTU):
   * forwarded to the flow's backend, the quoted source turned back into what the backend sent. It
   * belongs to the VIP whose service sent the quoted packet, whatever port the VIP serves. In the
   * DSR modes an error about a flow forwarded without state goes where the consistent hash sends
   * that flow, as Katran does.
   */
  private int clientIcmpError(Frame frame) {
    if (parsed.parseQuoted() != FrameParser.OK) {
      return drop(DropReason.ICMP_UNMATCHED);
    }
    boolean six = parsed.isIpv6();
    int proto = parsed.innerProtocol();
    int vip = vips.service(six, parsed.innerSourceAddressHigh(), parsed.innerSourceAddressLow(), proto,
        parsed.innerSourcePort());
    if (vip < 0) {
      return drop(DropReason.NOT_FOR_VIP);
    }
    if (six) {
      quotedFlow.setV6(proto, parsed.innerDestinationAddressHigh(), parsed.innerDestinationAddressLow(),
          parsed.innerDestinationPort(), parsed.innerSourceAddressHigh(), parsed.innerSourceAddressLow(),
          parsed.innerSourcePort());
    } else {
      quotedFlow.setV4(proto, (int) parsed.innerDestinationAddressLow(), parsed.innerDestinationPort(),
          (int) parsed.innerSourceAddressLow(), parsed.innerSourcePort());
    }
    int slot = table.lookup(quotedFlow);
    int handle;
    if (slot >= 0) {
      handle = table.backend(slot);
    } else if (!mode.repliesPassBalancer()) {
      Backend be = scheduler.select(quotedFlow);
      if (be == null) {
        return drop(DropReason.ICMP_UNMATCHED);
      }
      handle = backends.handleOf(be);
    } else {
      return drop(DropReason.ICMP_UNMATCHED);
    }
    int v;
    if (!mode.repliesPassBalancer()) {
      // the server sent the quoted reply from the VIP itself: nothing inside changes
      v = rewriteRequest(frame, slot, handle, vip);
    } else {
      v = translateClientError(frame, slot, handle);
    }
    if (Verdict.action(v) == Verdict.FORWARD) {
      counters.bump(NatCounter.ICMP_ERRORS_TRANSLATED);
      counters.bump(NatCounter.FORWARDED_REQUESTS);
    }
    return v;
  }

  private int translateClientError(Frame frame, int slot, int handle) {
    if (!prepareRequestError(frame)) {
      return drop(DropReason.TTL_EXCEEDED);
    }
    ByteBuffer b = frame.buffer();
    int t = table.translation(slot);
    icmp.quotedSource(b, backends.high(handle), backends.low(handle), replies.backendPort(slot, handle));
    if (Translation.isSnat(t)) {
      int a = Translation.poolIndex(t);
      icmp.quotedDestination(b, pool.high(a), pool.low(a), Translation.port(t));
      rewrites.source(b, pool.high(a), pool.low(a));
    }
    rewrites.destination(b, backends.high(handle), backends.low(handle));
    icmp.finishChecksum(b);
    return link.toBackend(b, frame.offset(), backends, handle);
  }

  /** Before an error towards a server is forwarded: false when its TTL expires here (router). */
  boolean prepareRequestError(Frame frame) {
    return true;
  }

  /** An ICMP error about a request, from the server or a router on its side: sent to the client with the VIP restored. */
  private int serverIcmpError(Frame frame) {
    if (parsed.parseQuoted() != FrameParser.OK) {
      return drop(DropReason.ICMP_UNMATCHED);
    }
    int slot = replies.find(parsed.innerProtocol(), parsed.isIpv6(), parsed.innerDestinationAddressHigh(),
        parsed.innerDestinationAddressLow(), parsed.innerDestinationPort(), parsed.innerSourceAddressHigh(),
        parsed.innerSourceAddressLow(), parsed.innerSourcePort());
    if (slot < 0) {
      return drop(DropReason.ICMP_UNMATCHED);
    }
    if (!prepareReply(frame)) {
      return drop(DropReason.TTL_EXCEEDED);
    }
    ByteBuffer b = frame.buffer();
    long vipHigh = table.address(slot, 2);
    long vipLow = table.address(slot, 3);
    icmp.quotedDestination(b, vipHigh, vipLow, table.destinationPort(slot));
    if (Translation.isSnat(table.translation(slot))) {
      icmp.quotedSource(b, table.address(slot, 0), table.address(slot, 1), table.sourcePort(slot));
      rewrites.destination(b, table.address(slot, 0), table.address(slot, 1));
    }
    rewrites.source(b, vipHigh, vipLow);
    icmp.finishChecksum(b);
    int v = addressReply(frame, slot);
    if (Verdict.action(v) == Verdict.FORWARD) {
      counters.bump(NatCounter.ICMP_ERRORS_TRANSLATED);
      counters.bump(NatCounter.FORWARDED_REPLIES);
    }
    return v;
  }
}
