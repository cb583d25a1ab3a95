package io.github.lb4j.gateway.proxy;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthState;
import java.util.concurrent.atomic.LongAdder;

/**
 * One configured backend and its control-plane state. The control thread writes {@link #weight},
 * {@link #state} and {@link #detail} (health transitions arrive there from the {@code
 * HealthMonitor}); event loops only read them and add to {@link #connectFailures}.
 */
final class Member {

  final Backend configured;
  final LongAdder connectFailures = new LongAdder();
  volatile int weight;
  volatile HealthState state = HealthState.UNKNOWN;
  volatile String detail = "";

  Member(Backend configured) {
    this.configured = configured;
    this.weight = configured.weight();
  }

  Backend current() {
    int w = weight;
    return w == configured.weight() ? configured : configured.withWeight(w);
  }
}
