package io.github.lb4j.nat;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.flow.FlowState;
import io.github.lb4j.nat.flow.FlowTable;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.nat.flow.ManualClock;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.TcpFlyweight;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The source-NAT ports: O(1) allocation from a FIFO ring of free ports, release whenever the flow
 * table frees a flow (closed, expired, evicted), bounded reclaim of expired flows when the ring is
 * empty, ownership kept across the table's cuckoo moves.
 */
class SnatPortsTest {

  private final ManualClock clock = new ManualClock();
  private final FlowTable table = new FlowTable(FlowTableConfig.builder(1024, SessionCounters.create())
      .clockSampleInterval(1).seed(3).clock(clock).build());
  private final MutableFlowKey key = new MutableFlowKey();

  private SnatPorts pool(int low, int high) {
    SnatPorts pool = new SnatPorts(List.of(Lab.SNAT4, Lab.SNAT6), low, high, table);
    table.onFree(pool::freed);
    table.onMove(pool::moved);
    return pool;
  }

  private int open(int clientPort) {
    key.setV4(17, 0x0A00_0001, clientPort, 0x0A00_0002, 53);
    return table.open(key, 0, FlowState.UDP, 0);
  }

  private int flowWithPort(SnatPorts pool, int clientPort) {
    int slot = open(clientPort);
    int t = pool.allocate(slot, false);
    if (t != 0) {
      table.translation(slot, t);
    }
    return t;
  }

  @Test
  void theRingStartsAtItsOrigin_andStillHandsOutEveryPortOnce() {
    SnatPorts pool = new SnatPorts(List.of(Lab.SNAT4), 2000, 2099, table, 250);
    table.onFree(pool::freed);
    table.onMove(pool::moved);
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      int port = Translation.port(flowWithPort(pool, 40000 + i));
      if (i == 0) {
        // 250 past the default first port (2001), modulo the 100 ports of the range
        assertThat(port).isEqualTo(2051);
      }
      assertThat(ports.add(port)).isTrue();
    }
    assertThat(ports).hasSize(100).allMatch(p -> p >= 2000 && p <= 2099);
    assertThat(flowWithPort(pool, 50000)).isZero();
  }

  @Test
  void translatorsWithARandomSeed_startTheirPortsAtRandomPlaces_andAFixedSeedAtTheRangesStart() {
    Set<Integer> firsts = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      firsts.add(firstSnatPort(FlowTableConfig.builder(1024, SessionCounters.create()).build()));
    }
    // four draws among 64,512 ports all alike: about once in 10^14
    assertThat(firsts).hasSizeGreaterThan(1);
    assertThat(firstSnatPort(FlowTableConfig.builder(1024, SessionCounters.create()).seed(5).build())).isEqualTo(1025);
  }

  private static int firstSnatPort(FlowTableConfig flows) {
    List<Backend> backends = Lab.oneBackend(false);
    HashScheduler scheduler = new HashScheduler(flows.sessions(), backends);
    PacketTranslator t = NatTranslators.create(NatConfig.builder(ForwardingMode.FULL_NAT, scheduler)
        .vip(new NatConfig.Vip(Lab.VIP4, 0, 0, -1)).balancer(Lab.LB_MAC, Lab.LB4, Lab.LB6).clientGateway(Lab.GW_MAC)
        .snatAddress(Lab.SNAT4).ports(0, 1).flowTable(flows).build());
    ByteBuffer b = ByteBuffer.allocate(2048);
    int n = Lab.builder(false, Lab.CLIENT4, Lab.VIP4).macs(Lab.LB_MAC.toLong(), Lab.GW_MAC.toLong()).ports(40000, 80)
        .tcpFlags(TcpFlyweight.SYN).writeTcp(b, 128);
    Frame f = new Frame(b, 128, n);
    assertThat(Verdict.action(t.translate(f, Direction.CLIENT_TO_SERVER))).isEqualTo(Verdict.FORWARD);
    FrameParser p = new FrameParser();
    p.parse(b, f.offset(), f.length());
    return p.sourcePort();
  }

  @Test
  void portsAreHandedOutOnce_andTheFamilyPicksTheAddress() {
    SnatPorts pool = pool(2000, 2099);
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      int t = flowWithPort(pool, 40000 + i);
      assertThat(Translation.poolIndex(t)).isZero();
      assertThat(ports.add(Translation.port(t))).isTrue();
    }
    assertThat(ports).hasSize(100).allSatisfy(p -> assertThat(p).isBetween(2000, 2099));
    assertThat(flowWithPort(pool, 41000)).as("the IPv4 address is exhausted").isZero();
    assertThat(Translation.poolIndex(pool.allocate(open(41001), true))).as("IPv6 has its own address").isEqualTo(1);
  }

  @Test
  void aFreedFlowsPort_returnsToTheTailOfTheRing_andIsReusedLast() {
    SnatPorts pool = pool(3000, 3003);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      order.add(Translation.port(flowWithPort(pool, 40000 + i)));
    }
    assertThat(order).containsExactly(3001, 3002, 3003, 3000);
    key.setV4(17, 0x0A00_0001, 40001, 0x0A00_0002, 53);
    table.close(table.lookup(key));
    assertThat(pool.freePorts(0)).isEqualTo(1);
    assertThat(Translation.port(flowWithPort(pool, 50000))).isEqualTo(3002);
  }

  @Test
  void expiredFlows_releaseTheirPorts_whenSwept_orReclaimedOnAnEmptyRing() {
    SnatPorts pool = pool(3000, 3063);
    for (int i = 0; i < 64; i++) {
      assertThat(flowWithPort(pool, 40000 + i)).isNotZero();
    }
    assertThat(pool.freePorts(0)).isZero();
    clock.advance(Duration.ofSeconds(301));
    table.refreshClock();
    // no sweep has reached them all yet: the next allocations reclaim expired owners, a few probes each
    for (int i = 0; i < 64; i++) {
      assertThat(flowWithPort(pool, 50000 + i)).as("allocation %d", i).isNotZero();
    }
    assertThat(flowWithPort(pool, 60000)).as("every port holds a live flow again").isZero();
  }

  @Test
  void randomOpensAndCloses_neverHandOutAPortTwice_andLoseNone() {
    SnatPorts pool = pool(1024, 1279);
    SplittableRandom r = new SplittableRandom(11);
    List<Integer> live = new ArrayList<>();
    Set<Integer> held = new HashSet<>();
    int next = 1;
    for (int step = 0; step < 20_000; step++) {
      if (!live.isEmpty() && (r.nextInt(3) == 0 || live.size() == 256)) {
        int clientPort = live.remove(r.nextInt(live.size()));
        key.setV4(17, 0x0A00_0001, clientPort, 0x0A00_0002, 53);
        int slot = table.lookup(key);
        held.remove(Translation.port(table.translation(slot)));
        table.close(slot);
      } else {
        int clientPort = next++;
        int t = flowWithPort(pool, clientPort);
        assertThat(t).isNotZero();
        assertThat(held.add(Translation.port(t))).as("port %d handed out twice", Translation.port(t)).isTrue();
        live.add(clientPort);
      }
      assertThat(pool.freePorts(0) + held.size()).isEqualTo(256);
    }
  }
}
