package io.github.lb4j.nat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.api.Direction;
import io.github.lb4j.nat.flow.FlowState;
import io.github.lb4j.nat.flow.FlowTable;
import io.github.lb4j.nat.header.ArpFlyweight;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.EthernetFlyweight;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.Icmpv4Flyweight;
import io.github.lb4j.nat.header.Icmpv6Flyweight;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * What every forwarding mode shares: parse once, answer ARP and neighbor solicitations for the VIPs
 * and ICMP echo requests to them, balance new flows through the scheduler into the flow table (with
 * the Katran stateless fallback), find replies from their reply key, translate ICMP errors that
 * quote a tracked flow, balance fragments (later fragments follow the first through a fragment
 * table, or all are hashed on the 3-tuple), detect the seed's pitfalls (S6.1, S6.2),
 * and the RFC 1624 address and port rewrites the modes build on. Subclasses implement the mode's
 * rewrite of a request and, where replies pass the balancer, of a reply.
 *
 * <p>One thread (the datapath worker); never allocates on the packet path except the first time a
 * backend is seen; never blocks.
 */
abstract class BaseTranslator implements PacketTranslator {

  static final int SNAT_FLAG = 1 << 31;
  static final int REPLY_SEEN = 1 << 30;
  static final int S61_COUNTED = 1 << 29;
  private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

  final NatConfig config;
  final ForwardingMode mode;
  final FlowTable table;
  final Scheduler scheduler;
  final SessionCounters sessions;
  final FrameParser p = new FrameParser();
  final MutableFlowKey key = new MutableFlowKey();
  final long lbMac;
  final long clientGatewayMac;
  final int clientPort;
  final int serverPort;
  final boolean hasLbV4;
  final int lbV4;
  final boolean hasLbV6;
  final long lbV6Hi;
  final long lbV6Lo;

  private final boolean[] vipV6;
  final long[] vipHi;
  final long[] vipLo;
  private final int[] vipProto;
  private final int[] vipPort;
  final int[] vipDscp;

  private Backend[] known = new Backend[0];
  boolean[] bV6 = new boolean[0];
  long[] bHi = new long[0];
  long[] bLo = new long[0];
  int[] bPort = new int[0];
  long[] bMac = new long[0];

  private final boolean[] subnetV6;
  private final long[] subnetHi;
  private final long[] subnetLo;
  private final long[] maskHi;
  private final long[] maskLo;

  final boolean[] poolV6;
  final long[] poolHi;
  final long[] poolLo;
  private final int[][] portOwner;
  private final int[] portCursor;
  private final int portLow;
  private final int portHigh;

  private final boolean followFirst;
  private final FragmentTable fragments;

  private final long[] counts = new long[NatCounter.values().length];
  private final long[] dropCounts = new long[64];

  BaseTranslator(NatConfig config) {
    this.config = config;
    this.mode = config.mode();
    this.scheduler = config.scheduler();
    this.sessions = scheduler.sessions();
    this.table = new FlowTable(config.flowTable());
    this.lbMac = config.balancerMac();
    this.clientGatewayMac = config.clientGatewayMac();
    this.clientPort = config.clientPort();
    this.serverPort = config.serverPort();
    InetAddress v4 = config.balancerIpv4();
    InetAddress v6 = config.balancerIpv6();
    this.hasLbV4 = v4 != null;
    this.lbV4 = v4 != null ? IpAddresses.v4(v4) : 0;
    this.hasLbV6 = v6 != null;
    this.lbV6Hi = v6 != null ? IpAddresses.high(v6) : 0;
    this.lbV6Lo = v6 != null ? IpAddresses.low(v6) : 0;
    List<NatConfig.Vip> vips = config.vips();
    int n = vips.size();
    vipV6 = new boolean[n];
    vipHi = new long[n];
    vipLo = new long[n];
    vipProto = new int[n];
    vipPort = new int[n];
    vipDscp = new int[n];
    for (int i = 0; i < n; i++) {
      NatConfig.Vip v = vips.get(i);
      vipV6[i] = !IpAddresses.isV4(v.address());
      vipHi[i] = IpAddresses.high(v.address());
      vipLo[i] = IpAddresses.low(v.address());
      vipProto[i] = v.protocol();
      vipPort[i] = v.port();
      vipDscp[i] = v.dscp();
    }
    List<NatConfig.Subnet> subnets = config.serverSubnets();
    int s = subnets.size();
    subnetV6 = new boolean[s];
    subnetHi = new long[s];
    subnetLo = new long[s];
    maskHi = new long[s];
    maskLo = new long[s];
    for (int i = 0; i < s; i++) {
      NatConfig.Subnet sn = subnets.get(i);
      boolean six = !IpAddresses.isV4(sn.prefix());
      int bits = six ? sn.length() : 96 + sn.length();
      subnetV6[i] = six;
      maskHi[i] = bits == 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
      maskLo[i] = bits <= 64 ? 0 : bits == 128 ? -1L : -1L << (128 - bits);
      subnetHi[i] = IpAddresses.high(sn.prefix()) & maskHi[i];
      subnetLo[i] = IpAddresses.low(sn.prefix()) & maskLo[i];
    }
    List<InetAddress> pool = config.snatPool();
    int m = pool.size();
    poolV6 = new boolean[m];
    poolHi = new long[m];
    poolLo = new long[m];
    portOwner = new int[m][];
    portCursor = new int[m];
    for (int i = 0; i < m; i++) {
      poolV6[i] = !IpAddresses.isV4(pool.get(i));
      poolHi[i] = IpAddresses.high(pool.get(i));
      poolLo[i] = IpAddresses.low(pool.get(i));
      portOwner[i] = new int[65_536];
      portCursor[i] = config.snatPortLow();
    }
    this.portLow = config.snatPortLow();
    this.portHigh = config.snatPortHigh();
    this.followFirst = config.fragments() == FragmentPolicy.FOLLOW_FIRST;
    this.fragments = new FragmentTable(followFirst ? config.fragmentTableCapacity() : 1, config.fragmentTimeoutNanos(),
        config.flowTable().clock());
    table.onMove(this::slotMoved);
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
    return (long) COUNTS.getOpaque(counts, counter.ordinal());
  }

