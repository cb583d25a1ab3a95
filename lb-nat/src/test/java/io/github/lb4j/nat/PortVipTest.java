package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.header.Checksums;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.Icmpv4Flyweight;
import io.github.lb4j.nat.header.Icmpv6Flyweight;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A VIP with a service port ({@code --vip IP:PORT}) owns its address for everything that belongs to
 * its flows: echo requests are answered, ICMP errors about the VIP's replies (fragmentation needed,
 * packet too big, unreachable, time exceeded from the client's side of the path) reach the server
 * that owns the flow with their quote translated, so path-MTU discovery works, and later IP
 * fragments follow their first fragment. In every mode, IPv4 and IPv6; tshark decodes the errors.
 */
class PortVipTest {

  private static final int AT = 128;
  private static final int MTU = 1280;

  static PacketTranslator portVip(ForwardingMode mode, boolean six) {
    return portVip(mode, six, oneBackend(six));
  }

  static PacketTranslator portVip(ForwardingMode mode, boolean six, List<Backend> backends) {
    SessionCounters sessions = SessionCounters.create();
    return NatTranslators.create(NatConfig.builder(mode, new HashScheduler(sessions, backends))
        .vip(new NatConfig.Vip(six ? VIP6 : VIP4, 6, 80, mode == ForwardingMode.DSR_DSCP ? DSCP : -1))
        .balancer(LB_MAC, LB4, LB6).clientGateway(GW_MAC).snatAddress(six ? SNAT6 : SNAT4).ports(0, 1)
        .flowTable(FlowTableConfig.builder(4096, sessions).clockSampleInterval(1).seed(1).build()).build());
  }

  private static InetAddress client(boolean six) {
    return six ? CLIENT6 : CLIENT4;
  }

  private static InetAddress vip(boolean six) {
    return six ? VIP6 : VIP4;
  }

  /**
   * An ICMP error from {@code from} to {@code to} quoting a TCP segment {@code qsrc:qsport > qdst:qdport}
   * with 100 bytes of payload (as much as a router quotes): IPv4 fragmentation needed or IPv6 packet too big.
   */
  static int tooBig(ByteBuffer b, boolean six, InetAddress from, InetAddress to, InetAddress qsrc, int qsport,
      InetAddress qdst, int qdport, int type4, int code4, int type6) {
    ByteBuffer q = ByteBuffer.allocate(512);
    int qn = builder(six, qsrc, qdst).ports(qsport, qdport).tcpFlags(TcpFlyweight.ACK).sequence(7000, 1001).payload(100)
        .writeTcp(q, 0);
    int quoted = six ? qn - 14 : Math.min(qn - 14, 548);
    int n = builder(six, from, to).macs(LB_MAC.toLong(), GW_MAC.toLong()).payload(quoted).ports(0, 0).writeEcho(b, AT, true);
    int l3 = AT + 14;
    int l4 = l3 + (six ? 40 : 20);
    for (int i = 0; i < quoted; i++) {
      b.put(l4 + 8 + i, q.get(14 + i));
    }
    b.putInt(l4, (six ? type6 : type4) << 24 | (six ? 0 : code4) << 16);
    b.putInt(l4 + 4, six ? (type6 == Icmpv6Flyweight.TYPE_PACKET_TOO_BIG ? MTU : 0)
        : (type4 == Icmpv4Flyweight.TYPE_DESTINATION_UNREACHABLE ? MTU : 0));
    b.putShort(l4 + 2, (short) 0);
    if (six) {
      b.putShort(l4 + 2, (short) Checksums.transportChecksumV6(b, l3, l4, 8 + quoted, 58));
    } else {
      b.putShort(l4 + 2, (short) Checksums.checksum(b, l4, 8 + quoted));
    }
    return n;
  }

  static int tooBig(ByteBuffer b, boolean six, InetAddress from, InetAddress to, InetAddress qsrc, int qsport,
      InetAddress qdst, int qdport) {
    return tooBig(b, six, from, to, qsrc, qsport, qdst, qdport, Icmpv4Flyweight.TYPE_DESTINATION_UNREACHABLE,
        Icmpv4Flyweight.CODE_FRAGMENTATION_NEEDED, Icmpv6Flyweight.TYPE_PACKET_TOO_BIG);
  }

