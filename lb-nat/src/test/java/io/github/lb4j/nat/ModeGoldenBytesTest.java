package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Direction;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.Encapsulation;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden bytes for every mode and direction, IPv4 and IPv6: the translated frame must equal, byte
 * for byte, a frame built from scratch with the expected fields (checksums computed in full by
 * {@link FrameBuilder}, so the incremental updates are checked against full recomputation).
 */
class ModeGoldenBytesTest {

  private static final int AT = 128;

  private static FrameBuilder syn(boolean six) {
    return builder(six, six ? CLIENT6 : CLIENT4, six ? VIP6 : VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong())
        .ports(40000, 80).tcpFlags(TcpFlyweight.SYN).sequence(1000, 0).ttl(64);
  }

  private static byte[] expected(FrameBuilder fb) {
    ByteBuffer b = ByteBuffer.allocate(512);
    int n = fb.writeTcp(b, 0);
    return bytes(b, 0, n);
  }

  private static byte[] run(PacketTranslator t, FrameBuilder in, Direction d, int expectedPort) {
    ByteBuffer b = ByteBuffer.allocate(512);
    int n = in.writeTcp(b, AT);
    Frame f = new Frame(b, AT, n);
    int v = t.translate(f, d);
    assertThat(Verdict.toString(v)).isEqualTo(Verdict.toString(Verdict.forward(expectedPort)));
    assertThat(checksumsValid(b, f.offset(), f.length())).isTrue();
    return bytes(b, f.offset(), f.length());
  }

  private static InetAddress client(boolean six) {
    return six ? CLIENT6 : CLIENT4;
  }

  private static InetAddress vip(boolean six) {
    return six ? VIP6 : VIP4;
  }

  private static InetAddress rip(boolean six) {
    return six ? RIP6 : RIP4;
  }