  @Override
  public final long drops(DropReason reason) {
    return (long) COUNTS.getOpaque(dropCounts, reason.code());
  }

  final void bump(NatCounter c) {
    int i = c.ordinal();
    COUNTS.setOpaque(counts, i, counts[i] + 1);
  }

  final int drop(DropReason reason) {
    int i = reason.code();
    COUNTS.setOpaque(dropCounts, i, dropCounts[i] + 1);
    return Verdict.drop(reason);
  }

  private int drop(int code) {
    DropReason r = DropReason.ofCode(code);
    return drop(r == null ? DropReason.MALFORMED : r);
  }

  @Override
  public final int translate(Frame frame, Direction direction) {
    ByteBuffer b = frame.buffer();
    int r = p.parse(b, frame.offset(), frame.length());
    if (r != FrameParser.OK) {
      return drop(r);
    }
    if (p.etherType() == EthernetFlyweight.ETHER_TYPE_ARP) {
      return arp(frame);
    }
    if (p.isIpv6() && p.icmpType() == Icmpv6Flyweight.TYPE_NEIGHBOR_SOLICITATION && p.protocolNumber() == 58) {
      return neighborAdvertisement(frame);
    }
    return direction == Direction.CLIENT_TO_SERVER ? request(frame) : reply(frame);
  }

  // ---------------------------------------------------------------- requests

  private int request(Frame frame) {
    int vip = findVip(p.isIpv6(), p.destinationAddressHigh(), p.destinationAddressLow(), p.protocolNumber(),
        p.destinationPort());
    if (vip < 0) {
      return drop(DropReason.NOT_FOR_VIP);
    }
    int proto = p.protocolNumber();
    if (isEchoRequest()) {
      return echoReply(frame);
    }
    if (p.icmpError()) {
      return clientIcmpError(frame, vip);
    }
    if (p.fragment() && (!followFirst || !p.firstFragment() || mode == ForwardingMode.FULL_NAT)) {
      return fragment(frame, vip);
    }
    int slot = table.lookup(p);
    int flags = p.tcpFlags();
    boolean syn = proto == 6 && (flags & (TcpFlyweight.SYN | TcpFlyweight.ACK)) == TcpFlyweight.SYN;
    int handle;
    if (slot >= 0) {
      handle = table.backend(slot);
      if (syn && mode.repliesPassBalancer() && table.state(slot) == FlowState.SYN_RECV) {
        detectAsymmetricReturn(slot);
      }
      table.touch(slot, flags, true, frame.length());
    } else {
      if (proto == 6 && !syn) {
        if (mode.repliesPassBalancer()) {
          return drop(DropReason.NO_FLOW);
        }
        Backend be = scheduler.select(p);
        if (be == null) {
          return drop(DropReason.NO_BACKEND);
        }
        bump(NatCounter.STATELESS_FORWARDS);
        return forwardRequest(frame, -1, handleOf(be), vip);
      }
      Backend be = scheduler.select(p);
      if (be == null) {
        return drop(DropReason.NO_BACKEND);
      }
      handle = handleOf(be);
      if (bV6[handle] != p.isIpv6() && mode != ForwardingMode.DSR_IPIP && mode != ForwardingMode.DSR_L2) {
        return drop(DropReason.UNSUPPORTED);
      }
      int state = proto == 6 ? FlowState.SYN_RECV : proto == 17 ? FlowState.UDP
          : proto == 1 || proto == 58 ? FlowState.ICMP : FlowState.OTHER;
      // Where replies pass the balancer a flow without state could not have its reply translated:
      // above the new-flow rate such flows keep getting state (FlowTable.admit) instead of none.
      slot = mode.repliesPassBalancer() ? table.admit(p, handle, state, 0) : table.open(p, handle, state, 0);
      if (slot < 0) {
        if (mode.repliesPassBalancer() && slot == FlowTable.FULL) {
          return drop(DropReason.TABLE_FULL);
        }
        bump(NatCounter.STATELESS_FORWARDS);
        return forwardRequest(frame, -1, handle, vip);
      }
      table.touch(slot, flags, true, frame.length());
      if (mode.repliesPassBalancer()) {
        boolean snat = mode == ForwardingMode.FULL_NAT;
        if (mode != ForwardingMode.FULL_NAT && isInServerSubnet()) {
          bump(NatCounter.S6_2_HAIRPIN);
          if (config.hairpinSnat()) {
            snat = true;
            bump(NatCounter.HAIRPIN_SNAT);
          }
        }
        if (snat) {
          int code = allocatePort(slot, p.isIpv6());
          if (code == 0) {
            table.close(slot);
            return drop(DropReason.POOL_EXHAUSTED);
          }
          table.translation(slot, code);
        } else if (!linkReply(slot, handle)) {
          table.close(slot);
          return drop(DropReason.TABLE_FULL);
        }
      }
    }
    return forwardRequest(frame, slot, handle, vip);
  }

