package io.github.lb4j.nat;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link PacketTranslator#translate(Frame[], int, Direction, int[])} gives exactly what translating the
 * same frames one by one gives: verdicts, bytes and frame regions, requests and (where they pass the
 * balancer) replies, with new flows, established ones, a VLAN tag, IPv6, a truncated frame and an ARP
 * frame in the batch.
 */
class BatchTranslateTest {

  private static final int N = 24;
  private static final int AREA = 256;

  @ParameterizedTest
  @EnumSource(ForwardingMode.class)
  void batch_translatesAsOneByOne(ForwardingMode mode) {
    PacketTranslator one = translator(mode);
    PacketTranslator batch = translator(mode);
    for (Direction d : mode.repliesPassBalancer() ? Direction.values() : new Direction[] {Direction.CLIENT_TO_SERVER}) {
      for (int round = 0; round < 3; round++) {
        ByteBuffer a = ByteBuffer.allocateDirect(N * AREA);
        ByteBuffer b = ByteBuffer.allocateDirect(N * AREA);
        Frame[] fa = frames(a, d, mode, one, round);
        Frame[] fb = frames(b, d, mode, one, round);
        int[] va = new int[N];
        for (int i = 0; i < N; i++) {
          va[i] = one.translate(fa[i], d);
        }
        int[] vb = new int[N];
        batch.translate(fb, N, d, vb);
        for (int i = 0; i < N; i++) {
          assertThat(Verdict.toString(vb[i])).as("%s %s round %d frame %d", mode, d, round, i)
              .isEqualTo(Verdict.toString(va[i]));
          assertThat(fb[i].offset()).isEqualTo(fa[i].offset());
          assertThat(Lab.bytes(b, fb[i].offset(), fb[i].length())).isEqualTo(Lab.bytes(a, fa[i].offset(), fa[i].length()));
        }
      }
    }
  }

  private static PacketTranslator translator(ForwardingMode mode) {
    List<Backend> backends = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      backends.add(Backend.of("web-" + i, Lab.RIP4, 8080 + i).withMac(MacAddress.parse("02:00:00:00:01:2" + i)));
    }
    return NatTranslators.create(Lab.config(mode, false, backends).build());
  }

  /**
   * Requests: SYNs of new flows, then (round > 0) ACKs of the same flows; replies: answers to the
   * flows the one-by-one translator forwarded (both translators hash alike: same seed and scheduler).
   */
  private static Frame[] frames(ByteBuffer buf, Direction d, ForwardingMode mode, PacketTranslator seen, int round) {
    Frame[] f = new Frame[N];
    SplittableRandom r = new SplittableRandom(round);
    FrameParser p = new FrameParser();
    for (int i = 0; i < N; i++) {
      int at = i * AREA + 64;
      FrameBuilder fb = new FrameBuilder().macs(Lab.LB_MAC.toLong(), Lab.GW_MAC.toLong())
          .tcpFlags(round == 0 ? TcpFlyweight.SYN : TcpFlyweight.ACK).ports(40_000 + i, 80).payload(r.nextInt(20));
      int client = IpAddresses.v4(Lab.CLIENT4) + i;
      fb.ipv4(client, IpAddresses.v4(Lab.VIP4));
      if (i == 5) {
        fb.vlan(7);
      }
      int n;
      if (i == 7) {
        n = fb.writeArpRequest(buf, at);
      } else if (i == 9) {
        n = fb.ipv6(IpAddresses.high(Lab.CLIENT6), IpAddresses.low(Lab.CLIENT6), IpAddresses.high(Lab.VIP6),
            IpAddresses.low(Lab.VIP6)).writeTcp(buf, at);
      } else {
        n = fb.writeTcp(buf, at);
      }
      if (d == Direction.SERVER_TO_CLIENT && i != 7 && i != 9) {
        // the reply of flow i: from the backend the scheduler picks for it, to the client (or SNAT port)
        ByteBuffer probe = ByteBuffer.allocate(AREA);
        int m = new FrameBuilder().macs(Lab.LB_MAC.toLong(), Lab.GW_MAC.toLong()).tcpFlags(TcpFlyweight.ACK)
            .ports(40_000 + i, 80).ipv4(client, IpAddresses.v4(Lab.VIP4)).writeTcp(probe, 64);
        Frame pf = new Frame(probe, 64, m);
        if (Verdict.action(seen.translate(pf, Direction.CLIENT_TO_SERVER)) == Verdict.FORWARD) {
          p.parse(probe, pf.offset(), pf.length());
          n = new FrameBuilder().macs(Lab.LB_MAC.toLong(), Lab.RIP_MAC.toLong()).tcpFlags(TcpFlyweight.ACK)
              .ports(p.destinationPort(), p.sourcePort()).ipv4(p.destinationAddressV4(), p.sourceAddressV4())
              .writeTcp(buf, at);
        }
      }
      f[i] = new Frame(buf, at, i == 11 ? 20 : n);
    }
    return f;
  }
}
