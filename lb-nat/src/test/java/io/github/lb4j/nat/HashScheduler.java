package io.github.lb4j.nat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SessionCounters;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A deterministic test fixture: hashes the 5-tuple onto the backend list, so tests know which
 * backend a flow gets. The real schedulers live in lb-algorithms.
 */
final class HashScheduler implements Scheduler {

  private final SessionCounters sessions;
  private volatile List<Backend> backends;

  HashScheduler(SessionCounters sessions, List<Backend> backends) {
    this.sessions = sessions;
    this.backends = List.copyOf(backends);
    for (Backend b : backends) {
      sessions.of(b);
    }
  }

  @Override
  public String name() {
    return "test-hash";
  }

  @Override
  public @Nullable Backend select(FlowKey flow) {
    List<Backend> all = backends;
    return all.isEmpty() ? null : all.get((int) Long.remainderUnsigned(FlowHash.fiveTuple(flow, 0), all.size()));
  }

  @Override
  public void update(List<Backend> eligible, List<Backend> ineligible) {
    this.backends = List.copyOf(eligible);
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