  private int forwardRequest(Frame frame, int slot, int handle, int vip) {
    boolean first = followFirst && p.fragment() && p.firstFragment();
    // read before the rewrite changes them: later fragments are looked up by the client's addresses
    boolean six = p.isIpv6();
    long sHi = p.sourceAddressHigh();
    long sLo = p.sourceAddressLow();
    long dHi = p.destinationAddressHigh();
    long dLo = p.destinationAddressLow();
    int v = rewriteRequest(frame, slot, handle, vip);
    if (Verdict.action(v) == Verdict.FORWARD) {
      bump(NatCounter.FORWARDED_REQUESTS);
      // a source-NATed (hairpin) flow is not recorded: its later fragments would need the flow's
      // SNAT address, which the table does not keep, so they are dropped as unmatched
      if (first && (slot < 0 || (table.translation(slot) & SNAT_FLAG) == 0)) {
        fragments.put(six, p.protocolNumber(), sHi, sLo, dHi, dLo, p.fragmentIdentification(), handle);
        bump(NatCounter.FIRST_FRAGMENTS_RECORDED);
      }
    }
    return v;
  }

  /**
   * Rewrites a request for the mode.
   *
   * @param frame the frame, parsed into {@link #p}
   * @param slot its flow, or -1 when forwarded without state
   * @param handle the backend
   * @param vip the VIP index
   * @return the verdict
   */
  abstract int rewriteRequest(Frame frame, int slot, int handle, int vip);

  /**
   * Rewrites a reply for the mode; only modes whose replies pass the balancer are asked.
   *
   * @param frame the frame, parsed into {@link #p}
   * @param slot its flow
   * @return the verdict
   */
  int rewriteReply(Frame frame, int slot) {
    return drop(DropReason.UNSUPPORTED);
  }

  private void detectAsymmetricReturn(int slot) {
    int t = table.translation(slot);
    if ((t & (REPLY_SEEN | S61_COUNTED)) == 0 && table.packets(slot) >= 1) {
      bump(NatCounter.S6_1_ASYMMETRIC_RETURN);
      table.translation(slot, t | S61_COUNTED);
    }
  }

  private boolean isInServerSubnet() {
    boolean six = p.isIpv6();
    long hi = p.sourceAddressHigh();
    long lo = p.sourceAddressLow();
    for (int i = 0; i < subnetV6.length; i++) {
      if (subnetV6[i] == six && (hi & maskHi[i]) == subnetHi[i] && (lo & maskLo[i]) == subnetLo[i]) {
        return true;
      }
    }
    for (int h = 0; h < known.length; h++) {
      if (known[h] != null && bV6[h] == six && bHi[h] == hi && bLo[h] == lo) {
        return true;
      }
    }
    return false;
  }

  private int fragment(Frame frame, int vip) {
    if (mode == ForwardingMode.FULL_NAT) {
      return drop(DropReason.FRAGMENT_UNMATCHED);
    }
    if (followFirst) {
      // a later fragment (no transport header): rewritten at the IP layer as its first fragment was
      int handle = fragments.get(p.isIpv6(), p.protocolNumber(), p.sourceAddressHigh(), p.sourceAddressLow(),
          p.destinationAddressHigh(), p.destinationAddressLow(), p.fragmentIdentification());
      if (handle < 0 || handle >= known.length || known[handle] == null) {
        return drop(DropReason.FRAGMENT_UNMATCHED);
      }
      bump(NatCounter.FRAGMENTS_FOLLOWED);
      return forwardRequest(frame, -1, handle, vip);
    }
    // Fragments of a datagram carry ports only in the first one, so every fragment (first or not)
    // is balanced on protocol and addresses alone, statelessly: all land on one backend.
    if (p.isIpv6()) {
      key.setV6(p.protocolNumber(), p.sourceAddressHigh(), p.sourceAddressLow(), 0, p.destinationAddressHigh(),
          p.destinationAddressLow(), 0);
    } else {
      key.setV4(p.protocolNumber(), p.sourceAddressV4(), 0, p.destinationAddressV4(), 0);
    }
    Backend be = scheduler.select(key);
    if (be == null) {
      return drop(DropReason.NO_BACKEND);
    }
    bump(NatCounter.FRAGMENTS_HASHED);
    return forwardRequest(frame, -1, handleOf(be), vip);
  }

  // ---------------------------------------------------------------- replies

  private int reply(Frame frame) {
    if (!mode.repliesPassBalancer()) {
      return drop(DropReason.UNSUPPORTED);
    }
    if (p.fragment()) {
      return drop(DropReason.FRAGMENT_UNMATCHED);
    }
    if (p.icmpError()) {
      return serverIcmpError(frame);
    }
    int slot = findReply(p.protocolNumber(), p.isIpv6(), p.sourceAddressHigh(), p.sourceAddressLow(), p.sourcePort(),
        p.destinationAddressHigh(), p.destinationAddressLow(), p.destinationPort());
    if (slot < 0) {
      return drop(DropReason.NO_FLOW);
    }
    table.touch(slot, p.tcpFlags(), false, frame.length());
    int t = table.translation(slot);
    if ((t & REPLY_SEEN) == 0) {
      table.translation(slot, t | REPLY_SEEN);
    }
    int v = rewriteReply(frame, slot);
    if (Verdict.action(v) == Verdict.FORWARD) {
      bump(NatCounter.FORWARDED_REPLIES);
    }
    return v;
  }

