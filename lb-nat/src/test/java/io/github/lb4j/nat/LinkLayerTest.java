package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.header.ArpFlyweight;
import io.github.lb4j.nat.header.EthernetFlyweight;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.Icmpv4Flyweight;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The translator's own link-layer decisions, given the balancer's ports and a neighbour table: an
 * inline balancer (clients' port 0, servers' port 1, each with its MAC and prefixes). Router mode
 * sends replies for on-link clients to the client's MAC, not the gateway's; transparent mode routes
 * a reply sent to the balancer's MAC (S6.1a) and never leaves it addressed to itself; answers name
 * the ingress port's MAC; an unknown next hop is a NO_NEIGHBOR drop and a resolution request.
 */
class LinkLayerTest {

  private static final int AT = 128;
  private static final MacAddress CLIENTS_MAC = MacAddress.parse("02:00:00:00:00:c0");
  private static final MacAddress SERVERS_MAC = MacAddress.parse("02:00:00:00:00:5e");
  private static final MacAddress CLIENT_MAC = MacAddress.parse("02:00:00:00:00:c1");
  private static final InetAddress GW4 = IpAddresses.parse("192.0.2.254");
  private static final InetAddress GW6 = IpAddresses.parse("2001:db8:2::fe");
  /** Not on any port's prefix: reached through the gateway. */
  private static final InetAddress REMOTE4 = IpAddresses.parse("203.0.113.77");
  private static final InetAddress REMOTE6 = IpAddresses.parse("2001:db8:9::77");
  private static final InetAddress SERVER2 = IpAddresses.parse("198.51.100.12");
  private static final MacAddress SERVER2_MAC = MacAddress.parse("02:00:00:00:01:12");

  /** A neighbour table of fixed entries that also keeps the resolution requests it is told. */
  static final class RecordingNeighbors implements NeighborTable {
    final Map<InetAddress, MacAddress> entries = new HashMap<>();
    final List<String> requests = new ArrayList<>();

    @Override
    public long ipv4(int address) {
      return NeighborTable.of(entries).ipv4(address);
    }

    @Override
    public long ipv6(long high, long low) {
      return NeighborTable.of(entries).ipv6(high, low);
    }

    @Override
    public void resolveIpv4(int port, int address) {
      requests.add(port + " " + IpAddresses.format(false, 0, IpAddresses.V4_MAPPED | (address & 0xFFFF_FFFFL)));
    }

    @Override
    public void resolveIpv6(int port, long high, long low) {
      requests.add(port + " " + IpAddresses.format(true, high, low));
    }
  }

  private final RecordingNeighbors neighbors = new RecordingNeighbors();

  private PacketTranslator inline(ForwardingMode mode, boolean hairpinSnat, List<Backend> backends) {
    SessionCounters sessions = SessionCounters.create();
    NatPort clients = new NatPort(0, CLIENTS_MAC, List.of(new NatPort.Address(IpAddresses.parse("192.0.2.253"), 24),
        new NatPort.Address(IpAddresses.parse("2001:db8:2::fd"), 64)), 1500);
    NatPort servers = new NatPort(1, SERVERS_MAC, List.of(new NatPort.Address(LB4, 24), new NatPort.Address(LB6, 64)), 1500);
    return NatTranslators.create(NatConfig.builder(mode, new HashScheduler(sessions, backends))
        .vip(NatConfig.Vip.of(VIP4)).vip(NatConfig.Vip.of(VIP6)).ports(clients, servers).neighbors(neighbors)
        .clientGateway(GW4).snatAddress(SNAT4).snatAddress(SNAT6).hairpinSnat(hairpinSnat)
        .flowTable(FlowTableConfig.builder(4096, sessions).clockSampleInterval(1).seed(1).build()).build());
  }

  private PacketTranslator inline(ForwardingMode mode, boolean six) {
    return inline(mode, false, oneBackend(six));
  }

  private static Frame syn(ByteBuffer b, boolean six, InetAddress client, int port) {
    int n = builder(six, client, six ? VIP6 : VIP4).macs(CLIENTS_MAC.toLong(), GW_MAC.toLong()).ports(port, 80)
        .tcpFlags(TcpFlyweight.SYN).writeTcp(b, AT);
    return new Frame(b, AT, n).ingressPort(0);
  }

