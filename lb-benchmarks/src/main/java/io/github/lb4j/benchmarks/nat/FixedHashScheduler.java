package io.github.lb4j.benchmarks.nat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SessionCounters;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A hash-mod scheduler for the packet-core benchmarks, so that they measure the translators and not
 * a scheduler (schedulers have their own benchmarks). Thread-safe; never allocates in select.
 */
final class FixedHashScheduler implements Scheduler {

  private final SessionCounters sessions;
  private final List<Backend> backends;
  private final Backend[] array;

  FixedHashScheduler(SessionCounters sessions, List<Backend> backends) {
    this.sessions = sessions;
    this.backends = List.copyOf(backends);
    this.array = backends.toArray(new Backend[0]);
    for (Backend b : backends) {
      sessions.of(b);
    }
  }

  @Override
  public String name() {
    return "fixed-hash";
  }

  @Override
  public @Nullable Backend select(FlowKey flow) {
    return array[(int) Long.remainderUnsigned(FlowHash.fiveTuple(flow, 0), array.length)];
  }

  @Override
  public void update(List<Backend> eligible, List<Backend> ineligible) {
    throw new UnsupportedOperationException("fixed membership");
  }

  @Override
  public List<Backend> backends() {
    return backends;
  }

  @Override
  public SessionCounters sessions() {
    return sessions;
  }
}