  /** Finds the flow of a reply key (server to client or to a SNAT address). */
  final int findReply(int proto, boolean six, long srcHi, long srcLo, int sport, long dstHi, long dstLo, int dport) {
    for (int a = 0; a < poolHi.length; a++) {
      if (poolV6[a] == six && poolHi[a] == dstHi && poolLo[a] == dstLo) {
        int owner = portOwner[a][dport] - 1;
        int code = SNAT_FLAG | a << 16 | dport;
        if (owner >= 0 && table.state(owner) != FlowState.FREE && (table.translation(owner) & ~(REPLY_SEEN | S61_COUNTED)) == code
            && !table.isExpired(owner) && table.protocol(owner) == proto && replySourceMatches(owner, srcHi, srcLo, sport)) {
          return owner;
        }
        return FlowTable.MISSING;
      }
    }
    // The table stores a flow under its client side, which is the reply's destination (IPVS).
    for (int slot = table.nextByClient(proto, six, dstHi, dstLo, dport, FlowTable.MISSING); slot >= 0;
        slot = table.nextByClient(proto, six, dstHi, dstLo, dport, slot)) {
      if (replySourceMatches(slot, srcHi, srcLo, sport)) {
        return slot;
      }
    }
    return FlowTable.MISSING;
  }

  private boolean replySourceMatches(int slot, long srcHi, long srcLo, int sport) {
    int h = table.backend(slot);
    return h < bHi.length && bHi[h] == srcHi && bLo[h] == srcLo && backendPort(slot, h) == sport;
  }

  final int backendPort(int slot, int handle) {
    int port = bPort[handle];
    return port != 0 ? port : table.destinationPort(slot);
  }

  private boolean linkReply(int slot, int handle) {
    int proto = p.protocolNumber();
    int rport = backendPort(slot, handle);
    if (p.isIpv6()) {
      key.setV6(proto, bHi[handle], bLo[handle], rport, p.sourceAddressHigh(), p.sourceAddressLow(), p.sourcePort());
    } else {
      key.setV4(proto, (int) bLo[handle], rport, p.sourceAddressV4(), p.sourcePort());
    }
    return table.linkReverse(slot, table.reverseHash(key));
  }

  // ---------------------------------------------------------------- source NAT ports

  /** Allocates a pool address and port for a flow; 0 when the pool is exhausted. */
  private int allocatePort(int slot, boolean six) {
    int range = portHigh - portLow + 1;
    for (int a = 0; a < poolHi.length; a++) {
      if (poolV6[a] != six) {
        continue;
      }
      int[] owners = portOwner[a];
      int port = portCursor[a];
      for (int n = 0; n < range; n++) {
        if (++port > portHigh) {
          port = portLow;
        }
        int owner = owners[port] - 1;
        int code = SNAT_FLAG | a << 16 | port;
        // A port is reused only once the flow holding it is gone or expired.
        if (owner < 0 || table.state(owner) == FlowState.FREE
            || (table.translation(owner) & ~(REPLY_SEEN | S61_COUNTED)) != code || table.isExpired(owner)) {
          owners[port] = slot + 1;
          portCursor[a] = port;
          return code;
        }
      }
    }
    return 0;
  }

  private void slotMoved(int from, int to, int translation) {
    if ((translation & SNAT_FLAG) != 0) {
      int a = snatIndex(translation);
      int port = translation & 0xFFFF;
      if (a < portOwner.length && portOwner[a][port] == from + 1) {
        portOwner[a][port] = to + 1;
      }
    }
  }

  static int snatIndex(int translation) {
    return (translation >>> 16) & 0x1FFF;
  }

  // ---------------------------------------------------------------- backends

  final int handleOf(Backend be) {
    int h = sessions.of(be.id()).handle();
    if (h >= known.length || known[h] != be) {
      learn(h, be);
    }
    return h;
  }

  private void learn(int h, Backend be) {
    if (h >= known.length) {
      int n = Math.max(h + 1, known.length * 2);
      known = Arrays.copyOf(known, n);
      bV6 = Arrays.copyOf(bV6, n);
      bHi = Arrays.copyOf(bHi, n);
      bLo = Arrays.copyOf(bLo, n);
      bPort = Arrays.copyOf(bPort, n);
      bMac = Arrays.copyOf(bMac, n);
    }
    known[h] = be;
    bV6[h] = !IpAddresses.isV4(be.address());
    bHi[h] = IpAddresses.high(be.address());
    bLo[h] = IpAddresses.low(be.address());
    bPort[h] = be.port();
    MacAddress mac = be.mac();
    bMac[h] = mac == null ? 0 : mac.toLong();
  }

  final int findVip(boolean six, long hi, long lo, int proto, int port) {
    for (int i = 0; i < vipLo.length; i++) {
      if (vipLo[i] == lo && vipHi[i] == hi && vipV6[i] == six && (vipProto[i] == 0 || vipProto[i] == proto)
          && (vipPort[i] == 0 || vipPort[i] == port || proto == 1 || proto == 58)) {
        return i;
      }
    }
    return -1;
  }

  // ---------------------------------------------------------------- header rewrites (RFC 1624)

