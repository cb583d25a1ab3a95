package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pool whose scheduler instances an embedder builds (wrapped, kept) still publishes every change to them. */
class SchedulerFactoryTest {

  private final List<Scheduler> built = new ArrayList<>();
  private final List<SchedulerConfig> configs = new ArrayList<>();

  private Scheduler build(String name, SchedulerConfig config) {
    Scheduler s = Schedulers.create(name, config);
    built.add(s);
    configs.add(config);
    return s;
  }

  @Test
  void hashingScheduler_oneInstance_withThePoolsSeedAndOptions_receivesEveryPublication() {
    try (BackendPool pool = BackendPool.builder().scheduler("maglev", this::build).seed(7).schedulerOption("table-size", "251")
        .backends(Fixtures.backends(3)).build()) {
      assertThat(built).hasSize(1);
      assertThat(configs.get(0).seed()).hasValue(7);
      assertThat(configs.get(0).options()).containsEntry("table-size", "251");
      Scheduler mine = built.get(0);
      assertThat(mine.backends()).extracting(Backend::id).containsExactlyInAnyOrder("b0", "b1", "b2");

      pool.setAdminState("b1", AdminState.DRAINING).join();

      // a drained backend is published with weight 0: it takes nothing new
      assertThat(mine.backends()).filteredOn(b -> b.id().equals("b1")).extracting(Backend::weight).containsExactly(0);
      // the pool's picks and the instance's own selections agree: it is the one the pool publishes to
      for (long key = 0; key < 200; key++) {
        Lease l = pool.pick(key);
        assertThat(l.backendId()).isNotEqualTo("b1");
        l.complete(Outcome.SUCCESS, 0);
      }
    }
  }

  @Test
  void stripedScheduler_oneInstancePerStripe_eachWithItsOwnDerivedSeed() {
    try (BackendPool pool = BackendPool.builder().scheduler("round-robin", this::build).seed(7).stripes(4)
        .backends(Fixtures.backends(3)).build()) {
      assertThat(built).hasSize(4);
      assertThat(configs.stream().map(c -> c.seed().getAsLong()).distinct()).hasSize(4);
      pool.setAdminState("b0", AdminState.MAINTENANCE).join();
      for (Scheduler s : built) {
        assertThat(s.backends()).filteredOn(b -> b.id().equals("b0")).extracting(Backend::weight).containsExactly(0);
      }
    }
  }

  @Test
  void schedulerByName_afterAFactory_usesTheRegistryAgain() {
    try (BackendPool pool = BackendPool.builder().scheduler("maglev", this::build).scheduler("maglev")
        .backends(Fixtures.backends(2)).build()) {
      assertThat(built).isEmpty();
      assertThat(pool.pick(1L).isGranted()).isTrue();
    }
  }
}
