package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.flow.ManualClock;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.FrameParser;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * IP fragments under {@link FragmentPolicy#FOLLOW_FIRST} (the default): the first fragment is
 * balanced by its full flow and later fragments, which carry no ports, follow it through the
 * fragment table; golden bytes check the later fragment is rewritten at the IP layer exactly as the
 * first one was, with its payload untouched.
 */
class FragmentFollowingTest {

  private static final int AT = 64;
  private static final int ID = 0x4242;
  private static final long TIMEOUT = Duration.ofSeconds(30).toNanos();
  private static final InetAddress RIP4C = IpAddresses.parse("198.51.100.13");

  private final ManualClock clock = new ManualClock();

  private static PacketTranslator translator(ForwardingMode mode, boolean six, List<Backend> backends, NanoClock clock,
      FragmentPolicy policy) {
    SessionCounters sessions = SessionCounters.create();
    HashScheduler scheduler = new HashScheduler(sessions, backends);
    return NatTranslators.create(NatConfig.builder(mode, scheduler)
        .vip(new NatConfig.Vip(six ? VIP6 : VIP4, 0, 0, -1))
        .balancer(LB_MAC, LB4, LB6).clientGateway(GW_MAC).snatAddress(six ? SNAT6 : SNAT4).ports(0, 1)
        .flowTable(FlowTableConfig.builder(4096, sessions).clockSampleInterval(1).seed(1).clock(clock).build())
        .fragments(policy).fragmentTable(16, TIMEOUT).build());
  }

  private PacketTranslator translator(ForwardingMode mode, boolean six) {
    return translator(mode, six, oneBackend(six), clock, FragmentPolicy.FOLLOW_FIRST);
  }

  private static FrameBuilder fragment(boolean six, InetAddress dst, int sport, int dport, int id, boolean first) {
    // the first fragment carries the UDP header and more-fragments; the later one, at offset 32 bytes, neither
    return builder(six, six ? CLIENT6 : CLIENT4, dst).macs(LB_MAC.toLong(), GW_MAC.toLong())
        .fragment(id, first ? 1 : 0, first ? 0 : 4).ipv6Extensions(false, six).ports(sport, dport).payload(24).ttl(64);
  }

  private static FrameBuilder first(boolean six, int sport) {
    return fragment(six, six ? VIP6 : VIP4, sport, 53, ID, true);
  }

  private static FrameBuilder later(boolean six, int sport) {
    return fragment(six, six ? VIP6 : VIP4, sport, 53, ID, false);
  }

  private static byte[] frame(FrameBuilder fb) {
    ByteBuffer b = ByteBuffer.allocate(256);
    int n = fb.writeUdp(b, 0);
    return bytes(b, 0, n);
  }

  private static int l4(boolean six) {
    return 14 + (six ? 48 : 20);
  }

  /** The expected later fragment: headers built from scratch, the bytes after them exactly the input's. */
  private static byte[] laterExpected(boolean six, FrameBuilder headers, byte[] input) {
    byte[] e = frame(headers);
    System.arraycopy(input, l4(six), e, l4(six), input.length - l4(six));
    return e;
  }

  private static final class Result {
    final int verdict;
    final byte[] out;

    Result(int verdict, byte[] out) {
      this.verdict = verdict;
      this.out = out;
    }
  }

  private static Result send(PacketTranslator t, byte[] in) {
    ByteBuffer b = ByteBuffer.allocate(512);
    b.put(AT, in);
    Frame f = new Frame(b, AT, in.length);
    int v = t.translate(f, Direction.CLIENT_TO_SERVER);
    return new Result(v, bytes(b, f.offset(), f.length()));
  }

  private static byte[] forwarded(PacketTranslator t, byte[] in) {
    Result r = send(t, in);
    assertThat(Verdict.toString(r.verdict)).isEqualTo(Verdict.toString(Verdict.forward(1)));
    assertThat(checksumsValid(ByteBuffer.wrap(r.out), 0, r.out.length)).isTrue();
    return r.out;
  }

  private static void dropped(PacketTranslator t, byte[] in) {
    assertThat(Verdict.toString(send(t, in).verdict))
        .isEqualTo(Verdict.toString(Verdict.drop(DropReason.FRAGMENT_UNMATCHED)));
  }

  private static long destinationLow(byte[] frame) {
    FrameParser p = new FrameParser();
    assertThat(p.parse(ByteBuffer.wrap(frame), 0, frame.length)).isEqualTo(FrameParser.OK);
    return p.destinationAddressLow();
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void transparent_laterFragmentGetsTheFirstFragmentsDestinationRewrite_goldenBytes(boolean six) {
    PacketTranslator t = translator(ForwardingMode.TRANSPARENT, six);
    InetAddress rip = six ? RIP6 : RIP4;
    // the first fragment: destination address, port and MACs rewritten (it leaves from the
    // balancer's port), UDP checksum updated
    byte[] out = forwarded(t, frame(first(six, 40000)));
    assertThat(out).isEqualTo(frame(fragment(six, rip, 40000, 8080, ID, true).macs(RIP_MAC.toLong(), LB_MAC.toLong())));
    // the later fragment: the same destination address (IPv4 header checksum updated) and MAC, payload untouched
    byte[] in = frame(later(six, 40000));
    byte[] next = forwarded(t, in);
    assertThat(next).isEqualTo(laterExpected(six,
        fragment(six, rip, 40000, 53, ID, false).macs(RIP_MAC.toLong(), LB_MAC.toLong()), in));
    assertThat(t.count(NatCounter.FIRST_FRAGMENTS_RECORDED)).isEqualTo(1);
    assertThat(t.count(NatCounter.FRAGMENTS_FOLLOWED)).isEqualTo(1);
    assertThat(t.count(NatCounter.FRAGMENTS_HASHED)).isZero();
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void dsrL2_laterFragmentGetsTheFirstFragmentsBackendMac_goldenBytes(boolean six) {
    PacketTranslator t = translator(ForwardingMode.DSR_L2, six);
    byte[] out = forwarded(t, frame(first(six, 40000)));
    assertThat(out).isEqualTo(frame(first(six, 40000).macs(RIP_MAC.toLong(), LB_MAC.toLong())));
    byte[] next = forwarded(t, frame(later(six, 40000)));
    assertThat(next).isEqualTo(frame(later(six, 40000).macs(RIP_MAC.toLong(), LB_MAC.toLong())));
    assertThat(t.count(NatCounter.FRAGMENTS_FOLLOWED)).isEqualTo(1);
  }

  @Test
  void laterFragments_followTheFirstFragmentsFlow_notAThreeTupleHash() {
    List<Backend> three = List.of(Backend.of("web-1", RIP4, 8080).withMac(RIP_MAC),
        Backend.of("web-2", RIP4B, 8080).withMac(RIP_MAC_B), Backend.of("web-3", RIP4C, 8080).withMac(RIP_MAC_B));
    PacketTranslator t = translator(ForwardingMode.TRANSPARENT, false, three, clock, FragmentPolicy.FOLLOW_FIRST);
    Set<Long> chosen = new HashSet<>();
    for (int sport = 1000; sport < 1032; sport++) {
      long first = destinationLow(forwarded(t, frame(first(false, sport))));
      long next = destinationLow(forwarded(t, frame(later(false, sport))));
      assertThat(next).as("later fragment of source port %d", sport).isEqualTo(first);
      // an unfragmented packet of the same flow finds the flow the first fragment created
      long whole = destinationLow(forwarded(t, frame(builder(false, CLIENT4, VIP4).macs(LB_MAC.toLong(), GW_MAC.toLong())
          .ports(sport, 53).payload(24))));
      assertThat(whole).isEqualTo(first);
      chosen.add(first);
    }
    // balanced on the full flow: the 32 datagrams, which share a 3-tuple, spread over the backends
    assertThat(chosen).hasSizeGreaterThan(1);
    assertThat(t.flowTable().size()).isEqualTo(32);
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void laterFragmentWithoutItsFirst_isDroppedAndCounted(boolean six) {
    PacketTranslator t = translator(ForwardingMode.TRANSPARENT, six);
    dropped(t, frame(later(six, 40000)));
    assertThat(t.drops(DropReason.FRAGMENT_UNMATCHED)).isEqualTo(1);
    // another datagram's first fragment (another identification) does not match it either
    forwarded(t, frame(fragment(six, six ? VIP6 : VIP4, 40000, 53, ID + 1, true)));
    dropped(t, frame(later(six, 40000)));
    assertThat(t.drops(DropReason.FRAGMENT_UNMATCHED)).isEqualTo(2);
    assertThat(t.count(NatCounter.FRAGMENTS_FOLLOWED)).isZero();
  }

  @Test
  void outOfOrder_laterBeforeFirst_isDropped_andLaterFragmentsAfterTheFirstFollow() {
    PacketTranslator t = translator(ForwardingMode.DSR_L2, false);
    dropped(t, frame(later(false, 40000)));
    forwarded(t, frame(first(false, 40000)));
    forwarded(t, frame(later(false, 40000)));
    assertThat(t.drops(DropReason.FRAGMENT_UNMATCHED)).isEqualTo(1);
    assertThat(t.count(NatCounter.FRAGMENTS_FOLLOWED)).isEqualTo(1);
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void entry_expiresAfterTheTimeout_onTheInjectedClock(boolean six) {
    PacketTranslator t = translator(ForwardingMode.TRANSPARENT, six);
    forwarded(t, frame(first(six, 40000)));
    clock.advance(Duration.ofSeconds(29));
    forwarded(t, frame(later(six, 40000)));
    clock.advance(Duration.ofSeconds(2));
    dropped(t, frame(later(six, 40000)));
    assertThat(t.count(NatCounter.FRAGMENTS_FOLLOWED)).isEqualTo(1);
    assertThat(t.drops(DropReason.FRAGMENT_UNMATCHED)).isEqualTo(1);
  }

  @ParameterizedTest(name = "ipv6={0}")
  @ValueSource(booleans = {false, true})
  void hashThreeTuplePolicy_balancesEveryFragmentStatelessly_inAnyOrder(boolean six) {
    PacketTranslator t = translator(ForwardingMode.DSR_L2, six, oneBackend(six), clock, FragmentPolicy.HASH_THREE_TUPLE);
    byte[] next = forwarded(t, frame(later(six, 40000)));
    assertThat(next).isEqualTo(frame(later(six, 40000).macs(RIP_MAC.toLong(), LB_MAC.toLong())));
    forwarded(t, frame(first(six, 40000)));
    assertThat(t.count(NatCounter.FRAGMENTS_HASHED)).isEqualTo(2);
    assertThat(t.count(NatCounter.FRAGMENTS_FOLLOWED)).isZero();
    assertThat(t.drops(DropReason.FRAGMENT_UNMATCHED)).isZero();
    assertThat(t.flowTable().size()).isZero();
  }

  @Test
  void fullNat_stillDropsFragments() {
    PacketTranslator t = translator(ForwardingMode.FULL_NAT, false);
    dropped(t, frame(first(false, 40000)));
    dropped(t, frame(later(false, 40000)));
  }

  @Test
  void fragmentTable_rejectsABadCapacityOrTimeout_namingIt() {
    NatConfig.Builder b = config(ForwardingMode.TRANSPARENT, false, oneBackend(false));
    assertThatThrownBy(() -> b.fragmentTable(1000, TIMEOUT)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fragmentTable capacity").hasMessageContaining("1000");
    assertThatThrownBy(() -> b.fragmentTable(1024, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fragmentTable timeoutNanos").hasMessageContaining("was 0");
    NatConfig c = b.build();
    assertThat(c.fragments()).isEqualTo(FragmentPolicy.FOLLOW_FIRST);
    assertThat(c.fragmentTableCapacity()).isEqualTo(1024);
    assertThat(c.fragmentTimeoutNanos()).isEqualTo(TIMEOUT);
  }
}
