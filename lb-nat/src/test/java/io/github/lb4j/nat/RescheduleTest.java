package io.github.lb4j.nat;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.header.EthernetFlyweight;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A request that finds a tracked flow is scheduled afresh when that flow cannot take it, as IPVS
 * does ({@code conn_reuse_mode}, {@code expire_nodest_conn}): a SYN whose flow's backend was taken
 * out (down or removed, or drained) goes to a live one, a SYN for a connection that ended opens a new
 * flow, a datagram of a flow whose backend is down goes to a live one. What stays: a retransmitted
 * SYN of a handshake whose backend is still eligible, the segments of an established connection,
 * and the datagrams of a drained backend. Every mode, IPv4 and IPv6, the real Maglev scheduler.
 *
 * <p>The lab failure this pins: a client reused the port of a connection to a server that had been
 * stopped; the balancer still held that flow and sent the new SYN to the stopped server, which
 * refused it, although the pool had marked the server down.
 */
class RescheduleTest {

  private static final int AT = 128;
  private static final int VIP_PORT = 80;

  static List<Arguments> cases() {
    List<Arguments> a = new ArrayList<>();
    for (ForwardingMode m : ForwardingMode.values()) {
      a.add(Arguments.of(m, false));
      a.add(Arguments.of(m, true));
    }
    return a;
  }

  private final ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
  private final Frame frame = new Frame(buffer, AT, 0);
  private final FrameParser parser = new FrameParser();
  private final List<Backend> backends = new ArrayList<>();
  private Scheduler scheduler;
  private PacketTranslator t;
  private ForwardingMode mode;
  private boolean six;

  private void setUp(ForwardingMode m, boolean ipv6) {
    mode = m;
    six = ipv6;
    backends.clear();
    for (int i = 0; i < 4; i++) {
      backends.add(Backend.of("web-" + i, six ? Lab.RIP6 : Lab.RIP4B, 8080 + i)
          .withMac(MacAddress.parse("02:00:00:00:01:1" + i)));
    }
    scheduler = Schedulers.create("maglev", SchedulerConfig.builder().seed(7).build());
    scheduler.update(backends);
    NatConfig config = NatConfig.builder(mode, scheduler)
        .vip(new NatConfig.Vip(six ? Lab.VIP6 : Lab.VIP4, 0, 0, mode == ForwardingMode.DSR_DSCP ? Lab.DSCP : -1))
        .balancer(Lab.LB_MAC, Lab.LB4, Lab.LB6).clientGateway(Lab.GW_MAC).snatAddress(six ? Lab.SNAT6 : Lab.SNAT4)
        .ports(0, 1)
        .flowTable(FlowTableConfig.builder(4096, scheduler.sessions()).clockSampleInterval(1).seed(3).build())
        .build();
    t = NatTranslators.create(config);
  }

  /** Publishes the backends with {@code index} left out (down), or drained (weight 0). */
  private void takeOut(int index, boolean drain) {
    List<Backend> eligible = new ArrayList<>();
    List<Backend> ineligible = new ArrayList<>();
    for (int i = 0; i < backends.size(); i++) {
      Backend b = backends.get(i);
      if (i != index) {
        eligible.add(b);
      } else if (drain) {
        eligible.add(b.withWeight(0));
      } else {
        ineligible.add(b);
      }
    }
    scheduler.update(eligible, ineligible);
  }

  @ParameterizedTest(name = "{0} ipv6={1}")
  @MethodSource("cases")
  void aSynForAFlowWhoseBackendIsDown_goesToALiveBackend(ForwardingMode m, boolean ipv6) {
    setUp(m, ipv6);
    Connection c = new Connection(40_000);
    int first = c.syn();
    c.handshake();

    takeOut(first, false);
    // the same client port again: a new connection whose old one's end the balancer did not see
    int second = c.syn();

    assertThat(second).as("backend of the new SYN; the first was %d, now down", first).isNotEqualTo(first).isNotNegative();
    assertThat(t.count(NatCounter.RESCHEDULED_FROM_UNAVAILABLE)).isEqualTo(1);
    // the new connection's segments follow its new flow
    assertThat(c.segment(TcpFlyweight.ACK)).isEqualTo(second);
  }