  private static Frame synAck(ByteBuffer b, boolean six, InetAddress to, int port, long dmac) {
    int n = builder(six, six ? RIP6 : RIP4, to).macs(dmac, RIP_MAC.toLong()).ports(8080, port)
        .tcpFlags(TcpFlyweight.SYN | TcpFlyweight.ACK).writeTcp(b, AT);
    return new Frame(b, AT, n).ingressPort(1);
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void router_sendsRepliesForAnOnLinkClientToTheClientsMac_notToTheGateway(boolean six) {
    InetAddress client = six ? CLIENT6 : CLIENT4;
    neighbors.entries.put(client, CLIENT_MAC);
    neighbors.entries.put(GW4, GW_MAC);
    PacketTranslator t = inline(ForwardingMode.ROUTER, six);
    ByteBuffer b = ByteBuffer.allocate(1024);
    Frame f = syn(b, six, client, 40000);
    assertThat(Verdict.toString(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo("forward(1)");
    assertThat(EthernetFlyweight.source(b, f.offset())).as("requests leave from the servers' port").isEqualTo(SERVERS_MAC.toLong());
    assertThat(EthernetFlyweight.destination(b, f.offset())).isEqualTo(RIP_MAC.toLong());
    f = synAck(b, six, client, 40000, SERVERS_MAC.toLong());
    assertThat(Verdict.toString(t.translate(f, Direction.SERVER_TO_CLIENT))).isEqualTo("forward(0)");
    assertThat(EthernetFlyweight.destination(b, f.offset())).as("the on-link client itself").isEqualTo(CLIENT_MAC.toLong());
    assertThat(EthernetFlyweight.source(b, f.offset())).isEqualTo(CLIENTS_MAC.toLong());
    assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void router_sendsRepliesForARemoteClientToTheGateway_resolvedByAddress(boolean six) {
    neighbors.entries.put(GW4, GW_MAC);
    PacketTranslator t = inline(ForwardingMode.ROUTER, six);
    ByteBuffer b = ByteBuffer.allocate(1024);
    InetAddress remote = six ? REMOTE6 : REMOTE4;
    t.translate(syn(b, six, remote, 40000), Direction.CLIENT_TO_SERVER);
    Frame f = synAck(b, six, remote, 40000, SERVERS_MAC.toLong());
    if (six) {
      // the gateway is configured by its IPv4 address: an IPv6 reply needs the gateway's MAC some other way
      assertThat(Verdict.reason(t.translate(f, Direction.SERVER_TO_CLIENT))).isEqualTo(DropReason.NO_NEIGHBOR);
      return;
    }
    assertThat(Verdict.toString(t.translate(f, Direction.SERVER_TO_CLIENT))).isEqualTo("forward(0)");
    assertThat(EthernetFlyweight.destination(b, f.offset())).isEqualTo(GW_MAC.toLong());
    // the gateway's MAC changes: the next reply follows the neighbour table
    MacAddress moved = MacAddress.parse("02:00:00:00:00:99");
    neighbors.entries.put(GW4, moved);
    f = synAck(b, six, remote, 40000, SERVERS_MAC.toLong());
    t.translate(f, Direction.SERVER_TO_CLIENT);
    assertThat(EthernetFlyweight.destination(b, f.offset())).isEqualTo(moved.toLong());
  }

  @Test
  void anUnknownOnLinkClient_isANoNeighborDrop_andAResolutionRequestOnItsPort() {
    PacketTranslator t = inline(ForwardingMode.ROUTER, false);
    ByteBuffer b = ByteBuffer.allocate(1024);
    t.translate(syn(b, false, CLIENT4, 40000), Direction.CLIENT_TO_SERVER);
    Frame f = synAck(b, false, CLIENT4, 40000, SERVERS_MAC.toLong());
    assertThat(Verdict.reason(t.translate(f, Direction.SERVER_TO_CLIENT))).isEqualTo(DropReason.NO_NEIGHBOR);
    assertThat(neighbors.requests).containsExactly("0 192.0.2.1");
    assertThat(t.count(NatCounter.NEIGHBOR_RESOLUTIONS_REQUESTED)).isEqualTo(1);
  }

  @Test
  void aBackendWithoutAConfiguredMac_isResolvedThroughTheTable_onTheServersPort() {
    PacketTranslator t = inline(ForwardingMode.ROUTER, false, List.of(Backend.of("web-1", RIP4, 8080)));
    ByteBuffer b = ByteBuffer.allocate(1024);
    assertThat(Verdict.reason(t.translate(syn(b, false, CLIENT4, 40000), Direction.CLIENT_TO_SERVER)))
        .isEqualTo(DropReason.NO_NEIGHBOR);
    assertThat(neighbors.requests).containsExactly("1 198.51.100.11");
    neighbors.entries.put(RIP4, RIP_MAC);
    Frame f = syn(b, false, CLIENT4, 40000);
    assertThat(Verdict.toString(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo("forward(1)");
    assertThat(EthernetFlyweight.destination(b, f.offset())).isEqualTo(RIP_MAC.toLong());
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void transparent_aReplySentToTheBalancer_isRoutedOn_neverLeftAddressedToTheBalancer(boolean six) {
    neighbors.entries.put(GW4, GW_MAC);
    neighbors.entries.put(six ? CLIENT6 : CLIENT4, CLIENT_MAC);
    PacketTranslator t = inline(ForwardingMode.TRANSPARENT, six);
    ByteBuffer b = ByteBuffer.allocate(1024);
    for (InetAddress client : six ? new InetAddress[] {CLIENT6} : new InetAddress[] {CLIENT4, REMOTE4}) {
      t.translate(syn(b, six, client, 40000), Direction.CLIENT_TO_SERVER);
      // the server's gateway is the balancer (S6.1a): its reply is addressed to the servers' port
      Frame f = synAck(b, six, client, 40000, SERVERS_MAC.toLong());
      assertThat(Verdict.toString(t.translate(f, Direction.SERVER_TO_CLIENT))).isEqualTo("forward(0)");
      long dst = EthernetFlyweight.destination(b, f.offset());
      assertThat(dst).as("to %s", client).isNotIn(SERVERS_MAC.toLong(), CLIENTS_MAC.toLong())
          .isEqualTo(client == REMOTE4 ? GW_MAC.toLong() : CLIENT_MAC.toLong());
      assertThat(EthernetFlyweight.source(b, f.offset())).isEqualTo(CLIENTS_MAC.toLong());
      assertThat(b.get(f.offset() + (six ? 21 : 22)) & 0xFF).as("routed: one hop less").isEqualTo(63);
      assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
    }
  }

  @Test
  void answers_nameTheMacOfThePortTheQuestionCameIn_andLeaveFromIt() {
    PacketTranslator t = inline(ForwardingMode.ROUTER, false);
    ByteBuffer b = ByteBuffer.allocate(1024);
    for (int port : new int[] {0, 1}) {
      int n = builder(false, RIP4, VIP4).macs(0xFFFF_FFFF_FFFFL, RIP_MAC.toLong()).writeArpRequest(b, AT);
      Frame f = new Frame(b, AT, n).ingressPort(port);
      assertThat(t.translate(f, Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
      long mac = port == 0 ? CLIENTS_MAC.toLong() : SERVERS_MAC.toLong();
      assertThat(new ArpFlyweight().wrap(b, AT + 14).senderHardwareAddress()).isEqualTo(mac);
      assertThat(EthernetFlyweight.source(b, AT)).isEqualTo(mac);
      assertThat(EthernetFlyweight.destination(b, AT)).isEqualTo(RIP_MAC.toLong());
    }
  }

  @Test
  void errorsTheBalancerSends_comeFromTheAddressOfThePortTheyLeaveBy() {
    neighbors.entries.put(CLIENT4, CLIENT_MAC);
    PacketTranslator t = inline(ForwardingMode.ROUTER, false);
    ByteBuffer b = ByteBuffer.allocate(1024);
    int n = builder(false, CLIENT4, VIP4).macs(CLIENTS_MAC.toLong(), CLIENT_MAC.toLong()).ports(40000, 80)
        .tcpFlags(TcpFlyweight.SYN).ttl(1).writeTcp(b, AT);
    Frame f = new Frame(b, AT, n).ingressPort(0);
    assertThat(t.translate(f, Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
    FrameParser p = new FrameParser();
    p.parse(b, f.offset(), f.length());
    assertThat(p.icmpType()).isEqualTo(Icmpv4Flyweight.TYPE_TIME_EXCEEDED);
    assertThat(p.sourceAddressV4()).isEqualTo(IpAddresses.v4(IpAddresses.parse("192.0.2.253")));
    assertThat(EthernetFlyweight.source(b, f.offset())).isEqualTo(CLIENTS_MAC.toLong());
    assertThat(EthernetFlyweight.destination(b, f.offset())).isEqualTo(CLIENT_MAC.toLong());
  }

  @Test
  void aHairpinReply_leavesByTheServersPort_toTheCallingServer() {
    neighbors.entries.put(SERVER2, SERVER2_MAC);
    PacketTranslator t = inline(ForwardingMode.ROUTER, true, oneBackend(false));
    ByteBuffer b = ByteBuffer.allocate(1024);
    int n = builder(false, SERVER2, VIP4).macs(SERVERS_MAC.toLong(), SERVER2_MAC.toLong()).ports(33000, 80)
        .tcpFlags(TcpFlyweight.SYN).writeTcp(b, AT);
    Frame f = new Frame(b, AT, n).ingressPort(1);
    assertThat(Verdict.toString(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo("forward(1)");
    assertThat(t.count(NatCounter.HAIRPIN_SNAT)).isEqualTo(1);
    FrameParser p = new FrameParser();
    p.parse(b, f.offset(), f.length());
    int snatPort = p.sourcePort();
    n = builder(false, RIP4, SNAT4).macs(SERVERS_MAC.toLong(), RIP_MAC.toLong()).ports(8080, snatPort)
        .tcpFlags(TcpFlyweight.SYN | TcpFlyweight.ACK).writeTcp(b, AT);
    f = new Frame(b, AT, n).ingressPort(1);
    assertThat(Verdict.toString(t.translate(f, Direction.SERVER_TO_CLIENT))).isEqualTo("forward(1)");
    assertThat(EthernetFlyweight.destination(b, f.offset())).isEqualTo(SERVER2_MAC.toLong());
    assertThat(EthernetFlyweight.source(b, f.offset())).isEqualTo(SERVERS_MAC.toLong());
  }
}
