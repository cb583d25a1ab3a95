package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.HealthState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every input reaches the listeners as one transition with its cause, before and after. */
class ListenerCausesTest {

  @Test
  void everyInput_isOneTransitionWithItsCause() {
    DynamicMembership members = new DynamicMembership(Fixtures.backends(2));
    Fixtures.Recorder events = new Fixtures.Recorder();
    try (BackendPool pool = BackendPool.builder().listener(events).membership(members).build()) {
      assertThat(events.seen).extracting(Transition::cause).containsExactly(Transition.Cause.ADDED, Transition.Cause.ADDED);
      Transition added = events.seen.get(0);
      assertThat(added.before()).isNull();
      assertThat(added.after().serving()).isTrue();

      members.put(Fixtures.backend("b0", 10).withWeight(3).withZone("z1"));
      pool.setWeight("b0", 5).join();
      pool.clearWeight("b0").join();
      pool.setAdminState("b0", AdminState.DRAINING).join();
      pool.reportHealth("b1", HealthState.DOWN, "connect refused").join();
      members.remove("b1");
      members.put(Fixtures.backend("b0", 10).withWeight(3).withZone("z1"));

      List<Transition> b0 = events.of("b0");
      assertThat(b0).extracting(Transition::cause).containsExactly(Transition.Cause.ADDED, Transition.Cause.UPDATED,
          Transition.Cause.ADMIN_WEIGHT, Transition.Cause.ADMIN_WEIGHT, Transition.Cause.ADMIN_STATE,
          Transition.Cause.DRAINED);
      Transition updated = b0.get(1);
      assertThat(updated.before().weight()).isEqualTo(1);
      assertThat(updated.after().weight()).isEqualTo(3);
      assertThat(updated.after().backend().zone()).isEqualTo("z1");
      assertThat(b0.get(2).after().weight()).isEqualTo(5);
      assertThat(b0.get(3).after().weight()).isEqualTo(3);
      assertThat(b0.get(4).before().admin()).isEqualTo(AdminState.ACTIVE);
      assertThat(b0.get(4).after().admin()).isEqualTo(AdminState.DRAINING);
      assertThat(b0.get(4).after().weight()).isZero();

      List<Transition> b1 = events.of("b1");
      assertThat(b1).extracting(Transition::cause).containsExactly(Transition.Cause.ADDED, Transition.Cause.HEALTH_REPORT,
          Transition.Cause.REMOVED, Transition.Cause.DRAINED);
      assertThat(b1.get(1).after().reported()).isEqualTo(HealthState.DOWN);
      assertThat(b1.get(1).detail()).contains("connect refused");
      assertThat(b1.get(2).before().id()).isEqualTo("b1");
      assertThat(b1.get(2).after()).isNull();
      // Unchanged inputs tell nobody.
      int seen = events.seen.size();
      pool.setAdminState("b0", AdminState.DRAINING).join();
      members.put(Fixtures.backend("b0", 10).withWeight(3).withZone("z1"));
      assertThat(events.seen).hasSize(seen);
    }
  }

  @Test
  void aFailingListener_doesNotStopTheOthers() {
    Fixtures.Recorder events = new Fixtures.Recorder();
    try (BackendPool pool = BackendPool.builder().listener(t -> {
      throw new IllegalStateException("listener bug");
    }).listener(events).backends(Fixtures.backends(1)).build()) {
      pool.setAdminState("b0", AdminState.DRAINING).join();
      assertThat(events.causes("b0")).containsExactly(Transition.Cause.ADDED, Transition.Cause.ADMIN_STATE,
          Transition.Cause.DRAINED);
    }
  }

  @Test
  void listener_seesThePublishedState() {
    java.util.concurrent.atomic.AtomicReference<PickStatus> seenByListener = new java.util.concurrent.atomic.AtomicReference<>();
    BackendPool[] holder = new BackendPool[1];
    try (BackendPool pool = BackendPool.builder().listener(t -> {
      if (t.cause() == Transition.Cause.ADMIN_STATE) {
        seenByListener.set(holder[0].pick(1L).status());
      }
    }).backends(Fixtures.backends(1)).build()) {
      holder[0] = pool;
      pool.setAdminState("b0", AdminState.MAINTENANCE).join();
      assertThat(seenByListener.get()).isEqualTo(PickStatus.NO_BACKEND);
    }
  }
}