  final void setDestination(ByteBuffer b, long hi, long lo) {
    int l3 = p.l3Offset();
    if (!p.isIpv6()) {
      int old = b.getInt(l3 + 16);
      int now = (int) lo;
      b.putInt(l3 + 16, now);
      b.putShort(l3 + 10, (short) Checksums.update32(b.getShort(l3 + 10) & 0xFFFF, old, now));
      l4Update32(b, old, now);
    } else {
      long oh = b.getLong(l3 + 24);
      long ol = b.getLong(l3 + 32);
      b.putLong(l3 + 24, hi);
      b.putLong(l3 + 32, lo);
      l4Update64(b, oh, hi);
      l4Update64(b, ol, lo);
    }
  }

  final void setSource(ByteBuffer b, long hi, long lo) {
    int l3 = p.l3Offset();
    if (!p.isIpv6()) {
      int old = b.getInt(l3 + 12);
      int now = (int) lo;
      b.putInt(l3 + 12, now);
      b.putShort(l3 + 10, (short) Checksums.update32(b.getShort(l3 + 10) & 0xFFFF, old, now));
      l4Update32(b, old, now);
    } else {
      long oh = b.getLong(l3 + 8);
      long ol = b.getLong(l3 + 16);
      b.putLong(l3 + 8, hi);
      b.putLong(l3 + 16, lo);
      l4Update64(b, oh, hi);
      l4Update64(b, ol, lo);
    }
  }

  final void setPort(ByteBuffer b, int at, int port) {
    int proto = p.protocolNumber();
    if (p.l4HeaderLength() == 0 || (proto != 6 && proto != 17)) {
      return;
    }
    int l4 = p.l4Offset();
    int old = b.getShort(l4 + at) & 0xFFFF;
    if (old == port) {
      return;
    }
    b.putShort(l4 + at, (short) port);
    int c = proto == 6 ? 16 : 6;
    int cs = b.getShort(l4 + c) & 0xFFFF;
    int next = proto == 17 && !p.isIpv6() ? Checksums.updateUdp16(cs, old, port) : Checksums.update16(cs, old, port);
    b.putShort(l4 + c, (short) (proto == 17 && next == 0 && p.isIpv6() ? 0xFFFF : next));
  }

  private void l4Update32(ByteBuffer b, int old, int now) {
    if (p.l4HeaderLength() == 0) {
      return;
    }
    int l4 = p.l4Offset();
    int proto = p.protocolNumber();
    if (proto == 6) {
      b.putShort(l4 + 16, (short) Checksums.update32(b.getShort(l4 + 16) & 0xFFFF, old, now));
    } else if (proto == 17) {
      b.putShort(l4 + 6, (short) Checksums.updateUdp32(b.getShort(l4 + 6) & 0xFFFF, old, now));
    }
  }

  private void l4Update64(ByteBuffer b, long old, long now) {
    if (p.l4HeaderLength() == 0) {
      return;
    }
    int l4 = p.l4Offset();
    int proto = p.protocolNumber();
    int at = proto == 6 ? 16 : proto == 17 ? 6 : proto == 58 ? 2 : -1;
    if (at >= 0) {
      int c = Checksums.update64(b.getShort(l4 + at) & 0xFFFF, old, now);
      b.putShort(l4 + at, (short) (c == 0 && proto == 17 ? 0xFFFF : c));
    }
  }

  /** Decrements TTL or hop limit; false when it would reach zero (the caller answers time exceeded). */
  final boolean decrementTtl(ByteBuffer b) {
    int l3 = p.l3Offset();
    if (p.isIpv6()) {
      int hops = b.get(l3 + 7) & 0xFF;
      if (hops <= 1) {
        return false;
      }
      b.put(l3 + 7, (byte) (hops - 1));
      return true;
    }
    int word = b.getShort(l3 + 8) & 0xFFFF;
    if ((word >>> 8) <= 1) {
      return false;
    }
    int next = word - 0x100;
    b.putShort(l3 + 8, (short) next);
    b.putShort(l3 + 10, (short) Checksums.update16(b.getShort(l3 + 10) & 0xFFFF, word, next));
    return true;
  }

  final void setDscp(ByteBuffer b, int dscp) {
    int l3 = p.l3Offset();
    if (p.isIpv6()) {
      int w = b.getInt(l3);
      b.putInt(l3, (w & 0xF03F_FFFF) | (dscp & 0x3F) << 22);
      return;
    }
    int word = b.getShort(l3) & 0xFFFF;
    int next = (word & 0xFF03) | (dscp & 0x3F) << 2;
    b.putShort(l3, (short) next);
    b.putShort(l3 + 10, (short) Checksums.update16(b.getShort(l3 + 10) & 0xFFFF, word, next));
  }

  final void macs(ByteBuffer b, int frameOffset, long destination, long source) {
    EthernetFlyweight.destination(b, frameOffset, destination);
    EthernetFlyweight.source(b, frameOffset, source);
  }

  // ---------------------------------------------------------------- answers: ARP, ND, echo

  private boolean ownsV4(int address) {
    if (hasLbV4 && address == lbV4) {
      return true;
    }
    long lo = IpAddresses.V4_MAPPED | (address & 0xFFFF_FFFFL);
    for (int i = 0; i < vipLo.length; i++) {
      if (vipLo[i] == lo && vipHi[i] == 0) {
        return true;
      }
    }
    for (int a = 0; a < poolLo.length; a++) {
      if (poolLo[a] == lo && poolHi[a] == 0) {
        return true;
      }
    }
    return false;
  }

