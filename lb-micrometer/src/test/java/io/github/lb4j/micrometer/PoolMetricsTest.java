package io.github.lb4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.DynamicMembership;
import io.github.lb4j.pool.Lease;
import io.github.lb4j.pool.Outcome;
import io.github.lb4j.pool.PickStatus;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PoolMetrics on a real pool: every meter follows what the pool did. */
class PoolMetricsTest {

  static Backend backend(String id, int last) {
    try {
      return Backend.of(id, InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) last}), 8080);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  static List<Backend> backends(int n) {
    List<Backend> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(backend("b" + i, 10 + i));
    }
    return out;
  }

  static double counter(MeterRegistry r, String name, String... tags) {
    return RequiredSearch.in(r).name(name).tags(tags).functionCounter().count();
  }

  static double gauge(MeterRegistry r, String name, String... tags) {
    return RequiredSearch.in(r).name(name).tags(tags).gauge().value();
  }

  @Test
  void requestsRefusalsAndRetries_areCountedPerBackendAndReason() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    PoolMetrics metrics = PoolMetrics.create("checkout");
    try (BackendPool pool = BackendPool.builder().listener(metrics).backends(backends(3)).stripes(1).build()) {
      metrics.observe(pool).bindTo(registry);
      int successes = 0;
      int failures = 0;
      for (int i = 0; i < 30; i++) {
        Lease l = pool.pick(i);
        boolean ok = i % 3 != 0;
        l.complete(ok ? Outcome.SUCCESS : Outcome.FAILURE, 1_000);
        successes += ok ? 1 : 0;
        failures += ok ? 0 : 1;
      }
      double sumOk = 0;
      double sumFailed = 0;
      for (int b = 0; b < 3; b++) {
        sumOk += counter(registry, "lb.backend.requests", "pool", "checkout", "backend", "b" + b, "outcome", "success");
        sumFailed += counter(registry, "lb.backend.requests", "pool", "checkout", "backend", "b" + b, "outcome", "failure");
      }
      assertThat(sumOk).isEqualTo(successes);
      assertThat(sumFailed).isEqualTo(failures);

      Lease open = pool.pick(7);
      assertThat(gauge(registry, "lb.pool.requests.inflight", "pool", "checkout")).isEqualTo(1);
      assertThat(gauge(registry, "lb.backend.requests.active", "backend", open.backendId())).isEqualTo(1);
      Lease retry = pool.pick(7, List.of(open.backend()));
      assertThat(retry.isGranted()).isTrue();
      assertThat(counter(registry, "lb.pool.retries", "pool", "checkout")).isEqualTo(1);
      assertThat(gauge(registry, "lb.pool.retries.inflight")).isEqualTo(1);
      retry.complete(Outcome.SUCCESS, 0);
      open.complete(Outcome.SUCCESS, 0);
      assertThat(gauge(registry, "lb.pool.requests.inflight")).isZero();

      Lease none = pool.pick(1, pool.scheduler().backends());
      assertThat(none.status()).isEqualTo(PickStatus.ALL_EXCLUDED);
      assertThat(counter(registry, "lb.pool.picks.refused", "reason", "all_excluded")).isEqualTo(1);
      assertThat(counter(registry, "lb.pool.picks.refused", "reason", "no_backend")).isZero();

      Lease conn = pool.connect(io.github.lb4j.api.ImmutableFlowKey.of(io.github.lb4j.api.Protocol.TCP,
          backend("c", 99).address(), 40000, backend("v", 1).address(), 80));
      assertThat(gauge(registry, "lb.backend.sessions.active", "backend", conn.backendId(), "state", "inactive")).isEqualTo(1);
      conn.established(1_000);
      assertThat(gauge(registry, "lb.backend.sessions.active", "backend", conn.backendId(), "state", "active")).isEqualTo(1);
      assertThat(counter(registry, "lb.backend.sessions", "backend", conn.backendId())).isEqualTo(1);
      conn.complete(Outcome.SUCCESS, 0);
      assertThat(gauge(registry, "lb.backend.sessions.active", "backend", conn.backendId(), "state", "active")).isZero();
    }
  }

  @Test
  void healthReportsAndAdminChanges_moveTheStateGaugesAndCountTransitions() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    PoolMetrics metrics = PoolMetrics.create("web");
    try (BackendPool pool = BackendPool.builder().listener(metrics).backends(backends(2)).build()) {
      metrics.observe(pool).bindTo(registry);
      assertThat(gauge(registry, "lb.backend.health", "backend", "b1", "state", "up")).isEqualTo(1);
      assertThat(gauge(registry, "lb.pool.backends", "serving", "true")).isEqualTo(2);

      pool.reportHealth("b1", HealthState.DOWN, "connection refused").join();
      assertThat(gauge(registry, "lb.backend.health", "backend", "b1", "state", "up")).isZero();
      assertThat(gauge(registry, "lb.backend.health", "backend", "b1", "state", "down")).isEqualTo(1);
      assertThat(gauge(registry, "lb.backend.serving", "backend", "b1")).isZero();
      assertThat(gauge(registry, "lb.pool.backends", "serving", "false")).isEqualTo(1);
      assertThat(counter(registry, "lb.pool.transitions", "cause", "health_report")).isEqualTo(1);
      assertThat(counter(registry, "lb.pool.health.transitions", "state", "down")).isEqualTo(1);

      pool.reportHealth("b1", HealthState.UP, "").join();
      assertThat(counter(registry, "lb.pool.health.transitions", "state", "up")).isEqualTo(1);
      assertThat(gauge(registry, "lb.backend.serving", "backend", "b1")).isEqualTo(1);

      assertThat(gauge(registry, "lb.scheduler.backends", "scheduler", "round-robin")).isEqualTo(2);
      pool.setWeight("b0", 7).join();
      assertThat(gauge(registry, "lb.backend.weight", "backend", "b0")).isEqualTo(7);
      assertThat(gauge(registry, "lb.scheduler.weight", "scheduler", "round-robin")).isEqualTo(8);
      assertThat(counter(registry, "lb.pool.transitions", "cause", "admin_weight")).isEqualTo(1);
      // The two backends were added before bindTo: those transitions count as well.
      assertThat(counter(registry, "lb.pool.transitions", "cause", "added")).isEqualTo(2);
    }
  }

  @Test
  void ejections_areCounted_andTheEjectedGaugeFollows() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    PoolMetrics metrics = PoolMetrics.create("api");
    try (BackendPool pool = BackendPool.builder().listener(metrics).backends(backends(4))
        .outlierDetection(d -> d.consecutiveFailures(3).baseEjectionTime(Duration.ofMinutes(10))).build()) {
      metrics.observe(pool).bindTo(registry);
      int failures = 0;
      for (int i = 0; failures < 3; i++) {
        Lease l = pool.pick(i);
        boolean bad = l.backendId().equals("b2");
        failures += bad ? 1 : 0;
        l.complete(bad ? Outcome.FAILURE : Outcome.SUCCESS, 0);
      }
      await().until(() -> gauge(registry, "lb.backend.ejected", "backend", "b2") == 1);
      assertThat(counter(registry, "lb.pool.ejections", "pool", "api")).isEqualTo(1);
      assertThat(counter(registry, "lb.pool.transitions", "cause", "ejected")).isEqualTo(1);
      assertThat(gauge(registry, "lb.backend.ejected", "backend", "b1")).isZero();
    }
  }

  @Test
  void backendsThatJoinOrLeave_gainOrLoseTheirMeters() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    PoolMetrics metrics = PoolMetrics.create("dyn");
    DynamicMembership members = new DynamicMembership(backends(2));
    try (BackendPool pool = BackendPool.builder().listener(metrics).membership(members).build()) {
      metrics.observe(pool).bindTo(registry);
      assertThat(registry.find("lb.backend.serving").gauges()).hasSize(2);
      members.put(backend("b9", 99));
      pool.flush().join();
      assertThat(gauge(registry, "lb.backend.serving", "backend", "b9")).isEqualTo(1);
      members.remove("b0");
      pool.flush().join();
      assertThat(registry.find("lb.backend.serving").tag("backend", "b0").gauge()).isNull();
      assertThat(registry.find("lb.backend.requests").tag("backend", "b0").functionCounters()).isEmpty();
      assertThat(registry.find("lb.backend.serving").gauges()).hasSize(2);
      assertThat(counter(registry, "lb.pool.transitions", "cause", "removed")).isEqualTo(1);
    }
  }

  @Test
  void bindingBeforeObserve_saysWhatIsMissing() {
    PoolMetrics metrics = PoolMetrics.create("x");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> metrics.bindTo(new SimpleMeterRegistry()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("observe(pool)");
  }
}