  private static FrameBuilder synAck(boolean six, InetAddress src, int sport, InetAddress dst, int dport, MacAddress dmac,
      MacAddress smac, int ttl) {
    return builder(six, src, dst).macs(dmac.toLong(), smac.toLong()).ports(sport, dport)
        .tcpFlags(TcpFlyweight.SYN | TcpFlyweight.ACK).sequence(5000, 1001).ttl(ttl);
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void transparent_rewritesDestinationIpPortAndMac_andRestoresTheVipOnReplies(boolean six) {
    PacketTranslator t = translator(ForwardingMode.TRANSPARENT, six);
    byte[] out = run(t, syn(six), Direction.CLIENT_TO_SERVER, 1);
    // destination address, port and MAC change, the source MAC becomes the balancer port's (a
    // frame leaving one-arm with the router's MAC would teach the switch a wrong port); TTL stays
    assertThat(out).isEqualTo(expected(builder(six, client(six), rip(six)).macs(RIP_MAC.toLong(), LB_MAC.toLong())
        .ports(40000, 8080).tcpFlags(TcpFlyweight.SYN).sequence(1000, 0).ttl(64)));
    // the server's gateway is the balancer (S6.1a): its reply, addressed to the balancer's MAC, is
    // routed on to the gateway towards the client, one hop less
    byte[] reply = run(t, synAck(six, rip(six), 8080, client(six), 40000, LB_MAC, RIP_MAC, 64), Direction.SERVER_TO_CLIENT, 0);
    assertThat(reply).isEqualTo(expected(synAck(six, vip(six), 80, client(six), 40000, GW_MAC, LB_MAC, 63)));
    // a reply the balancer bridges (addressed to the servers' real gateway) keeps its MACs and TTL
    byte[] bridged = run(t, synAck(six, rip(six), 8080, client(six), 40000, GW_MAC, RIP_MAC, 64), Direction.SERVER_TO_CLIENT, 0);
    assertThat(bridged).isEqualTo(expected(synAck(six, vip(six), 80, client(six), 40000, GW_MAC, RIP_MAC, 64)));
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void router_rewritesBothMacsAndDecrementsTtl_bothWays(boolean six) {
    PacketTranslator t = translator(ForwardingMode.ROUTER, six);
    byte[] out = run(t, syn(six), Direction.CLIENT_TO_SERVER, 1);
    assertThat(out).isEqualTo(expected(builder(six, client(six), rip(six)).macs(RIP_MAC.toLong(), LB_MAC.toLong())
        .ports(40000, 8080).tcpFlags(TcpFlyweight.SYN).sequence(1000, 0).ttl(63)));
    // the TTL octet sits at 14 + 8 (IPv4) or the hop limit at 14 + 7 (IPv6)
    assertThat(out[six ? 21 : 22] & 0xFF).isEqualTo(63);
    byte[] reply = run(t, synAck(six, rip(six), 8080, client(six), 40000, LB_MAC, RIP_MAC, 64), Direction.SERVER_TO_CLIENT, 0);
    assertThat(reply).isEqualTo(expected(synAck(six, vip(six), 80, client(six), 40000, GW_MAC, LB_MAC, 63)));
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void dsrL2_rewritesOnlyTheMacs(boolean six) {
    PacketTranslator t = translator(ForwardingMode.DSR_L2, six);
    byte[] out = run(t, syn(six), Direction.CLIENT_TO_SERVER, 1);
    assertThat(out).isEqualTo(expected(syn(six).macs(RIP_MAC.toLong(), LB_MAC.toLong())));
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void dsrDscp_rewritesDestinationAndDscp_keepingThePort(boolean six) {
    PacketTranslator t = translator(ForwardingMode.DSR_DSCP, six);
    byte[] out = run(t, syn(six), Direction.CLIENT_TO_SERVER, 1);
    assertThat(out).isEqualTo(expected(builder(six, client(six), rip(six)).macs(RIP_MAC.toLong(), LB_MAC.toLong())
        .dscpEcn(DSCP << 2).ports(40000, 80).tcpFlags(TcpFlyweight.SYN).sequence(1000, 0).ttl(64)));
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void dsrIpip_pushesAnOuterHeaderToTheServer_leavingTheInnerPacketUntouched(boolean six) {
    PacketTranslator t = translator(ForwardingMode.DSR_IPIP, six);
    byte[] out = run(t, syn(six), Direction.CLIENT_TO_SERVER, 1);
    ByteBuffer e = ByteBuffer.allocate(512);
    int n = syn(six).macs(RIP_MAC.toLong(), LB_MAC.toLong()).writeTcp(e, 64);
    int start = six
        ? Encapsulation.pushIpv6(e, 64, 14, n - 14, true, IpAddresses.high(LB6), IpAddresses.low(LB6),
            IpAddresses.high(RIP6), IpAddresses.low(RIP6), 64, 0, 0)
        : Encapsulation.pushIpv4(e, 64, 14, n - 14, false, IpAddresses.v4(LB4), IpAddresses.v4(RIP4), 64, 0, 0);
    byte[] want = bytes(e, start, n + (six ? 40 : 20));
    if (six) {
      // the flow label is a hash of the inner flow: copy it, then compare the rest
      for (int i = 15; i < 18; i++) {
        want[i] = (byte) ((want[i] & (i == 15 ? 0xF0 : 0)) | (out[i] & (i == 15 ? 0x0F : 0xFF)));
      }
    }
    assertThat(out).isEqualTo(want);
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void fullNat_rewritesSourceToThePoolAndDestinationToTheServer_andReversesBothOnReplies(boolean six) {
    PacketTranslator t = translator(ForwardingMode.FULL_NAT, six);
    InetAddress snat = six ? SNAT6 : SNAT4;
    byte[] out = run(t, syn(six), Direction.CLIENT_TO_SERVER, 1);
    assertThat(out).isEqualTo(expected(builder(six, snat, rip(six)).macs(RIP_MAC.toLong(), LB_MAC.toLong())
        .ports(1025, 8080).tcpFlags(TcpFlyweight.SYN).sequence(1000, 0).ttl(64)));
    byte[] reply = run(t, synAck(six, rip(six), 8080, snat, 1025, LB_MAC, RIP_MAC, 64), Direction.SERVER_TO_CLIENT, 0);
    assertThat(reply).isEqualTo(expected(synAck(six, vip(six), 80, client(six), 40000, GW_MAC, LB_MAC, 64)));
  }
}
