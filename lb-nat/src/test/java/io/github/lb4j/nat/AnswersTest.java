package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.ArpFlyweight;
import io.github.lb4j.nat.header.EthernetFlyweight;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.Icmpv4Flyweight;
import io.github.lb4j.nat.header.Icmpv6Flyweight;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** ARP and neighbor advertisements for the VIP, echo replies, and the ICMP errors the balancer sends itself. */
class AnswersTest {

  private final ByteBuffer b = ByteBuffer.allocate(4096);
  private static final int AT = 128;

  @Test
  void arpRequestForTheVip_isAnsweredWithTheBalancersMac() {
    PacketTranslator t = translator(ForwardingMode.DSR_L2, false);
    int n = builder(false, CLIENT4, VIP4).macs(0xFFFF_FFFF_FFFFL, GW_MAC.toLong()).writeArpRequest(b, AT);
    assertThat(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
    ArpFlyweight arp = new ArpFlyweight().wrap(b, AT + 14);
    assertThat(arp.operation()).isEqualTo(ArpFlyweight.OPERATION_REPLY);
    assertThat(arp.senderHardwareAddress()).isEqualTo(LB_MAC.toLong());
    assertThat(arp.senderProtocolAddress()).isEqualTo(IpAddresses.v4(VIP4));
    assertThat(arp.targetHardwareAddress()).isEqualTo(GW_MAC.toLong());
    assertThat(arp.targetProtocolAddress()).isEqualTo(IpAddresses.v4(CLIENT4));
    assertThat(EthernetFlyweight.destination(b, AT)).isEqualTo(GW_MAC.toLong());
    assertThat(t.count(NatCounter.ARP_REPLIES)).isEqualTo(1);
    n = builder(false, CLIENT4, RIP4).macs(0xFFFF_FFFF_FFFFL, GW_MAC.toLong()).writeArpRequest(b, AT);
    assertThat(Verdict.reason(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).isEqualTo(DropReason.POLICY);
  }

  @Test
  void neighborSolicitationForTheVip_isAnsweredWithAnAdvertisement() {
    PacketTranslator t = translator(ForwardingMode.DSR_L2, true);
    int n = builder(true, CLIENT6, VIP6).macs(0x3333_FF00_0010L, GW_MAC.toLong()).writeNeighborSolicitation(b, AT);
    Frame f = new Frame(b, AT, n);
    assertThat(t.translate(f, Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
    Icmpv6Flyweight na = new Icmpv6Flyweight().wrap(b, AT + 54);
    assertThat(na.type()).isEqualTo(Icmpv6Flyweight.TYPE_NEIGHBOR_ADVERTISEMENT);
    assertThat(na.advertisementFlags()).isEqualTo(Icmpv6Flyweight.FLAG_SOLICITED | Icmpv6Flyweight.FLAG_OVERRIDE);
    assertThat(na.targetAddressLow()).isEqualTo(IpAddresses.low(VIP6));
    assertThat(b.get(AT + 54 + 24)).isEqualTo((byte) Icmpv6Flyweight.OPTION_TARGET_LINK_LAYER_ADDRESS);
    assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
    assertThat(t.count(NatCounter.NEIGHBOR_ADVERTISEMENTS)).isEqualTo(1);
  }

  @Test
  void echoRequestToTheVip_isAnswered_inBothFamilies() {
    for (boolean six : new boolean[] {false, true}) {
      PacketTranslator t = translator(ForwardingMode.TRANSPARENT, six);
      int n = builder(six, six ? CLIENT6 : CLIENT4, six ? VIP6 : VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong())
          .ports(7, 1).payload(16).writeEcho(b, AT, true);
      Frame f = new Frame(b, AT, n);
      assertThat(t.translate(f, Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
      FrameParser p = new FrameParser();
      assertThat(p.parse(b, f.offset(), f.length())).isEqualTo(FrameParser.OK);
      assertThat(p.icmpType()).isEqualTo(six ? Icmpv6Flyweight.TYPE_ECHO_REPLY : Icmpv4Flyweight.TYPE_ECHO_REPLY);
      assertThat(p.sourceAddressLow()).isEqualTo(IpAddresses.low(six ? VIP6 : VIP4));
      assertThat(p.destinationAddressLow()).isEqualTo(IpAddresses.low(six ? CLIENT6 : CLIENT4));
      assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
    }
  }

  @Test
  void routerAtTtlOne_answersTimeExceeded() {
    PacketTranslator t = translator(ForwardingMode.ROUTER, false);
    int n = builder(false, CLIENT4, VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(40000, 80)
        .tcpFlags(TcpFlyweight.SYN).ttl(1).writeTcp(b, AT);
    Frame f = new Frame(b, AT, n);
    assertThat(t.translate(f, Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
    FrameParser p = new FrameParser();
    assertThat(p.parse(b, f.offset(), f.length())).isEqualTo(FrameParser.OK);
    assertThat(p.icmpType()).isEqualTo(Icmpv4Flyweight.TYPE_TIME_EXCEEDED);
    assertThat(p.destinationAddressV4()).isEqualTo(IpAddresses.v4(CLIENT4));
    assertThat(p.parseQuoted()).isEqualTo(FrameParser.OK);
    assertThat(p.innerDestinationPort()).isEqualTo(80);
    assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
    assertThat(t.drops(DropReason.TTL_EXCEEDED)).isEqualTo(1);
  }

  @Test
  void ipipAboveTheMtu_answersFragmentationNeededOrPacketTooBig_withTheReducedMtu() {
    for (boolean six : new boolean[] {false, true}) {
      PacketTranslator t = NatTranslators.create(config(ForwardingMode.DSR_IPIP, six, oneBackend(six)).mtu(1500).build());
      int n = builder(six, six ? CLIENT6 : CLIENT4, six ? VIP6 : VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong())
          .ports(40000, 80).tcpFlags(TcpFlyweight.SYN).payload(1500 - (six ? 60 : 40)).writeTcp(b, AT);
      Frame f = new Frame(b, AT, n);
      assertThat(t.translate(f, Direction.CLIENT_TO_SERVER)).isEqualTo(Verdict.reply());
      FrameParser p = new FrameParser();
      assertThat(p.parse(b, f.offset(), f.length())).isEqualTo(FrameParser.OK);
      int l4 = p.l4Offset();
      if (six) {
        assertThat(p.icmpType()).isEqualTo(Icmpv6Flyweight.TYPE_PACKET_TOO_BIG);
        assertThat(b.getInt(l4 + 4)).isEqualTo(1460);
        assertThat(f.length()).isEqualTo(14 + 1280);
      } else {
        assertThat(p.icmpType()).isEqualTo(Icmpv4Flyweight.TYPE_DESTINATION_UNREACHABLE);
        assertThat(p.icmpCode()).isEqualTo(Icmpv4Flyweight.CODE_FRAGMENTATION_NEEDED);
        assertThat(b.getShort(l4 + 6) & 0xFFFF).isEqualTo(1480);
      }
      assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
      assertThat(t.drops(DropReason.MTU_EXCEEDED)).isEqualTo(1);
    }
  }

  @Test
  void ipipWithoutHeadroom_isDroppedAsNoHeadroom() {
    PacketTranslator t = translator(ForwardingMode.DSR_IPIP, false);
    int n = builder(false, CLIENT4, VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(40000, 80)
        .tcpFlags(TcpFlyweight.SYN).writeTcp(b, 4);
    assertThat(Verdict.reason(t.translate(new Frame(b, 4, n), Direction.CLIENT_TO_SERVER))).isEqualTo(DropReason.NO_HEADROOM);
  }

  @Test
  void framesNotForAVip_andMidStreamSegmentsOfStatefulModes_areDroppedWithTheirReason() {
    PacketTranslator t = translator(ForwardingMode.TRANSPARENT, false);
    int n = builder(false, CLIENT4, RIP4).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(1, 2).writeTcp(b, AT);
    assertThat(Verdict.reason(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).isEqualTo(DropReason.NOT_FOR_VIP);
    n = builder(false, CLIENT4, VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(1, 80).tcpFlags(TcpFlyweight.ACK).writeTcp(b, AT);
    assertThat(Verdict.reason(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).isEqualTo(DropReason.NO_FLOW);
    n = builder(false, RIP4, CLIENT4).macs(LB_MAC.toLong(), RIP_MAC.toLong()).ports(8080, 1).tcpFlags(TcpFlyweight.ACK).writeTcp(b, AT);
    assertThat(Verdict.reason(t.translate(new Frame(b, AT, n), Direction.SERVER_TO_CLIENT))).isEqualTo(DropReason.NO_FLOW);
    assertThat(t.drops(DropReason.NO_FLOW)).isEqualTo(2);
  }

  @Test
  void fullNatPool_exhaustsWithItsOwnReason_andReusesPortsOnlyAfterTheirFlowIsGone() {
    PacketTranslator t = NatTranslators.create(config(ForwardingMode.FULL_NAT, false, oneBackend(false)).snatPorts(2000, 2003).build());
    for (int i = 0; i < 4; i++) {
      int n = builder(false, CLIENT4, VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(40000 + i, 80)
          .tcpFlags(TcpFlyweight.SYN).writeTcp(b, AT);
      assertThat(Verdict.action(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
    }
    int n = builder(false, CLIENT4, VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(50000, 80)
        .tcpFlags(TcpFlyweight.SYN).writeTcp(b, AT);
    assertThat(Verdict.reason(t.translate(new Frame(b, AT, n), Direction.CLIENT_TO_SERVER))).isEqualTo(DropReason.POOL_EXHAUSTED);
    // a RST frees its flow's port once the flow is closed
    int slot = t.flowTable().lookup(new io.github.lb4j.api.MutableFlowKey().setV4(6, IpAddresses.v4(CLIENT4), 40001,
        IpAddresses.v4(VIP4), 80));
    t.flowTable().close(slot);
    n = builder(false, CLIENT4, VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong()).ports(50001, 80)
        .tcpFlags(TcpFlyweight.SYN).writeTcp(b, AT);
    Frame f = new Frame(b, AT, n);
    assertThat(Verdict.action(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
    assertThat(b.getShort(AT + 34) & 0xFFFF).as("the port of the closed flow 40001 (ports go 2001, 2002, 2003, 2000)").isEqualTo(2002);
  }
}