  private boolean ownsV6(long hi, long lo) {
    if (hasLbV6 && hi == lbV6Hi && lo == lbV6Lo) {
      return true;
    }
    for (int i = 0; i < vipLo.length; i++) {
      if (vipLo[i] == lo && vipHi[i] == hi) {
        return true;
      }
    }
    for (int a = 0; a < poolLo.length; a++) {
      if (poolLo[a] == lo && poolHi[a] == hi) {
        return true;
      }
    }
    return false;
  }

  private int arp(Frame frame) {
    ByteBuffer b = frame.buffer();
    int l3 = p.l3Offset();
    if ((b.getShort(l3 + ArpFlyweight.OPERATION_OFFSET) & 0xFFFF) != ArpFlyweight.OPERATION_REQUEST) {
      return drop(DropReason.POLICY);
    }
    int target = b.getInt(l3 + ArpFlyweight.TARGET_PROTOCOL_ADDRESS_OFFSET);
    if (!ownsV4(target)) {
      return drop(DropReason.POLICY);
    }
    int off = frame.offset();
    long sha = EthernetFlyweight.source(b, off);
    ArpFlyweight arp = arpFlyweight;
    arp.wrap(b, l3);
    int spa = arp.senderProtocolAddress();
    long requesterMac = arp.senderHardwareAddress();
    arp.operation(ArpFlyweight.OPERATION_REPLY).targetHardwareAddress(requesterMac).targetProtocolAddress(spa)
        .senderHardwareAddress(lbMac).senderProtocolAddress(target);
    macs(b, off, sha, lbMac);
    bump(NatCounter.ARP_REPLIES);
    return Verdict.reply();
  }

  private final ArpFlyweight arpFlyweight = new ArpFlyweight();

  private int neighborAdvertisement(Frame frame) {
    ByteBuffer b = frame.buffer();
    int l3 = p.l3Offset();
    int l4 = p.l4Offset();
    if (p.l3End() - l4 < 24) {
      return drop(DropReason.TRUNCATED);
    }
    long th = b.getLong(l4 + Icmpv6Flyweight.TARGET_ADDRESS_OFFSET);
    long tl = b.getLong(l4 + Icmpv6Flyweight.TARGET_ADDRESS_OFFSET + 8);
    if (!ownsV6(th, tl)) {
      return drop(DropReason.POLICY);
    }
    if (l4 + 32 > b.capacity()) {
      return drop(DropReason.TRUNCATED);
    }
    int off = frame.offset();
    long requester = EthernetFlyweight.source(b, off);
    long srcHi = p.sourceAddressHigh();
    long srcLo = p.sourceAddressLow();
    boolean unspecified = srcHi == 0 && srcLo == 0;
    long dstHi = unspecified ? 0xFF02_0000_0000_0000L : srcHi;
    long dstLo = unspecified ? 1L : srcLo;
    b.putShort(l3 + 4, (short) 32);
    b.put(l3 + 6, (byte) 58);
    b.put(l3 + 7, (byte) 255);
    b.putLong(l3 + 8, th);
    b.putLong(l3 + 16, tl);
    b.putLong(l3 + 24, dstHi);
    b.putLong(l3 + 32, dstLo);
    Icmpv6Flyweight na = icmpv6;
    na.wrap(b, l4);
    na.type(Icmpv6Flyweight.TYPE_NEIGHBOR_ADVERTISEMENT).code(0).checksum(0)
        .advertisementFlags((unspecified ? 0 : Icmpv6Flyweight.FLAG_SOLICITED) | Icmpv6Flyweight.FLAG_OVERRIDE)
        .targetAddress(th, tl).linkLayerAddressOption(Icmpv6Flyweight.OPTION_TARGET_LINK_LAYER_ADDRESS, lbMac);
    na.checksum(Checksums.transportChecksumV6(b, l3, l4, 32, 58));
    macs(b, off, requester, lbMac);
    frame.region(off, l4 + 32 - off);
    bump(NatCounter.NEIGHBOR_ADVERTISEMENTS);
    return Verdict.reply();
  }

  private final Icmpv6Flyweight icmpv6 = new Icmpv6Flyweight();

  private boolean isEchoRequest() {
    int t = p.icmpType();
    return p.isIpv6() ? p.protocolNumber() == 58 && t == Icmpv6Flyweight.TYPE_ECHO_REQUEST
        : p.protocolNumber() == 1 && t == Icmpv4Flyweight.TYPE_ECHO_REQUEST;
  }

  private int echoReply(Frame frame) {
    ByteBuffer b = frame.buffer();
    int off = frame.offset();
    int l3 = p.l3Offset();
    int l4 = p.l4Offset();
    long client = EthernetFlyweight.source(b, off);
    macs(b, off, client, lbMac);
    if (p.isIpv6()) {
      long sh = b.getLong(l3 + 8);
      long sl = b.getLong(l3 + 16);
      b.putLong(l3 + 8, b.getLong(l3 + 24));
      b.putLong(l3 + 16, b.getLong(l3 + 32));
      b.putLong(l3 + 24, sh);
      b.putLong(l3 + 32, sl);
      b.put(l3 + 7, (byte) 64);
      int word = b.getShort(l4) & 0xFFFF;
      int next = Icmpv6Flyweight.TYPE_ECHO_REPLY << 8 | (word & 0xFF);
      b.putShort(l4, (short) next);
      b.putShort(l4 + 2, (short) Checksums.update16(b.getShort(l4 + 2) & 0xFFFF, word, next));
    } else {
      int src = b.getInt(l3 + 12);
      b.putInt(l3 + 12, b.getInt(l3 + 16));
      b.putInt(l3 + 16, src);
      int ttlWord = b.getShort(l3 + 8) & 0xFFFF;
      int nextTtl = 64 << 8 | (ttlWord & 0xFF);
      b.putShort(l3 + 8, (short) nextTtl);
      b.putShort(l3 + 10, (short) Checksums.update16(b.getShort(l3 + 10) & 0xFFFF, ttlWord, nextTtl));
      int word = b.getShort(l4) & 0xFFFF;
      int next = Icmpv4Flyweight.TYPE_ECHO_REPLY << 8 | (word & 0xFF);
      b.putShort(l4, (short) next);
      b.putShort(l4 + 2, (short) Checksums.update16(b.getShort(l4 + 2) & 0xFFFF, word, next));
    }
    bump(NatCounter.ECHO_REPLIES);
    return Verdict.reply();
  }