  @ParameterizedTest(name = "{0} ipv6={1}")
  @MethodSource("cases")
  void aSynForAFlowWhoseBackendIsDrained_goesToALiveBackend_whileAnEstablishedOneStays(ForwardingMode m, boolean ipv6) {
    setUp(m, ipv6);
    Connection established = new Connection(40_001);
    int owner = established.syn();
    established.handshake();
    Connection retried = new Connection(40_002);
    // a client port whose flow lands on the same backend, its handshake not answered
    for (int p = 40_003; retried.syn() != owner; p++) {
      retried = new Connection(p);
    }

    takeOut(owner, true);

    assertThat(established.segment(TcpFlyweight.ACK | TcpFlyweight.PSH)).as("an established connection stays").isEqualTo(owner);
    assertThat(retried.syn()).as("a retransmitted SYN of a drained backend's handshake").isNotEqualTo(owner).isNotNegative();
    assertThat(t.count(NatCounter.RESCHEDULED_FROM_UNAVAILABLE)).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0} ipv6={1}")
  @MethodSource("cases")
  void anEstablishedConnectionToABackendFoundDown_keepsGoingToIt(ForwardingMode m, boolean ipv6) {
    setUp(m, ipv6);
    Connection c = new Connection(40_000);
    int owner = c.syn();
    c.handshake();

    takeOut(owner, false);

    assertThat(c.segment(TcpFlyweight.ACK | TcpFlyweight.PSH)).isEqualTo(owner);
    assertThat(c.segment(TcpFlyweight.ACK | TcpFlyweight.FIN)).isEqualTo(owner);
    assertThat(t.count(NatCounter.RESCHEDULED_FROM_UNAVAILABLE)).isZero();
  }

  @ParameterizedTest(name = "{0} ipv6={1}")
  @MethodSource("cases")
  void aRetransmittedSynWhoseBackendIsStillEligible_staysWithItsFlow(ForwardingMode m, boolean ipv6) {
    setUp(m, ipv6);
    Connection c = new Connection(40_000);
    int owner = c.syn();
    int snatPort = c.fromPort;

    takeOut((owner + 1) % backends.size(), false);

    assertThat(c.syn()).isEqualTo(owner);
    assertThat(c.fromPort).as("the source-NAT port, if any, of the same flow").isEqualTo(snatPort);
    assertThat(t.count(NatCounter.RESCHEDULED_FROM_UNAVAILABLE) + t.count(NatCounter.RESCHEDULED_REUSED_PORT)).isZero();
  }

  @ParameterizedTest(name = "{0} ipv6={1}")
  @MethodSource("cases")
  void aSynAfterTheConnectionWasReset_opensANewFlow(ForwardingMode m, boolean ipv6) {
    setUp(m, ipv6);
    Connection c = new Connection(40_000);
    int owner = c.syn();
    int snatPort = c.fromPort;
    c.handshake();
    assertThat(c.segment(TcpFlyweight.RST)).isEqualTo(owner);

    int again = c.syn();

    // the same membership hashes the new connection to the same backend
    assertThat(again).isEqualTo(owner);
    assertThat(t.count(NatCounter.RESCHEDULED_REUSED_PORT)).isEqualTo(1);
    if (mode == ForwardingMode.FULL_NAT) {
      // a new source-NAT port: the server's TIME_WAIT of the old connection is not in the way
      assertThat(c.fromPort).isNotEqualTo(snatPort);
    }
    if (mode.repliesPassBalancer()) {
      assertThat(c.reply(TcpFlyweight.SYN | TcpFlyweight.ACK)).as("the new connection's SYN/ACK finds its flow").isTrue();
    }
  }

  @ParameterizedTest(name = "{0} ipv6={1}")
  @MethodSource("cases")
  void aSynAfterBothFins_opensANewFlow(ForwardingMode m, boolean ipv6) {
    setUp(m, ipv6);
    Connection c = new Connection(40_000);
    int owner = c.syn();
    c.handshake();
    c.segment(TcpFlyweight.ACK | TcpFlyweight.FIN);
    if (mode.repliesPassBalancer()) {
      assertThat(c.reply(TcpFlyweight.ACK | TcpFlyweight.FIN)).isTrue();
    } else {
      // where replies bypass the balancer it sees the client's side only
      c.segment(TcpFlyweight.ACK | TcpFlyweight.FIN);
    }

    assertThat(c.syn()).isEqualTo(owner);
    assertThat(t.count(NatCounter.RESCHEDULED_REUSED_PORT)).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0} ipv6={1}")
  @MethodSource("cases")
  void aDatagramOfAFlowWhoseBackendIsDown_goesToALiveBackend_butADrainedOneKeepsItsFlows(ForwardingMode m, boolean ipv6) {
    setUp(m, ipv6);
    int owner = datagram(50_000);
    // another client port whose flow lands on another backend, which will be drained
    int drainedPort = 50_001;
    int drainedOwner = datagram(drainedPort);
    while (drainedOwner == owner) {
      drainedOwner = datagram(++drainedPort);
    }
    List<Backend> eligible = new ArrayList<>();
    List<Backend> ineligible = new ArrayList<>();
    for (int i = 0; i < backends.size(); i++) {
      Backend b = backends.get(i);
      if (i == owner) {
        ineligible.add(b);
      } else {
        eligible.add(i == drainedOwner ? b.withWeight(0) : b);
      }
    }
    scheduler.update(eligible, ineligible);

    assertThat(datagram(50_000)).as("a datagram whose backend is down").isNotEqualTo(owner).isNotNegative();
    assertThat(datagram(drainedPort)).as("a datagram of a drained backend's flow").isEqualTo(drainedOwner);
    assertThat(t.count(NatCounter.RESCHEDULED_FROM_UNAVAILABLE)).isEqualTo(1);
  }