  private static final InetAddress HOP4 = IpAddresses.parse("203.0.113.254");
  private static final InetAddress HOP6 = IpAddresses.parse("2001:db8:1::fe");

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void echoRequestToAPortVip_isAnswered(boolean six) {
    ByteBuffer b = ByteBuffer.allocate(1024);
    for (ForwardingMode mode : ForwardingMode.values()) {
      PacketTranslator t = portVip(mode, six);
      int n = builder(six, client(six), vip(six)).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(7, 1).payload(16)
          .writeEcho(b, AT, true);
      Frame f = new Frame(b, AT, n);
      assertThat(Verdict.toString(t.translate(f, Direction.CLIENT_TO_SERVER))).as(mode.modeName()).isEqualTo("reply");
      FrameParser p = new FrameParser();
      assertThat(p.parse(b, f.offset(), f.length())).isEqualTo(FrameParser.OK);
      assertThat(p.icmpType()).isEqualTo(six ? Icmpv6Flyweight.TYPE_ECHO_REPLY : Icmpv4Flyweight.TYPE_ECHO_REPLY);
      assertThat(p.sourceAddressLow()).isEqualTo(IpAddresses.low(vip(six)));
      assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
      assertThat(t.count(NatCounter.ECHO_REPLIES)).isEqualTo(1);
    }
  }