  // ---------------------------------------------------------------- ICMP errors

  /**
   * An ICMP error from a client about a reply it received from the VIP (the quoted packet is
   * VIP to client): forwarded to the flow's backend, with the quoted source turned back into the
   * backend's address where the mode rewrote it.
   */
  private int clientIcmpError(Frame frame, int vip) {
    int q = p.parseQuoted();
    if (q != FrameParser.OK) {
      return drop(DropReason.ICMP_UNMATCHED);
    }
    if (p.isIpv6()) {
      key.setV6(p.innerProtocol(), p.innerDestinationAddressHigh(), p.innerDestinationAddressLow(),
          p.innerDestinationPort(), p.innerSourceAddressHigh(), p.innerSourceAddressLow(), p.innerSourcePort());
    } else {
      key.setV4(p.innerProtocol(), (int) p.innerDestinationAddressLow(), p.innerDestinationPort(),
          (int) p.innerSourceAddressLow(), p.innerSourcePort());
    }
    int slot = table.lookup(key);
    if (slot < 0) {
      return drop(DropReason.ICMP_UNMATCHED);
    }
    int handle = table.backend(slot);
    ByteBuffer b = frame.buffer();
    int off = frame.offset();
    bump(NatCounter.ICMP_ERRORS_TRANSLATED);
    switch (mode) {
      case DSR_L2:
      case DSR_IPIP:
        // the server sent the quoted reply from the VIP itself: nothing inside changes
        return forwardRequest(frame, slot, handle, vip);
      case FULL_NAT: {
        int t = table.translation(slot);
        int a = snatIndex(t);
        rewriteQuotedSourceOnly(b, bHi[handle], bLo[handle], backendPort(slot, handle));
        rewriteQuotedDestination(b, poolHi[a], poolLo[a], t & 0xFFFF);
        setSource(b, poolHi[a], poolLo[a]);
        setDestination(b, bHi[handle], bLo[handle]);
        finishIcmpChecksum(b);
        macs(b, off, bMac[handle], lbMac);
        break;
      }
      default:
        rewriteQuotedSourceOnly(b, bHi[handle], bLo[handle], backendPort(slot, handle));
        setDestination(b, bHi[handle], bLo[handle]);
        if (mode == ForwardingMode.DSR_DSCP) {
          setDscp(b, vipDscp[vip]);
        }
        finishIcmpChecksum(b);
        if (mode == ForwardingMode.TRANSPARENT) {
          EthernetFlyweight.destination(b, off, bMac[handle]);
        } else {
          macs(b, off, bMac[handle], lbMac);
        }
    }
    bump(NatCounter.FORWARDED_REQUESTS);
    return Verdict.forward(serverPort);
  }

  /** An ICMP error from a server about a request it received: sent to the client with the VIP restored. */
  private int serverIcmpError(Frame frame) {
    int q = p.parseQuoted();
    if (q != FrameParser.OK) {
      return drop(DropReason.ICMP_UNMATCHED);
    }
    int slot = findReply(p.innerProtocol(), p.isIpv6(), p.innerDestinationAddressHigh(),
        p.innerDestinationAddressLow(), p.innerDestinationPort(), p.innerSourceAddressHigh(),
        p.innerSourceAddressLow(), p.innerSourcePort());
    if (slot < 0) {
      return drop(DropReason.ICMP_UNMATCHED);
    }
    ByteBuffer b = frame.buffer();
    long vipHigh = table.address(slot, 2);
    long vipLow = table.address(slot, 3);
    int t = table.translation(slot);
    rewriteQuotedDestination(b, vipHigh, vipLow, table.destinationPort(slot));
    if ((t & SNAT_FLAG) != 0) {
      rewriteQuotedSourceOnly(b, table.address(slot, 0), table.address(slot, 1), table.sourcePort(slot));
      setDestination(b, table.address(slot, 0), table.address(slot, 1));
    }
    setSource(b, vipHigh, vipLow);
    finishIcmpChecksum(b);
    if (mode != ForwardingMode.TRANSPARENT) {
      macs(b, frame.offset(), clientGatewayMac, lbMac);
    }
    bump(NatCounter.ICMP_ERRORS_TRANSLATED);
    bump(NatCounter.FORWARDED_REPLIES);
    return Verdict.forward(clientPort);
  }

  private void rewriteQuotedSourceOnly(ByteBuffer b, long hi, long lo, int port) {
    int in = p.innerL3Offset();
    if (p.isIpv6()) {
      b.putLong(in + 8, hi);
      b.putLong(in + 16, lo);
    } else {
      b.putInt(in + 12, (int) lo);
      fixQuotedIpv4Checksum(b, in);
    }
    int proto = p.innerProtocol();
    if (proto == 6 || proto == 17) {
      b.putShort(p.innerL4Offset(), (short) port);
    }
  }

