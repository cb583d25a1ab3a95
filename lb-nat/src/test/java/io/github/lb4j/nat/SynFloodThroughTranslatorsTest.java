package io.github.lb4j.nat;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.flow.FlowCounter;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.flow.ManualClock;
import io.github.lb4j.nat.header.EthernetFlyweight;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A deterministic SYN flood through each translator: a table of 4096 slots holds 1024 established
 * IPv4 flows (or 512 IPv6 flows, which take two slots each); then ten times the table's capacity in
 * flows of the family (40,960 or 20,480, and on until the last handshake has taken its last step)
 * of spoofed SYNs from random clients that never answer arrive while 1,000 legitimate clients open
 * connections among them. Each legitimate handshake
 * interleaves with the flood: its SYN, then (where replies pass the balancer) the server's SYN/ACK
 * after {@link #HALF_RTT} flood SYNs, the client's ACK after as many more, and a data segment and the
 * server's answer after as many again. A connection completes when every one of its segments is
 * forwarded, the client's to the backend its SYN went to and the server's back to the client from the
 * VIP. Goal: at least 95% complete in every mode, with and without a new-flow rate limit (well below
 * the flood's rate), and every established flow keeps its backend. The clock advances 50 us per frame, so the flood lasts
 * about two seconds and the rate limit resets twice. The simulated servers do not answer the spoofed
 * SYNs; a real one would, making the flood's flows "replied" too, which changes the order of eviction
 * classes but not the age order within them.
 */
class SynFloodThroughTranslatorsTest {

  private static final int CAPACITY = 4096;
  private static final int ESTABLISHED = 1024;
  private static final int LEGIT = 1000;
  private static final int HALF_RTT = 256;
  private static final int RATE_LIMIT = 1000;
  private static final int AT = 128;
  static List<Arguments> cases() {
    List<Arguments> a = new ArrayList<>();
    for (ForwardingMode m : ForwardingMode.values()) {
      for (boolean six : new boolean[] {false, true}) {
        a.add(Arguments.of(m, six, 0));
        a.add(Arguments.of(m, six, RATE_LIMIT));
      }
    }
    return a;
  }

  private final ManualClock clock = new ManualClock();
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
  private final Frame frame = new Frame(buffer, AT, 0);
  private final FrameParser parser = new FrameParser();
  private PacketTranslator t;
  private boolean six;

  @ParameterizedTest(name = "{0} ipv6={1} newFlowRateLimit={2}")
  @MethodSource("cases")
  void legitimateConnectionsComplete_andEstablishedFlowsKeepTheirBackend_duringAFloodOfTenTimesCapacity(
      ForwardingMode mode, boolean ipv6, int rateLimit) {
    six = ipv6;
    List<Backend> backends = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      backends.add(Backend.of("web-" + i, six ? Lab.RIP6 : Lab.RIP4B, 8080 + i)
          .withMac(MacAddress.parse("02:00:00:00:01:1" + i)));
    }
    // same address, four ports: four backends whatever the family
    SessionCounters sessions = SessionCounters.create();
    HashScheduler scheduler = new HashScheduler(sessions, backends);
    NatConfig config = NatConfig.builder(mode, scheduler)
        .vip(new NatConfig.Vip(six ? Lab.VIP6 : Lab.VIP4, 0, 0, mode == ForwardingMode.DSR_DSCP ? Lab.DSCP : -1))
        .balancer(Lab.LB_MAC, Lab.LB4, Lab.LB6).clientGateway(Lab.GW_MAC).snatAddress(six ? Lab.SNAT6 : Lab.SNAT4)
        .ports(0, 1)
        .flowTable(FlowTableConfig.builder(CAPACITY, sessions).clock(clock).clockSampleInterval(1).seed(3)
            .newFlowRateLimit(rateLimit).build())
        .build();
    t = NatTranslators.create(config);
    boolean replies = mode.repliesPassBalancer();
    int slotsPerFlow = six ? 2 : 1;

    // ten times the table's capacity in flows of the family (an IPv6 flow takes two slots)
    int flood = 10 * CAPACITY / slotsPerFlow;
    Connection[] established = new Connection[ESTABLISHED / slotsPerFlow];
    for (int i = 0; i < established.length; i++) {
      Connection c = new Connection(client(1 + (i >>> 12)), 1024 + (i & 4095));
      assertThat(c.syn()).as("established flow %d", i).isTrue();
      if (replies) {
        assertThat(c.synAck()).isTrue();
      }
      assertThat(c.ack()).isTrue();
      established[i] = c;
    }

    SplittableRandom r = new SplittableRandom(11);
    Connection[] legit = new Connection[LEGIT];
    int started = 0;
    int completed = 0;
    int every = flood / LEGIT;
    // the flood goes on until the last handshake has taken its last step, so that every legitimate
    // connection meets the flood at each of its steps (no handshake is counted while still in flight)
    int floodSyns = (LEGIT - 1) * every + 4 * HALF_RTT + 1;
    for (int n = 0; n < floodSyns; n++) {
      floodSyn(r);
      if (n % every == 0 && started < LEGIT) {
        legit[started] = new Connection(client(64 + (started >>> 10)), 2048 + (started & 1023));
        legit[started].ok = legit[started].syn();
        started++;
      }
      // the handshakes in flight, one step each every HALF_RTT flood SYNs after their SYN
      for (int back = 1; back <= 4; back++) {
        int k = n - back * HALF_RTT;
        if (k >= 0 && k % every == 0 && k / every < started) {
          Connection c = legit[k / every];
          if (!c.ok) {
            continue;
          }
          c.stage = back;
          switch (back) {
            case 1:
              c.ok = !replies || c.synAck();
              break;
            case 2:
              c.ok = c.ack();
              break;
            case 3:
              c.ok = c.data();
              break;
            default:
              c.ok = !replies || c.answer();
              if (c.ok) {
                completed++;
              }
          }
        }
      }
    }
    int kept = 0;
    for (Connection c : established) {
      if (c.data() && (!replies || c.answer())) {
        kept++;
      }
    }
    int[] failedAt = new int[5];
    for (int i = 0; i < started; i++) {
      if (!legit[i].ok) {
        failedAt[legit[i].stage]++;
      }
    }
    System.out.println("failed at stage (0 syn, 1 syn/ack, 2 ack, 3 data, 4 answer): " + java.util.Arrays.toString(failedAt));
    double fraction = (double) completed / started;
    System.out.printf("%s ipv6=%s rate limit %d: %d of %d legitimate connections completed (%.1f%%) during %d"
        + " spoofed SYNs; %d of %d established flows kept their backend; evicted %d, rate-limited %d,"
        + " admitted above the rate %d, table full %d%n", mode.modeName(), six, rateLimit, completed, started,
        100 * fraction, floodSyns, kept, established.length, t.flowTable().count(FlowCounter.EVICTED),
        t.flowTable().count(FlowCounter.RATE_LIMITED), t.flowTable().count(FlowCounter.ADMITTED_ABOVE_RATE),
        t.flowTable().count(FlowCounter.TABLE_FULL));
    assertThat(started).isEqualTo(LEGIT);
    assertThat(floodSyns).isGreaterThanOrEqualTo(flood);
    assertThat(fraction).isGreaterThanOrEqualTo(0.95);
    assertThat(kept).isEqualTo(established.length);
  }

  private long[] client(int host) {
    return six ? new long[] {0x2001_0DB8_0002_0000L, host} : new long[] {0, 0xC000_0200L | host};
  }

  private void floodSyn(SplittableRandom r) {
    FrameBuilder fb = base().macs(Lab.LB_MAC.toLong(), Lab.GW_MAC.toLong()).tcpFlags(TcpFlyweight.SYN)
        .ports(1024 + r.nextInt(60_000), 80);
    int host = 128 + r.nextInt(128);
    long salt = r.nextLong();
    if (six) {
      fb.ipv6(0x2001_0DB8_0002_0000L, salt << 8 | host, vipHigh(), vipLow());
    } else {
      fb.ipv4(0xC000_0200 | host, (int) vipLow());
    }
    send(fb, Direction.CLIENT_TO_SERVER);
  }

  private FrameBuilder base() {
    return new FrameBuilder();
  }

  private long vipHigh() {
    return IpAddresses.high(six ? Lab.VIP6 : Lab.VIP4);
  }

  private long vipLow() {
    return IpAddresses.low(six ? Lab.VIP6 : Lab.VIP4);
  }

  /** Writes, translates and parses one frame; returns the verdict. */
  private int send(FrameBuilder fb, Direction d) {
    int n = fb.writeTcp(buffer, AT);
    frame.set(buffer, AT, n);
    clock.advance(Duration.ofNanos(50_000));
    int v = t.translate(frame, d);
    if (Verdict.action(v) == Verdict.FORWARD) {
      parser.parse(buffer, frame.offset(), frame.length());
    }
    return v;
  }

  /** One client connection: its segments and what the balancer made of them. */
  private final class Connection {
    final long[] address;
    final int port;
    long backendMac;
    long toServerHigh;
    long toServerLow;
    long fromHigh;
    long fromLow;
    int serverPort;
    int fromPort;
    boolean ok;
    int stage;

    Connection(long[] address, int port) {
      this.address = address;
      this.port = port;
    }

    private FrameBuilder request(int flags) {
      FrameBuilder fb = base().macs(Lab.LB_MAC.toLong(), Lab.GW_MAC.toLong()).tcpFlags(flags).ports(port, 80);
      return six ? fb.ipv6(address[0], address[1], vipHigh(), vipLow()) : fb.ipv4((int) address[1], (int) vipLow());
    }

    boolean syn() {
      int v = send(request(TcpFlyweight.SYN), Direction.CLIENT_TO_SERVER);
      if (Verdict.action(v) != Verdict.FORWARD) {
        return false;
      }
      backendMac = EthernetFlyweight.destination(buffer, frame.offset());
      // the server answers the source and port it saw (the SNAT address under full NAT)
      fromHigh = parser.sourceAddressHigh();
      fromLow = parser.sourceAddressLow();
      fromPort = parser.sourcePort();
      toServerHigh = parser.destinationAddressHigh();
      toServerLow = parser.destinationAddressLow();
      serverPort = parser.destinationPort();
      return true;
    }

    private boolean toSameBackend(int flags) {
      int v = send(request(flags), Direction.CLIENT_TO_SERVER);
      return Verdict.action(v) == Verdict.FORWARD && EthernetFlyweight.destination(buffer, frame.offset()) == backendMac;
    }

    boolean ack() {
      return toSameBackend(TcpFlyweight.ACK);
    }

    boolean data() {
      return toSameBackend(TcpFlyweight.ACK | TcpFlyweight.PSH);
    }

    private boolean reply(int flags) {
      FrameBuilder fb = base().macs(Lab.LB_MAC.toLong(), backendMac).tcpFlags(flags).ports(serverPort, fromPort);
      if (six) {
        fb.ipv6(toServerHigh, toServerLow, fromHigh, fromLow);
      } else {
        fb.ipv4((int) toServerLow, (int) fromLow);
      }
      int v = send(fb, Direction.SERVER_TO_CLIENT);
      return Verdict.action(v) == Verdict.FORWARD && parser.sourceAddressLow() == vipLow()
          && parser.sourceAddressHigh() == vipHigh() && parser.sourcePort() == 80
          && parser.destinationAddressLow() == (six ? address[1] : IpAddresses.V4_MAPPED | address[1])
          && parser.destinationPort() == port;
    }

    boolean synAck() {
      return reply(TcpFlyweight.SYN | TcpFlyweight.ACK);
    }

    boolean answer() {
      return reply(TcpFlyweight.ACK | TcpFlyweight.PSH);
    }
  }
}