  /** The path-MTU case: a hop towards the client with a smaller MTU tells the VIP, the sender of the reply it could not forward. */
  @ParameterizedTest(name = "{0} ipv6={1}")
  @CsvSource({"TRANSPARENT,false", "TRANSPARENT,true", "ROUTER,false", "ROUTER,true", "FULL_NAT,false", "FULL_NAT,true",
      "DSR_L2,false", "DSR_L2,true", "DSR_IPIP,false", "DSR_IPIP,true", "DSR_DSCP,false", "DSR_DSCP,true"})
  void tooBigFromTheClientsPath_reachesTheFlowsServer_quotingWhatTheServerSent(ForwardingMode mode, boolean six)
      throws Exception {
    PacketTranslator t = portVip(mode, six);
    ByteBuffer b = ByteBuffer.allocate(4096);
    int n = builder(six, client(six), vip(six)).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(40000, 80)
        .tcpFlags(TcpFlyweight.SYN).writeTcp(b, AT);
    Frame f = new Frame(b, AT, n);
    assertThat(Verdict.action(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
    FrameParser p = new FrameParser();
    p.parse(b, f.offset(), f.length());
    int snatPort = mode == ForwardingMode.FULL_NAT ? p.sourcePort() : 40000;
    // the VIP's reply of 1400 bytes did not fit a hop of MTU 1280 on the way to the client
    n = tooBig(b, six, six ? HOP6 : HOP4, vip(six), vip(six), 80, client(six), 40000);
    f = new Frame(b, AT, n);
    assertThat(Verdict.toString(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo("forward(1)");
    assertThat(t.count(NatCounter.ICMP_ERRORS_TRANSLATED)).isEqualTo(1);
    byte[] out = bytes(b, f.offset(), f.length());
    assertThat(checksumsValid(ByteBuffer.wrap(out), 0, out.length)).isTrue();
    List<String[]> rows = Tshark.decode("port-vip-" + mode.modeName() + (six ? "-6" : "-4"), List.of(out),
        "eth.dst", "ip.dst", "ipv6.dst", "icmp.mtu", "icmpv6.mtu", "tcp.srcport", "tcp.dstport",
        "icmp.checksum.status", "icmpv6.checksum.status", "ip.checksum.status", "ip.dsfield.dscp", "ipv6.tclass.dscp");
    String[] row = rows.get(0);
    assertThat(row[0]).isEqualTo(RIP_MAC.toString());
    assertThat(row[six ? 4 : 3]).as("the MTU reaches the server unchanged").isEqualTo(String.valueOf(MTU));
    String rip = six ? "2001:db8:3::11" : "198.51.100.11";
    String vipText = six ? "2001:db8:1::10" : "203.0.113.10";
    String clientText = six ? "2001:db8:2::1" : "192.0.2.1";
    String snatText = six ? "2001:db8:3::2" : "198.51.100.2";
    // outer destination(s), then the quoted packet's destination
    String dsts = row[six ? 2 : 1];
    String ports = row[5] + ">" + row[6];
    switch (mode) {
      case DSR_L2 -> {
        assertThat(dsts).isEqualTo(vipText + "," + clientText);
        assertThat(ports).as("quote untouched: the server sent it from the VIP").isEqualTo("80>40000");
      }
      case DSR_IPIP -> {
        assertThat(dsts).as("outer header to the server, inner error to the VIP").isEqualTo(rip + "," + vipText + "," + clientText);
        assertThat(ports).isEqualTo("80>40000");
      }
      case DSR_DSCP -> {
        assertThat(dsts).isEqualTo(rip + "," + clientText);
        assertThat(ports).isEqualTo("80>40000");
        assertThat(row[six ? 11 : 10]).startsWith(String.valueOf(DSCP));
      }
      case FULL_NAT -> {
        assertThat(dsts).isEqualTo(rip + "," + snatText);
        assertThat(ports).as("quoted as the server sent it: to the SNAT port").isEqualTo("8080>" + snatPort);
      }
      default -> {
        assertThat(dsts).isEqualTo(rip + "," + clientText);
        assertThat(ports).isEqualTo("8080>40000");
      }
    }
    for (int c = 7; c <= 9; c++) {
      for (String status : row[c].split(",")) {
        assertThat(status).as("checksum column %d of %s", c, String.join("|", row)).isIn("", "1");
      }
    }
  }

  @Test
  void otherErrorsAboutTheVipsFlows_reachTheServerToo_unreachableAndTimeExceeded() {
    for (boolean six : new boolean[] {false, true}) {
      for (int[] kind : new int[][] {{3, 1, 1}, {11, 0, 3}}) {
        PacketTranslator t = portVip(ForwardingMode.FULL_NAT, six);
        ByteBuffer b = ByteBuffer.allocate(4096);
        int n = builder(six, client(six), vip(six)).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(40000, 80)
            .tcpFlags(TcpFlyweight.SYN).writeTcp(b, AT);
        t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER);
        n = tooBig(b, six, six ? HOP6 : HOP4, vip(six), vip(six), 80, client(six), 40000, kind[0], kind[1], kind[2]);
        Frame f = new Frame(b, AT, n);
        assertThat(Verdict.toString(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo("forward(1)");
        assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
      }
    }
  }

  @Test
  void anErrorAboutAnotherServiceOfTheVipAddress_isNotForTheVip() {
    PacketTranslator t = portVip(ForwardingMode.TRANSPARENT, false);
    ByteBuffer b = ByteBuffer.allocate(4096);
    int n = tooBig(b, false, HOP4, VIP4, VIP4, 443, CLIENT4, 40000);
    assertThat(Verdict.reason(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).isEqualTo(DropReason.NOT_FOR_VIP);
  }

  @Test
  void inTheDsrModes_anErrorAboutAFlowWithoutState_goesWhereTheConsistentHashSendsThatFlow() {
    List<Backend> three = List.of(Backend.of("a", RIP4, 8080).withMac(RIP_MAC), Backend.of("b", RIP4B, 8080).withMac(RIP_MAC_B),
        Backend.of("c", IpAddresses.parse("198.51.100.13"), 8080).withMac(io.github.lb4j.api.MacAddress.parse("02:00:00:00:01:13")));
    PacketTranslator t = portVip(ForwardingMode.DSR_L2, false, three);
    ByteBuffer b = ByteBuffer.allocate(4096);
    List<Long> macs = new ArrayList<>();
    for (int port = 40000; port < 40030; port++) {
      // mid-stream segments of flows the balancer has no state for (a restart): forwarded by hash
      int n = builder(false, CLIENT4, VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(port, 80)
          .tcpFlags(TcpFlyweight.ACK).writeTcp(b, AT);
      Frame f = new Frame(b, AT, n);
      assertThat(Verdict.action(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
      long data = io.github.lb4j.nat.header.EthernetFlyweight.destination(b, AT);
      n = tooBig(b, false, HOP4, VIP4, VIP4, 80, CLIENT4, port);
      f = new Frame(b, AT, n);
      assertThat(Verdict.action(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
      assertThat(io.github.lb4j.nat.header.EthernetFlyweight.destination(b, AT)).as("port %d", port).isEqualTo(data);
      macs.add(data);
    }
    assertThat(macs.stream().distinct().count()).as("the flows spread over the backends").isGreaterThan(1);
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void laterFragmentsToAPortVip_followTheFirstFragment(boolean six) {
    PacketTranslator t = portVip(ForwardingMode.TRANSPARENT, six);
    ByteBuffer b = ByteBuffer.allocate(4096);
    FrameBuilder first = builder(six, client(six), vip(six)).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(40000, 80)
        .tcpFlags(TcpFlyweight.ACK).payload(24).fragment(0x4242, 1, 0).ipv6Extensions(false, six);
    // a TCP first fragment opens no flow mid-stream in a stateful mode: start the flow with a SYN
    int n = builder(six, client(six), vip(six)).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(40000, 80)
        .tcpFlags(TcpFlyweight.SYN).writeTcp(b, AT);
    assertThat(Verdict.action(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
    n = first.writeTcp(b, AT);
    assertThat(Verdict.toString(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).isEqualTo("forward(1)");
    n = builder(six, client(six), vip(six)).macs(LB_MAC.toLong(), GW_MAC.toLong()).payload(24)
        .fragment(0x4242, 0, 4).ipv6Extensions(false, six).writeTcp(b, AT);
    Frame f = new Frame(b, AT, n);
    assertThat(Verdict.toString(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo("forward(1)");
    FrameParser p = new FrameParser();
    p.parse(b, f.offset(), f.length());
    assertThat(p.destinationAddressLow()).isEqualTo(IpAddresses.low(six ? RIP6 : RIP4));
    assertThat(t.count(NatCounter.FRAGMENTS_FOLLOWED)).isEqualTo(1);
    assertThat(t.drops(DropReason.NOT_FOR_VIP)).isZero();
  }
}
