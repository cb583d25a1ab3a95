package io.github.lb4j.health;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A checker whose checks the test completes by hand, recording when each started and whether two
 * checks of one target were ever in flight together. Single-threaded (the test's thread).
 */
final class ScriptedChecker implements HealthChecker {

  record Call(InetSocketAddress target, long startedAt, CompletableFuture<HealthResult> future) {}

  private final ManualScheduler clock;
  final List<Call> calls = new ArrayList<>();
  final Map<InetSocketAddress, Integer> inFlight = new HashMap<>();
  int overlaps;

  ScriptedChecker(ManualScheduler clock) {
    this.clock = clock;
  }

  @Override
  public String name() {
    return "scripted";
  }

  @Override
  public CompletableFuture<HealthResult> check(InetSocketAddress target, Duration timeout) {
    CompletableFuture<HealthResult> f = new CompletableFuture<>();
    if (inFlight.merge(target, 1, Integer::sum) > 1) {
      overlaps++;
    }
    f.whenComplete((r, e) -> inFlight.merge(target, -1, Integer::sum));
    calls.add(new Call(target, clock.nanoTime(), f));
    return f;
  }

  /** Completes every check in flight with a pass or a failure, and runs the monitor's reaction. */
  void completeAll(boolean healthy) {
    for (Call c : calls) {
      if (!c.future.isDone()) {
        c.future.complete(healthy ? HealthResult.healthy(1000, "ok") : HealthResult.unhealthy(HealthReason.REFUSED, 1000, "refused"));
      }
    }
    clock.runDue();
  }

  long startedFor(InetSocketAddress target) {
    return calls.stream().filter(c -> c.target.equals(target)).count();
  }

  @Override
  public void close() {}
}