  // ---------------------------------------------------------------- frames

  private long[] client() {
    return six ? new long[] {0x2001_0DB8_0002_0000L, 7} : new long[] {0, 0xC000_0207L};
  }

  private FrameBuilder fromClient(int clientPort) {
    long[] a = client();
    FrameBuilder fb = new FrameBuilder().macs(Lab.LB_MAC.toLong(), Lab.GW_MAC.toLong()).ports(clientPort, VIP_PORT);
    return six ? fb.ipv6(a[0], a[1], vipHigh(), vipLow()) : fb.ipv4((int) a[1], (int) vipLow());
  }

  private long vipHigh() {
    return IpAddresses.high(six ? Lab.VIP6 : Lab.VIP4);
  }

  private long vipLow() {
    return IpAddresses.low(six ? Lab.VIP6 : Lab.VIP4);
  }

  /** Sends one UDP datagram from a client port; returns the backend it went to, or -1. */
  private int datagram(int clientPort) {
    int n = fromClient(clientPort).payload(32).writeUdp(buffer, AT);
    return backendOf(translate(n, Direction.CLIENT_TO_SERVER));
  }

  private int translate(int length, Direction d) {
    frame.set(buffer, AT, length);
    int v = t.translate(frame, d);
    if (Verdict.action(v) == Verdict.FORWARD) {
      parser.parse(buffer, frame.offset(), frame.length());
    }
    return v;
  }

  /** The index of the backend a forwarded frame went to (by its destination MAC), or -1. */
  private int backendOf(int verdict) {
    if (Verdict.action(verdict) != Verdict.FORWARD) {
      return -1;
    }
    long mac = EthernetFlyweight.destination(buffer, frame.offset());
    for (int i = 0; i < backends.size(); i++) {
      if (backends.get(i).mac().toLong() == mac) {
        return i;
      }
    }
    return -1;
  }

  /** One client port's connection: its segments and what the balancer made of them. */
  private final class Connection {
    final int port;
    long backendMac;
    long toServerHigh;
    long toServerLow;
    long fromHigh;
    long fromLow;
    int serverPort;
    int fromPort;

    Connection(int port) {
      this.port = port;
    }

    /** Sends a SYN; returns the backend it went to (and notes the addresses the server sees), or -1. */
    int syn() {
      int b = segment(TcpFlyweight.SYN);
      if (b >= 0 && mode.repliesPassBalancer()) {
        // the server answers the source and port it saw (the source-NAT address under full NAT)
        backendMac = EthernetFlyweight.destination(buffer, frame.offset());
        fromHigh = parser.sourceAddressHigh();
        fromLow = parser.sourceAddressLow();
        fromPort = parser.sourcePort();
        toServerHigh = parser.destinationAddressHigh();
        toServerLow = parser.destinationAddressLow();
        serverPort = parser.destinationPort();
      }
      return b;
    }

    /** The server's SYN/ACK where replies pass the balancer, then the client's ACK. */
    void handshake() {
      if (mode.repliesPassBalancer()) {
        assertThat(reply(TcpFlyweight.SYN | TcpFlyweight.ACK)).as("SYN/ACK translated").isTrue();
      }
      assertThat(segment(TcpFlyweight.ACK)).isNotNegative();
    }

    /** Sends a client segment; returns the backend it went to, or -1. */
    int segment(int flags) {
      int n = fromClient(port).tcpFlags(flags).writeTcp(buffer, AT);
      return backendOf(translate(n, Direction.CLIENT_TO_SERVER));
    }

    /** Sends a server segment of this connection; whether it reached the client from the VIP. */
    boolean reply(int flags) {
      FrameBuilder fb = new FrameBuilder().macs(Lab.LB_MAC.toLong(), backendMac).tcpFlags(flags).ports(serverPort, fromPort);
      if (six) {
        fb.ipv6(toServerHigh, toServerLow, fromHigh, fromLow);
      } else {
        fb.ipv4((int) toServerLow, (int) fromLow);
      }
      int v = translate(fb.writeTcp(buffer, AT), Direction.SERVER_TO_CLIENT);
      return Verdict.action(v) == Verdict.FORWARD && parser.sourceAddressLow() == vipLow()
          && parser.sourceAddressHigh() == vipHigh() && parser.sourcePort() == VIP_PORT && parser.destinationPort() == port;
    }
  }
}
