package io.github.lb4j.nat.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.SessionCounters;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A SYN flood of ten times the table's capacity while 10,000 established flows keep sending: at
 * least 99% of the established flows keep their backend. Established flows were assigned backends
 * at random (not by hash), so a flow that lost its state would be re-hashed to another backend
 * most of the time and be counted as moved.
 */
class SynFloodTest {

  private static final int CAPACITY = 1 << 14;
  private static final int ESTABLISHED = 10_000;
  private static final int BACKENDS = 16;

  @Test
  void establishedFlows_keepTheirBackendThroughAFloodOfTenTimesCapacity_withRateLimit() {
    assertThat(flood(5_000)).isGreaterThanOrEqualTo(0.99);
  }

  @Test
  void establishedFlows_keepTheirBackendThroughAFloodOfTenTimesCapacity_withoutRateLimit() {
    assertThat(flood(0)).isGreaterThanOrEqualTo(0.99);
  }

  private double flood(long rateLimit) {
    ManualClock clock = new ManualClock();
    SessionCounters sessions = SessionCounters.create(clock, Duration.ofSeconds(10));
    for (int b = 0; b < BACKENDS; b++) {
      sessions.of("b" + b);
    }
    FlowTable t = new FlowTable(FlowTableConfig.builder(CAPACITY, sessions).clock(clock).clockSampleInterval(64)
        .newFlowRateLimit(rateLimit).build());
    SplittableRandom r = new SplittableRandom(7);
    MutableFlowKey k = new MutableFlowKey();
    int[] assigned = new int[ESTABLISHED];
    for (int i = 0; i < ESTABLISHED; i++) {
      assigned[i] = r.nextInt(BACKENDS);
      key(k, i);
      assertThat(t.lookup(k)).isEqualTo(FlowTable.MISSING);
      int s = t.open(k, assigned[i], FlowState.SYN_RECV, 0);
      if (s >= 0) {
        t.touch(s, 0x10, true, 60);
      }
      if ((i & 1023) == 0) {
        clock.advance(Duration.ofSeconds(1));
        t.refreshClock();
      }
    }
    clock.advance(Duration.ofSeconds(1));
    t.refreshClock();
    int kept = 0;
    int rounds = 10;
    int synPerRound = CAPACITY;
    MutableFlowKey syn = new MutableFlowKey();
    for (int round = 0; round < rounds; round++) {
      for (int j = 0; j < synPerRound; j++) {
        syn.setV4(6, r.nextInt(), r.nextInt(65536), 0xCB00_7105, 80);
        if (t.lookup(syn) < 0) {
          t.open(syn, statelessBackend(syn), FlowState.SYN_RECV, 0);
        }
      }
      clock.advance(Duration.ofMillis(500));
      for (int i = 0; i < ESTABLISHED; i++) {
        key(k, i);
        int s = t.lookup(k);
        int backend = s >= 0 ? t.backend(s) : statelessBackend(k);
        if (s >= 0) {
          t.touch(s, 0x10, true, 60);
        }
        if (round == rounds - 1 && backend == assigned[i]) {
          kept++;
        }
      }
    }
    double fraction = (double) kept / ESTABLISHED;
    System.out.printf("SYN flood of %d SYNs (rate limit %d/s): %.2f%% of %d established flows kept their backend;"
        + " evicted %d, rate-limited %d, table full %d%n", rounds * synPerRound, rateLimit, 100 * fraction, ESTABLISHED,
        t.count(FlowCounter.EVICTED), t.count(FlowCounter.RATE_LIMITED), t.count(FlowCounter.TABLE_FULL));
    return fraction;
  }

  private static int statelessBackend(MutableFlowKey k) {
    return (int) Long.remainderUnsigned(FlowHash.fiveTuple(k, 0), BACKENDS);
  }

  private static void key(MutableFlowKey k, int i) {
    k.setV4(6, 0xC000_0200 + (i >>> 12), 1024 + (i & 4095), 0xCB00_7105, 80);
  }
}
