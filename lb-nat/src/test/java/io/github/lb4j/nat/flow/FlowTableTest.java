package io.github.lb4j.nat.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.SessionCounters;
import java.time.Duration;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class FlowTableTest {

  private final ManualClock clock = new ManualClock();
  private final SessionCounters sessions = SessionCounters.create(clock, Duration.ofSeconds(10));
  private final BackendLoad web1 = sessions.of("web-1");
  private final BackendLoad web2 = sessions.of("web-2");

  private FlowTable table(int capacity) {
    return new FlowTable(FlowTableConfig.builder(capacity, sessions).clock(clock).clockSampleInterval(1).build());
  }

  private static MutableFlowKey tcp(int client, int port) {
    return new MutableFlowKey().setV4(6, client, port, 0xCB00_7105, 80);
  }

  @Test
  void openedFlow_isFoundWithItsBackendAndTranslation() {
    FlowTable t = table(1024);
    MutableFlowKey k = tcp(0xC000_0201, 40000);
    assertThat(t.lookup(k)).isEqualTo(FlowTable.MISSING);
    int slot = t.open(k, web2.handle(), FlowState.SYN_RECV, 0xABCD);
    assertThat(t.lookup(k)).isEqualTo(slot);
    assertThat(t.backend(slot)).isEqualTo(web2.handle());
    assertThat(t.translation(slot)).isEqualTo(0xABCD);
    assertThat(t.sourcePort(slot)).isEqualTo(40000);
    assertThat(t.destinationPort(slot)).isEqualTo(80);
    assertThat(t.protocol(slot)).isEqualTo(6);
    assertThat(t.lookup(tcp(0xC000_0201, 40001))).isEqualTo(FlowTable.MISSING);
    assertThat(t.size()).isEqualTo(1);
  }

  @Test
  void ipv6Flows_areDistinctFromIpv4FlowsWithTheSameLowBits() {
    FlowTable t = table(64);
    MutableFlowKey v4 = tcp(1, 1);
    MutableFlowKey v6 = new MutableFlowKey().setV6(6, 0, v4.sourceAddressLow(), 1, 0, v4.destinationAddressLow(), 80);
    int a = t.open(v4, 0, FlowState.SYN_RECV, 0);
    assertThat(t.lookup(v6)).isEqualTo(FlowTable.MISSING);
    int b = t.open(v6, 1, FlowState.SYN_RECV, 0);
    assertThat(a).isNotEqualTo(b);
    assertThat(t.ipv6(b)).isTrue();
  }

  @Test
  void tcpStates_followTheFlagsAndFeedTheSessionCounters() {
    FlowTable t = table(64);
    MutableFlowKey k = tcp(7, 7);
    int s = t.open(k, web1.handle(), FlowState.SYN_RECV, 0);
    assertThat(web1.inactive()).isEqualTo(1);
    assertThat(t.touch(s, 0x12, false, 60)).isEqualTo(FlowState.SYN_RECV);
    assertThat(t.touch(s, 0x10, true, 60)).isEqualTo(FlowState.ESTABLISHED);
    assertThat(web1.active()).isEqualTo(1);
    assertThat(web1.inactive()).isZero();
    assertThat(t.secondsLeft(s)).isEqualTo(900);
    assertThat(t.touch(s, 0x11, true, 60)).isEqualTo(FlowState.FIN_WAIT);
    assertThat(web1.active()).isZero();
    assertThat(t.touch(s, 0x11, false, 60)).isEqualTo(FlowState.TIME_WAIT);
    assertThat(t.secondsLeft(s)).isEqualTo(120);
    assertThat(t.packets(s)).as("saturates at 3").isEqualTo(3);
    assertThat(t.backendPackets(web1.handle(), Direction.CLIENT_TO_SERVER)).isEqualTo(2);
    assertThat(t.backendBytes(web1.handle(), Direction.CLIENT_TO_SERVER)).isEqualTo(120);
    assertThat(t.backendPackets(web1.handle(), Direction.SERVER_TO_CLIENT)).isEqualTo(2);
    assertThat(t.backendBytes(web1.handle(), Direction.SERVER_TO_CLIENT)).isEqualTo(120);
    assertThat(t.replied(s)).isTrue();
    t.close(s);
    assertThat(web1.inactive()).isZero();
    assertThat(web1.unmatchedCloses()).isZero();
    assertThat(t.count(FlowCounter.CLOSED)).isEqualTo(1);
  }

  @Test
  void rst_closesFromAnyState() {
    FlowTable t = table(64);
    int s = t.open(tcp(8, 8), web1.handle(), FlowState.SYN_RECV, 0);
    t.touch(s, 0x10, true, 1);
    assertThat(t.touch(s, 0x04, false, 1)).isEqualTo(FlowState.CLOSE);
    assertThat(t.secondsLeft(s)).isEqualTo(10);
  }

  @Test
  void flows_expireAfterTheirStateTimeoutAndReleaseTheirSession() {
    FlowTable t = new FlowTable(FlowTableConfig.builder(64, sessions).clock(clock).clockSampleInterval(1)
        .timeout(FlowState.UDP, Duration.ofSeconds(30)).build());
    MutableFlowKey k = new MutableFlowKey().setV4(17, 9, 9, 10, 53);
    int s = t.open(k, web2.handle(), FlowState.UDP, 0);
    assertThat(web2.active()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(29));
    assertThat(t.lookup(k)).isEqualTo(s);
    t.touch(s, 0, true, 50);
    clock.advance(Duration.ofSeconds(29));
    assertThat(t.lookup(k)).as("touch pushed the deadline").isEqualTo(s);
    clock.advance(Duration.ofSeconds(31));
    assertThat(t.lookup(k)).isEqualTo(FlowTable.MISSING);
    assertThat(web2.active()).isZero();
    assertThat(t.count(FlowCounter.EXPIRED)).isEqualTo(1);
  }

  @Test
  void sweep_freesIdleExpiredFlows() {
    FlowTable t = table(64);
    for (int i = 0; i < 20; i++) {
      t.open(new MutableFlowKey().setV4(17, i, i, 10, 53), web1.handle(), FlowState.UDP, 0);
    }
    assertThat(web1.active()).isEqualTo(20);
    clock.advance(Duration.ofSeconds(301));
    t.refreshClock();
    t.sweep(64);
    assertThat(t.count(FlowCounter.EXPIRED)).isEqualTo(20);
    assertThat(web1.active()).isZero();
    assertThat(t.size()).isZero();
  }

  @Test
  void fullWindow_evictsTheOldestNonEstablishedFlow_neverAnEstablishedOne() {
    FlowTable t = table(16);
    int established = 0;
    int opened = 0;
    for (int i = 0; opened < 16 && i < 10_000; i++) {
      MutableFlowKey k = tcp(i, i);
      int s = t.open(k, 0, FlowState.SYN_RECV, 0);
      if (s >= 0) {
        opened++;
        if (established < 8) {
          t.touch(s, 0x10, true, 1);
          established++;
        }
      }
    }
    clock.advance(Duration.ofSeconds(1));
    t.refreshClock();
    long before = t.count(FlowCounter.EVICTED);
    for (int i = 0; i < 1000; i++) {
      t.open(tcp(100_000 + i, 1), 0, FlowState.SYN_RECV, 0);
    }
    assertThat(t.count(FlowCounter.EVICTED)).isGreaterThan(before);
    int stillEstablished = 0;
    for (int s = 0; s < t.capacity(); s++) {
      if (t.state(s) == FlowState.ESTABLISHED) {
        stillEstablished++;
      }
    }
    assertThat(stillEstablished).isEqualTo(8);
  }

  @Test
  void linesFullOfEstablishedFlows_isTableFull_andNoFlowIsLost() {
    FlowTable t = table(16);
    int[] slot = new int[2000];
    t.onMove((from, to, translation) -> {
      for (int f = 0; f < slot.length; f++) {
        if (slot[f] == from) {
          slot[f] = to;
        }
      }
    });
    java.util.Arrays.fill(slot, -1);
    for (int i = 0; i < 2000; i++) {
      int s = t.open(tcp(i, 5), 0, FlowState.ESTABLISHED, i);
      if (s == FlowTable.FULL) {
        assertThat(t.count(FlowCounter.TABLE_FULL)).isEqualTo(1);
        assertThat(t.size()).isEqualTo(i).isGreaterThanOrEqualTo(8);
        for (int f = 0; f < i; f++) {
          assertThat(t.lookup(tcp(f, 5))).as("flow %d", f).isEqualTo(slot[f]);
          assertThat(t.translation(slot[f])).isEqualTo(f);
        }
        return;
      }
      slot[i] = s;
    }
    throw new AssertionError("a 16-slot table accepted 2000 established flows");
  }

  @Test
  void newFlowRateLimit_refusesStateAboveTheRate_andResetsEverySecond() {
    FlowTable t = new FlowTable(FlowTableConfig.builder(1024, sessions).clock(clock).clockSampleInterval(1)
        .newFlowRateLimit(10).build());
    int refused = 0;
    for (int i = 0; i < 25; i++) {
      if (t.open(tcp(i, 1), 0, FlowState.SYN_RECV, 0) == FlowTable.RATE_LIMITED) {
        refused++;
      }
    }
    assertThat(refused).isEqualTo(15);
    clock.advance(Duration.ofSeconds(1));
    t.refreshClock();
    assertThat(t.open(tcp(99, 1), 0, FlowState.SYN_RECV, 0)).isNotNegative();
    assertThat(t.count(FlowCounter.RATE_LIMITED)).isEqualTo(15);
  }

  @Test
  void reverseIndex_findsAFlowByItsReplyKey_untilTheFlowIsFreed() {
    FlowTable t = table(256);
    MutableFlowKey k = tcp(0xC000_0201, 40000);
    int s = t.open(k, 1, FlowState.SYN_RECV, 0);
    MutableFlowKey reply = new MutableFlowKey().setV4(6, 0xC633_640A, 8080, 0xC000_0201, 40000);
    long home = t.reverseHash(reply);
    assertThat(t.linkReverse(s, home)).isTrue();
    boolean found = false;
    for (int i = 0; i < FlowTable.REVERSE_CANDIDATES; i++) {
      found |= t.reverseCandidate(home, i) == s;
    }
    assertThat(found).isTrue();
    t.close(s);
    for (int i = 0; i < FlowTable.REVERSE_CANDIDATES; i++) {
      assertThat(t.reverseCandidate(home, i)).isEqualTo(FlowTable.MISSING);
    }
  }

  /**
   * Whether a reply lookup reaches a flow: it probes each bucket up to its first position without a
   * link (candidates share a 5-bit tag, the caller checks the key, so this asks for one slot).
   */
  private static boolean reachedByReply(FlowTable t, long home, int slot) {
    for (int i = 0; i < FlowTable.REVERSE_CANDIDATES; i++) {
      if (!t.reverseLinked(home, i)) {
        if (i >= FlowTable.WINDOW) {
          return false;
        }
        i = FlowTable.WINDOW - 1;
        continue;
      }
      if (t.reverseCandidate(home, i) == slot) {
        return true;
      }
    }
    return false;
  }

  @Property(tries = 30)
  void replyLookups_findEveryLiveFlowAfterOthersAreFreedOrMoved(
      @ForAll @IntRange(min = 1, max = 1000) int seed) {
    // 64 slots and 40 flows: lines fill up (and flows move, cuckoo style), and closing every third
    // flow punches holes; replies must still reach every live flow through its client side.
    FlowTable t = new FlowTable(FlowTableConfig.builder(64, sessions).clock(clock).seed(seed).build());
    int n = 40;
    int[] slot = new int[n];
    long[] home = new long[n];
    SplittableRandom r = new SplittableRandom(seed);
    t.onMove((from, to, translation) -> {
      for (int f = 0; f < n; f++) {
        if (slot[f] == from) {
          slot[f] = to;
        }
      }
    });
    int linked = 0;
    for (int f = 0; f < n; f++) {
      slot[f] = t.open(tcp(0x0A00_0000 + f, 1024 + f), 0, FlowState.ESTABLISHED, 0);
      home[f] = t.reverseHash(new MutableFlowKey().setV4(6, 0xC633_640A, 8080, 0x0A00_0000 + f, 1024 + f));
      if (slot[f] < 0 || !t.linkReverse(slot[f], home[f])) {
        slot[f] = -1;
      }
    }
    for (int f = 0; f < n; f++) {
      if (slot[f] >= 0 && r.nextInt(3) == 0) {
        t.close(slot[f]);
        assertThat(reachedByReply(t, home[f], slot[f])).isFalse();
        slot[f] = -1;
      }
    }
    for (int f = 0; f < n; f++) {
      if (slot[f] >= 0) {
        assertThat(reachedByReply(t, home[f], slot[f])).as("flow %d", f).isTrue();
        linked++;
      }
    }
    assertThat(linked).isPositive();
  }

  @Test
  void establishedFlows_fillMostOfTheTableBeforeTheFirstRefusal() {
    FlowTable t = table(1 << 16);
    int i = 0;
    while (t.open(tcp(i * 31, i), 0, FlowState.ESTABLISHED, 0) >= 0) {
      i++;
    }
    double fill = (double) i / t.capacity();
    System.out.printf("flow table: first refusal at %.1f%% of %d slots%n", 100 * fill, t.capacity());
    assertThat(fill).isGreaterThan(FIRST_REFUSAL);
  }

  @Test
  void establishedIpv6Flows_fillMostOfTheLinesBeforeTheFirstRefusal() {
    // An IPv6 flow fills a line and has four: with paths of moves (not only one move) the lines
    // fill as far as four choices of one-flow buckets allow before a key finds none.
    FlowTable t = table(1 << 14);
    int i = 0;
    while (t.open(new MutableFlowKey().setV6(6, 0x2001_0DB8_0000_0000L, 0x1_0000L + i * 31L, 1024 + (i & 0x7FFF), 0,
        0x2001_0DB8_0000_0080L, 80), 0, FlowState.ESTABLISHED, 0) >= 0) {
      i++;
    }
    double fill = (double) 2 * i / t.capacity();
    System.out.printf("flow table: first IPv6 refusal at %.1f%% of %d lines%n", 100 * fill, t.capacity() / 2);
    assertThat(fill).isGreaterThan(FIRST_REFUSAL_V6);
  }

  /** Measured 93% of the lines (with one move and no paths, the previous search: 62%). */
  private static final double FIRST_REFUSAL_V6 = 0.85;

  /**
   * Measured 81% to 85% over 36 seeds and three key patterns (random, arithmetic, one client's
   * consecutive ports): two 2-slot lines per key, paths of up to five moves.
   */
  private static final double FIRST_REFUSAL = 0.75;

  @Test
  void reverseIndex_linksEveryFlowOfAHalfFullTable() {
    FlowTable t = table(1 << 16);
    MutableFlowKey reply = new MutableFlowKey();
    for (int i = 0; i < (1 << 15); i++) {
      int s = t.open(tcp(i * 17, i), 0, FlowState.ESTABLISHED, 0);
      reply.setV4(6, 0xC633_640A, 8080, i * 17, i & 0xFFFF);
      assertThat(t.linkReverse(s, t.reverseHash(reply))).as("flow %d", i).isTrue();
    }
  }

  @Test
  void seeds_differPerTable() {
    assertThat(new FlowTable(FlowTableConfig.builder(16, sessions).build()).seed())
        .isNotEqualTo(new FlowTable(FlowTableConfig.builder(16, sessions).build()).seed());
  }

  @Test
  void memory_isThirtyTwoBytesPerSlot() {
    FlowTable t = table(1 << 20);
    assertThat(t.capacity()).isEqualTo(1 << 20);
    assertThat(t.memoryBytes()).isEqualTo(32L * (1 << 20) + 48);
    assertThat((double) t.memoryBytes() / t.capacity()).isLessThan(32.001);
  }

  @Test
  void badSettings_areRejectedNamingTheValue() {
    assertThatThrownBy(() -> FlowTableConfig.builder(8, sessions)).hasMessageContaining("capacity").hasMessageContaining("8");
    assertThatThrownBy(() -> FlowTableConfig.builder(16, sessions).timeout(FlowState.UDP, Duration.ZERO))
        .hasMessageContaining("UDP");
    assertThatThrownBy(() -> FlowTableConfig.builder(16, sessions).clockSampleInterval(3)).hasMessageContaining("3");
  }

  @Property(tries = 50)
  void everyOpenedFlow_isFoundUntilItIsClosed(@ForAll @IntRange(min = 1, max = 400) int flows) {
    SessionCounters s = SessionCounters.create();
    FlowTable t = new FlowTable(FlowTableConfig.builder(1024, s).clockSampleInterval(1).build());
    int[] slots = new int[flows];
    t.onMove((from, to, translation) -> slots[translation] = to);
    for (int i = 0; i < flows; i++) {
      slots[i] = t.open(tcp(i * 7919, i), i & 7, FlowState.UDP, i);
    }
    for (int i = 0; i < flows; i++) {
      if (slots[i] >= 0) {
        assertThat(t.lookup(tcp(i * 7919, i))).isEqualTo(slots[i]);
        assertThat(t.translation(slots[i])).isEqualTo(i);
      }
    }
    for (int i = 0; i < flows; i += 2) {
      if (slots[i] >= 0) {
        t.close(slots[i]);
        assertThat(t.lookup(tcp(i * 7919, i))).isEqualTo(FlowTable.MISSING);
      }
    }
  }

  @Test
  void prefetch_readsTheFirstLineOfTheClientSide_andNothingOfOtherFrames() {
    FlowTable t = table(1024);
    MutableFlowKey k = tcp(0xC000_0201, 40000);
    int s = t.open(k, web1.handle(), FlowState.SYN_RECV, 0);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(256);
    int n = new io.github.lb4j.nat.header.FrameBuilder().ipv4(0xC000_0201, 0xCB00_7105).ports(40000, 80).writeTcp(b, 16);
    long expected = t.prefetch(k);
    assertThat(t.prefetchFrame(b, 16, n, true)).isEqualTo(expected);
    int reply = new io.github.lb4j.nat.header.FrameBuilder().ipv4(0xC633_640A, 0xC000_0201).ports(8080, 40000)
        .writeTcp(b, 128);
    assertThat(t.prefetchFrame(b, 128, reply, false)).isEqualTo(expected);
    assertThat(t.prefetchFrame(b, 16, 20, true)).isZero();
    assertThat(t.prefetchFrame(b, 200, 100, true)).isZero();
    assertThat(t.lookup(k)).isEqualTo(s);
  }

  @Test
  void touch_writesTheFlowOnlyWhenSomethingChanges() {
    FlowTable t = table(64);
    int s = t.open(tcp(3, 3), web1.handle(), FlowState.ESTABLISHED, 0);
    for (int i = 0; i < 3; i++) {
      t.touch(s, 0x10, true, 60);
    }
    long[] before = t.words(s);
    for (int i = 0; i < 1000; i++) {
      t.touch(s, 0x10, true, 60);
    }
    assertThat(t.words(s)).as("same second, same state: nothing written").isEqualTo(before);
    clock.advance(Duration.ofSeconds(1));
    t.refreshClock();
    t.touch(s, 0x10, true, 60);
    long[] after = t.words(s);
    assertThat(after).isNotEqualTo(before);
    for (int i = 0; i < 1000; i++) {
      t.touch(s, 0x10, true, 60);
    }
    assertThat(t.words(s)).as("written at most once per second").isEqualTo(after);
    assertThat(t.backendPackets(web1.handle(), Direction.CLIENT_TO_SERVER)).isEqualTo(2004);
  }

  @Test
  void idleFlows_areFreedBySweepAtTheConfiguredPace_withoutLookups() {
    FlowTable t = new FlowTable(FlowTableConfig.builder(1024, sessions).clock(clock).clockSampleInterval(1)
        .sweepPeriod(Duration.ofSeconds(2)).timeout(FlowState.UDP, Duration.ofSeconds(5)).build());
    for (int i = 0; i < 100; i++) {
      t.open(new MutableFlowKey().setV4(17, i, i, 10, 53), web2.handle(), FlowState.UDP, 0);
    }
    assertThat(web2.active()).isEqualTo(100);
    // clock readings only (as a datapath calls refreshClock when idle), one every 100 ms
    for (int i = 0; i < 80; i++) {
      clock.advance(Duration.ofMillis(100));
      t.refreshClock();
    }
    assertThat(t.count(FlowCounter.EXPIRED)).isEqualTo(100);
    assertThat(web2.active()).isZero();
  }

  @Test
  void youngFlows_areNeverEvicted_aNewFlowMovesThemOrIsRefused() {
    // a 16-slot table: a quarter of it (4 slots of newer flows) protects a flow
    FlowTable t = table(16);
    java.util.List<MutableFlowKey> opened = new java.util.ArrayList<>();
    for (int i = 0; t.size() < 16 && i < 100_000; i++) {
      MutableFlowKey k = tcp(0x0A00_0000 + i, 1000 + (i & 0x7FFF));
      if (t.open(k, 0, FlowState.SYN_RECV, 0) >= 0) {
        opened.add(k);
      }
    }
    assertThat(t.size()).isEqualTo(16);
    long evicted = t.count(FlowCounter.EVICTED);
    // a newcomer may evict (or move) flows, but none of the 4 newest
    java.util.List<MutableFlowKey> live = new java.util.ArrayList<>();
    for (MutableFlowKey k : opened) {
      if (t.lookup(k) >= 0) {
        live.add(k);
      }
    }
    assertThat(live).hasSize(16);
    java.util.List<MutableFlowKey> newest = live.subList(live.size() - 4, live.size());
    int s = t.open(tcp(0x0B00_0000, 7), 0, FlowState.SYN_RECV, 0);
    assertThat(s == FlowTable.FULL || s >= 0).isTrue();
    for (MutableFlowKey k : newest) {
      assertThat(t.lookup(k)).as("a flow among the 4 newest is never evicted").isNotNegative();
    }
    assertThat(t.count(FlowCounter.EVICTED) - evicted).isLessThanOrEqualTo(1);
  }

  @Test
  void aHalfOpenFlowThatNeverSawAReply_isEvictedBeforeOlderRepliedOnes() {
    FlowTable t = table(1024);
    MutableFlowKey newcomer = tcp(0x0B00_0001, 7);
    int[] candidates = t.candidateSlots(newcomer);
    // fill the newcomer's four candidate slots (others land elsewhere), oldest first
    java.util.Map<Integer, MutableFlowKey> holder = new java.util.HashMap<>();
    int youngest = -1;
    for (int i = 0; holder.size() < 4 && i < 1_000_000; i++) {
      MutableFlowKey k = tcp(0x0A00_0000 + i, 1000 + (i & 0x7FFF));
      int[] c = t.candidateSlots(k);
      boolean hits = false;
      for (int x : c) {
        for (int y : candidates) {
          hits |= x == y;
        }
      }
      if (!hits) {
        continue;
      }
      int s = t.open(k, 0, FlowState.SYN_RECV, 0);
      for (int y : candidates) {
        if (s == y && !holder.containsKey(s)) {
          holder.put(s, k);
          youngest = s;
        }
      }
    }
    assertThat(holder).hasSize(4);
    // age them past the young-flow protection (a quarter of the capacity of newer flows elsewhere)
    for (int i = 0, opened = 0; opened < 300; i++) {
      MutableFlowKey k = tcp(0x0C00_0000 + i, 2000 + (i & 0x7FFF));
      boolean hits = false;
      for (int x : t.candidateSlots(k)) {
        for (int y : candidates) {
          hits |= x == y;
        }
      }
      if (!hits && t.open(k, 0, FlowState.ESTABLISHED, 0) >= 0) {
        opened++;
      }
    }
    for (java.util.Map.Entry<Integer, MutableFlowKey> e : holder.entrySet()) {
      if (e.getKey() != youngest) {
        t.touch(t.lookup(e.getValue()), 0x12, false, 60);
      }
    }
    clock.advance(Duration.ofSeconds(1));
    t.refreshClock();
    assertThat(t.open(newcomer, 0, FlowState.SYN_RECV, 0)).isEqualTo(youngest);
    assertThat(t.lookup(holder.get(youngest))).isEqualTo(FlowTable.MISSING);
    for (java.util.Map.Entry<Integer, MutableFlowKey> e : holder.entrySet()) {
      if (e.getKey() != youngest) {
        assertThat(t.lookup(e.getValue())).as("replied flow kept").isEqualTo(e.getKey());
      }
    }
  }
}
