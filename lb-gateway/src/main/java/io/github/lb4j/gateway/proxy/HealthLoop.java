package io.github.lb4j.gateway.proxy;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.HealthState;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link HealthChecker} against every backend on the control thread's schedule and applies
 * rise and fall (seed S2; HAProxy's {@code inter}, {@code rise}, {@code fall}).
 *
 * <p>A backend starts {@link HealthState#UNKNOWN} and takes traffic; its first result decides UP
 * or DOWN at once, as HAProxy's servers start up and drop at their first failed check. After that,
 * {@code fall} consecutive failures take it down and {@code rise} consecutive passes bring it back.
 * Checks of different backends start spread over one interval so they do not burst.
 *
 * <p>Confined to the control thread: the checker's futures complete on any thread and hand their
 * result back to it. Allocates per check; never blocks.
 */
final class HealthLoop {

  /** Told on the control thread after a member changed state. */
  interface Transitions {
    void changed(Member member, HealthState from, HealthState to, HealthResult cause);
  }

  private final HealthChecker checker;
  private final HealthCheckSpec spec;
  private final ScheduledExecutorService control;
  private final List<Member> members;
  private final Transitions transitions;
  private volatile boolean closed;

  HealthLoop(HealthChecker checker, HealthCheckSpec spec, ScheduledExecutorService control, List<Member> members,
      Transitions transitions) {
    this.checker = checker;
    this.spec = spec;
    this.control = control;
    this.members = members;
    this.transitions = transitions;
  }

  void start() {
    long intervalNanos = spec.interval().toNanos();
    int n = members.size();
    for (int i = 0; i < n; i++) {
      Member m = members.get(i);
      InetSocketAddress target = m.configured.socketAddress();
      control.schedule(() -> check(m, target), intervalNanos * i / n, TimeUnit.NANOSECONDS);
    }
  }

  void close() {
    closed = true;
    checker.close();
  }

  private void check(Member m, InetSocketAddress target) {
    if (closed) {
      return;
    }
    long started = System.nanoTime();
    checker.check(target, spec.timeout()).whenComplete((result, failure) -> {
      HealthResult r = result != null ? result
          : HealthResult.unhealthy(HealthReason.IO_ERROR, System.nanoTime() - started, String.valueOf(failure));
      if (closed) {
        return;
      }
      control.execute(() -> {
        apply(m, r);
        long wait = Math.max(0L, spec.interval().toNanos() - (System.nanoTime() - started));
        control.schedule(() -> check(m, target), wait, TimeUnit.NANOSECONDS);
      });
    });
  }

  private void apply(Member m, HealthResult r) {
    if (closed) {
      return;
    }
    m.detail = r.detail();
    HealthState from = m.state;
    HealthState to = from;
    if (r.healthy()) {
      m.failures = 0;
      m.passes++;
      if (from == HealthState.UNKNOWN || (from == HealthState.DOWN && m.passes >= spec.rise())) {
        to = HealthState.UP;
      }
    } else {
      m.passes = 0;
      m.failures++;
      if (from == HealthState.UNKNOWN || (from == HealthState.UP && m.failures >= spec.fall())) {
        to = HealthState.DOWN;
      }
    }
    if (to != from) {
      m.state = to;
      transitions.changed(m, from, to, r);
    }
  }
}
