package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.HealthState;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A backend that comes back ramps from 10 % to its full share over the slow-start window, on the pool's clock. */
class SlowStartTest {

  private static int picksOf(BackendPool pool, String id, int picks) {
    int n = 0;
    for (int i = 0; i < picks; i++) {
      Lease l = pool.pick(i);
      n += l.backendId().equals(id) ? 1 : 0;
      l.complete(Outcome.SUCCESS, 0);
    }
    return n;
  }

  @Test
  void returningBackend_rampsUpOverTheWindow() {
    ManualClock clock = new ManualClock();
    try (BackendPool pool = BackendPool.builder().stripes(1).clock(clock).slowStart(Duration.ofSeconds(10)).seed(3)
        .backends(Fixtures.backends(2)).build()) {
      assertThat(picksOf(pool, "b1", 1000)).isEqualTo(500);
      pool.reportHealth("b1", HealthState.DOWN, "restarting").join();
      assertThat(picksOf(pool, "b1", 100)).isZero();
      pool.reportHealth("b1", HealthState.UP, "").join();
      int atStart = picksOf(pool, "b1", 4000);
      clock.advance(Duration.ofSeconds(5));
      int halfway = picksOf(pool, "b1", 4000);
      clock.advance(Duration.ofSeconds(5));
      int after = picksOf(pool, "b1", 4000);
      // Round robin thins a ramping backend's turns to its share: 10 %, then 50 %, then all of them.
      assertThat(atStart).isBetween(100, 400);
      assertThat(halfway).isBetween(1000, 1600);
      assertThat(after).isEqualTo(2000);
    }
  }

  @Test
  void activatedBackend_rampsToo_andHashingSchedulersIgnoreTheRamp() {
    ManualClock clock = new ManualClock();
    try (BackendPool pool = BackendPool.builder().scheduler("least-connections").stripes(1).clock(clock)
        .slowStart(Duration.ofSeconds(10)).backends(Fixtures.backends(2)).build();
        BackendPool hashed = BackendPool.builder().scheduler("maglev").clock(clock).slowStart(Duration.ofSeconds(10))
            .backends(Fixtures.backends(2)).build()) {
      pool.setAdminState("b1", AdminState.DRAINING).join();
      pool.setAdminState("b1", AdminState.ACTIVE).join();
      // Least connections divides by the ramped weight: hold leases and count where new ones go.
      int onB1 = 0;
      java.util.List<Lease> held = new java.util.ArrayList<>();
      for (int i = 0; i < 110; i++) {
        Lease l = pool.pick(i);
        onB1 += l.backendId().equals("b1") ? 1 : 0;
        held.add(l);
      }
      assertThat(onB1).isBetween(5, 20);
      held.forEach(l -> l.complete(Outcome.SUCCESS, 0));

      int before = picksOf(hashed, "b1", 1000);
      hashed.setAdminState("b1", AdminState.DRAINING).join();
      hashed.setAdminState("b1", AdminState.ACTIVE).join();
      assertThat(picksOf(hashed, "b1", 1000)).isEqualTo(before);
    }
  }
}