  private void rewriteQuotedDestination(ByteBuffer b, long hi, long lo, int port) {
    int in = p.innerL3Offset();
    if (p.isIpv6()) {
      b.putLong(in + 24, hi);
      b.putLong(in + 32, lo);
    } else {
      b.putInt(in + 16, (int) lo);
      fixQuotedIpv4Checksum(b, in);
    }
    int proto = p.innerProtocol();
    if (proto == 6 || proto == 17) {
      b.putShort(p.innerL4Offset() + 2, (short) port);
    }
  }

  private void fixQuotedIpv4Checksum(ByteBuffer b, int in) {
    int ihl = (b.get(in) & 0x0F) << 2;
    b.putShort(in + 10, (short) 0);
    b.putShort(in + 10, (short) Checksums.checksum(b, in, ihl));
  }

  /** Recomputes the outer ICMP checksum over the whole (short) error message. */
  private void finishIcmpChecksum(ByteBuffer b) {
    int l4 = p.l4Offset();
    int len = p.l3End() - l4;
    b.putShort(l4 + 2, (short) 0);
    if (p.isIpv6()) {
      b.putShort(l4 + 2, (short) Checksums.transportChecksumV6(b, p.l3Offset(), l4, len, 58));
    } else {
      b.putShort(l4 + 2, (short) Checksums.checksum(b, l4, len));
    }
  }

  /**
   * Turns the frame into an ICMP error about itself, sent back to its source: time exceeded,
   * fragmentation needed (IPv4, RFC 1191) or packet too big (IPv6, RFC 8201). The quote is the IP
   * header and 8 bytes (IPv4) or as much as fits 1280 bytes (IPv6).
   */
  final int icmpErrorReply(Frame frame, int type4, int code4, int type6, int mtu, long fromHi, long fromLo) {
    ByteBuffer b = frame.buffer();
    int off = frame.offset();
    int l3 = p.l3Offset();
    long requester = EthernetFlyweight.source(b, off);
    int header = p.isIpv6() ? 48 : 28;
    int quote = p.isIpv6() ? Math.min(p.l3End() - l3, 1280 - 48) : Math.min(p.l4Offset() - l3 + 8, p.l3End() - l3);
    quote = Math.min(quote, b.capacity() - l3 - header);
    if (quote < (p.isIpv6() ? 40 : 20)) {
      return drop(DropReason.TRUNCATED);
    }
    for (int i = quote - 1; i >= 0; i--) {
      b.put(l3 + header + i, b.get(l3 + i));
    }
    long srcHi = p.sourceAddressHigh();
    long srcLo = p.sourceAddressLow();
    int l4 = l3 + header - 8;
    if (p.isIpv6()) {
      b.putInt(l3, 6 << 28);
      b.putInt(l3 + 4, (8 + quote) << 16 | 58 << 8 | 64);
      b.putLong(l3 + 8, fromHi);
      b.putLong(l3 + 16, fromLo);
      b.putLong(l3 + 24, srcHi);
      b.putLong(l3 + 32, srcLo);
      b.putInt(l4, type6 << 24);
      b.putInt(l4 + 4, type6 == Icmpv6Flyweight.TYPE_PACKET_TOO_BIG ? mtu : 0);
      b.putShort(l4 + 2, (short) Checksums.transportChecksumV6(b, l3, l4, 8 + quote, 58));
    } else {
      b.putInt(l3, 0x4500_0000 | (28 + quote));
      b.putInt(l3 + 4, 0);
      b.putInt(l3 + 8, 64 << 24 | 1 << 16);
      b.putInt(l3 + 12, (int) fromLo);
      b.putInt(l3 + 16, (int) srcLo);
      b.putShort(l3 + 10, (short) Checksums.checksum(b, l3, 20));
      b.putInt(l4, type4 << 24 | code4 << 16);
      b.putInt(l4 + 4, type4 == Icmpv4Flyweight.TYPE_DESTINATION_UNREACHABLE ? mtu & 0xFFFF : 0);
      b.putShort(l4 + 2, (short) Checksums.checksum(b, l4, 8 + quote));
    }
    macs(b, off, requester, lbMac);
    frame.region(off, l3 + header + quote - off);
    bump(NatCounter.ICMP_ERRORS_SENT);
    return Verdict.reply();
  }

  final int timeExceeded(Frame frame) {
    drop(DropReason.TTL_EXCEEDED);
    long fromHi = p.isIpv6() ? (hasLbV6 ? lbV6Hi : p.destinationAddressHigh()) : 0;
    long fromLo = p.isIpv6() ? (hasLbV6 ? lbV6Lo : p.destinationAddressLow())
        : (hasLbV4 ? IpAddresses.V4_MAPPED | (lbV4 & 0xFFFF_FFFFL) : p.destinationAddressLow());
    return icmpErrorReply(frame, Icmpv4Flyweight.TYPE_TIME_EXCEEDED, 0, Icmpv6Flyweight.TYPE_TIME_EXCEEDED, 0,
        fromHi, fromLo);
  }

  /** The backend port of a request: the backend's own, or the request's when the backend keeps it (0). */
  final int requestBackendPort(int handle) {
    int port = bPort[handle];
    return port != 0 ? port : p.destinationPort();
  }
}
