package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.EthernetFlyweight;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Every link-layer decision of a translator: out of which port a frame leaves, to which MAC, from
 * which MAC. A translator is given the balancer's ports ({@link NatPort}: verdict number, MAC,
 * on-link prefixes, MTU) and a {@link NeighborTable}, so the datapath only moves frames.
 *
 * <ul>
 *   <li>To a backend: out of the servers' port, to the backend's configured MAC (the next hop towards
 *       it) or else its neighbour entry, from the servers' port's MAC.
 *   <li>To an address (a reply to a client, an error about a request): out of the port on which the
 *       address is on-link, to its own MAC (RFC 1122 §3.3.1.1: an on-link destination is delivered
 *       directly, instead of through another router that would answer with redirects), else out of
 *       the clients' port to the gateway towards the clients; from that port's MAC.
 *   <li>An answer (ARP, neighbor advertisement, echo reply, ICMP error the balancer sends): back out
 *       of the port the question came in on, to its sender's MAC, from that port's MAC.
 *   <li>Transparent mode bridges what is not addressed to the balancer: a frame whose destination
 *       MAC is none of the ports' keeps both MACs.
 * </ul>
 *
 * An unknown next hop drops the frame as {@code NO_NEIGHBOR} and asks the neighbour table to resolve
 * it ({@link NatCounter#NEIGHBOR_RESOLUTIONS_REQUESTED}).
 *
 * <p>One thread (the translator's); never allocates; never blocks.
 */
final class LinkLayer {

  private final NatPort clients;
  private final NatPort servers;
  private final long clientsMac;
  private final long serversMac;
  private final NeighborTable neighbors;
  private final Counters counters;
  private final OnLink clientsLink;
  private final OnLink serversLink;
  private final boolean gatewayV6;
  private final long gatewayHigh;
  private final long gatewayLow;
  private final boolean hasGatewayAddress;
  private final long gatewayMac;

  LinkLayer(NatConfig config, Counters counters) {
    this.clients = config.clientSide();
    this.servers = config.serverSide();
    this.clientsMac = clients.mac().toLong();
    this.serversMac = servers.mac().toLong();
    this.neighbors = config.neighbors();
    this.counters = counters;
    this.clientsLink = new OnLink(clients.addresses());
    this.serversLink = new OnLink(servers.addresses());
    InetAddress gw = config.clientGatewayAddress();
    this.hasGatewayAddress = gw != null;
    this.gatewayV6 = gw != null && !IpAddresses.isV4(gw);
    this.gatewayHigh = gw == null ? 0 : IpAddresses.high(gw);
    this.gatewayLow = gw == null ? 0 : IpAddresses.low(gw);
    this.gatewayMac = config.clientGatewayMac();
  }

  NatPort clients() {
    return clients;
  }

  NatPort servers() {
    return servers;
  }

  /** Whether a MAC is one of the balancer's ports'. */
  boolean ownMac(long mac) {
    return mac == clientsMac || mac == serversMac;
  }

  /** Whether the frame is addressed to the balancer at the link layer. */
  boolean addressedToBalancer(ByteBuffer b, int frameOffset) {
    return ownMac(EthernetFlyweight.destination(b, frameOffset));
  }

  /** The port an address is reached on: the servers' when it is on-link there and not on the clients', else the clients'. */
  NatPort portTowards(boolean six, long hi, long lo) {
    return !clientsLink.contains(six, hi, lo) && serversLink.contains(six, hi, lo) ? servers : clients;
  }

  /**
   * Addresses a frame to a backend, out of the servers' port.
   *
   * @return {@code forward(servers)} or a {@code NO_NEIGHBOR} drop
   */
  int toBackend(ByteBuffer b, int frameOffset, Backends backends, int handle) {
    long mac = backends.mac(handle);
    if (mac == 0) {
      mac = neighbor(servers, backends.ipv6(handle), backends.high(handle), backends.low(handle));
      if (mac == NeighborTable.UNKNOWN) {
        return counters.drop(DropReason.NO_NEIGHBOR);
      }
    }
    EthernetFlyweight.addresses(b, frameOffset, mac, serversMac);
    return Verdict.forward(servers.index());
  }

  /**
   * Addresses a frame to an IP destination: on-link, its own MAC; else the gateway towards the clients.
   *
   * @return {@code forward(port)} or a {@code NO_NEIGHBOR} drop
   */
  int toAddress(ByteBuffer b, int frameOffset, boolean six, long hi, long lo) {
    NatPort port;
    long mac;
    if (clientsLink.contains(six, hi, lo)) {
      port = clients;
      mac = neighbor(clients, six, hi, lo);
    } else if (serversLink.contains(six, hi, lo)) {
      port = servers;
      mac = neighbor(servers, six, hi, lo);
    } else {
      port = clients;
      // a neighbour the table knows is on-link even where no prefix says so (ports given without addresses)
      mac = clientsLink.empty() ? known(six, hi, lo) : NeighborTable.UNKNOWN;
      if (mac == NeighborTable.UNKNOWN) {
        mac = gateway(six);
      }
    }
    if (mac == NeighborTable.UNKNOWN) {
      return counters.drop(DropReason.NO_NEIGHBOR);
    }
    EthernetFlyweight.destination(b, frameOffset, mac);
    EthernetFlyweight.source(b, frameOffset, port == clients ? clientsMac : serversMac);
    return Verdict.forward(port.index());
  }

  /** Turns the frame around at the link layer: to its sender, from the port it came in on. */
  int answer(Frame frame) {
    ByteBuffer b = frame.buffer();
    int off = frame.offset();
    long requester = EthernetFlyweight.source(b, off);
    EthernetFlyweight.destination(b, off, requester);
    EthernetFlyweight.source(b, off, ingressMac(frame));
    return Verdict.reply();
  }

  /** The MAC of the port a frame came in on (the clients' port's for an unknown port number). */
  long ingressMac(Frame frame) {
    return ingress(frame) == servers ? serversMac : clientsMac;
  }

  NatPort ingress(Frame frame) {
    int in = frame.ingressPort();
    return in == clients.index() || in != servers.index() ? clients : servers;
  }

  private long gateway(boolean six) {
    if (hasGatewayAddress && gatewayV6 == six) {
      long mac = neighbor(clients, six, gatewayHigh, gatewayLow);
      if (mac != NeighborTable.UNKNOWN) {
        return mac;
      }
    }
    return gatewayMac;
  }

  private long known(boolean six, long hi, long lo) {
    return six ? neighbors.ipv6(hi, lo) : neighbors.ipv4((int) lo);
  }

  /** Looks a neighbour up; a miss asks the table to resolve it on the port. */
  private long neighbor(NatPort port, boolean six, long hi, long lo) {
    long mac = known(six, hi, lo);
    if (mac == NeighborTable.UNKNOWN) {
      if (six) {
        neighbors.resolveIpv6(port.index(), hi, lo);
      } else {
        neighbors.resolveIpv4(port.index(), (int) lo);
      }
      counters.bump(NatCounter.NEIGHBOR_RESOLUTIONS_REQUESTED);
    }
    return mac;
  }

  /**
   * An address of a port of the given family (the source of the ICMP errors sent from it, RFC 1812
   * §4.3.2.4, RFC 4443 §2.2), as {@code {high, low}} written into {@code out}; false when it has none.
   */
  static boolean addressOf(NatPort port, boolean six, long[] out) {
    for (NatPort.Address a : port.addresses()) {
      if (IpAddresses.isV4(a.address()) != six) {
        out[0] = IpAddresses.high(a.address());
        out[1] = IpAddresses.low(a.address());
        return true;
      }
    }
    return false;
  }

  /** The on-link prefixes of one port, as masked primitive words. */
  private static final class OnLink {
    private final boolean[] ipv6;
    private final long[] high;
    private final long[] low;
    private final long[] maskHigh;
    private final long[] maskLow;

    OnLink(List<NatPort.Address> addresses) {
      int n = addresses.size();
      ipv6 = new boolean[n];
      high = new long[n];
      low = new long[n];
      maskHigh = new long[n];
      maskLow = new long[n];
      for (int i = 0; i < n; i++) {
        NatPort.Address a = addresses.get(i);
        boolean six = !IpAddresses.isV4(a.address());
        int bits = six ? a.prefixLength() : 96 + a.prefixLength();
        ipv6[i] = six;
        maskHigh[i] = bits == 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
        maskLow[i] = bits <= 64 ? 0 : bits == 128 ? -1L : -1L << (128 - bits);
        high[i] = IpAddresses.high(a.address()) & maskHigh[i];
        low[i] = IpAddresses.low(a.address()) & maskLow[i];
      }
    }

    boolean empty() {
      return low.length == 0;
    }

    boolean contains(boolean six, long hi, long lo) {
      for (int i = 0; i < low.length; i++) {
        if (ipv6[i] == six && (lo & maskLow[i]) == low[i] && (hi & maskHigh[i]) == high[i]) {
          return true;
        }
      }
      return false;
    }
  }
}
