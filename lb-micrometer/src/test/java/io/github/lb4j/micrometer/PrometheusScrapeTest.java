package io.github.lb4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.ImmutableFlowKey;
import io.github.lb4j.api.Protocol;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.nat.flow.FlowState;
import io.github.lb4j.nat.flow.FlowTable;
import io.github.lb4j.nat.flow.FlowTableConfig;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.Outcome;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** What a Prometheus scrape shows: the names as Prometheus renders them, with their values. */
class PrometheusScrapeTest {

  @Test
  void poolMeters_renderWithPrometheusNamesAndUnits() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PoolMetrics metrics = PoolMetrics.create("checkout");
    try (BackendPool pool = BackendPool.builder().listener(metrics).backends(PoolMetricsTest.backends(2)).build()) {
      metrics.observe(pool).bindTo(registry);
      pool.pick(1).complete(Outcome.FAILURE, 0);
      pool.pick(1, pool.scheduler().backends());
      pool.reportHealth("b0", HealthState.DOWN, "refused").join();
      String text = registry.scrape();
      assertThat(text).contains("lb_pool_picks_refused_total{pool=\"checkout\",reason=\"all_excluded\"} 1.0");
      assertThat(text).containsPattern("lb_backend_requests_total\\{backend=\"b[01]\",outcome=\"failure\",pool=\"checkout\"} 1.0");
      assertThat(text).contains("lb_backend_health{backend=\"b0\",pool=\"checkout\",state=\"down\"} 1.0");
      assertThat(text).contains("lb_pool_transitions_total{cause=\"health_report\",pool=\"checkout\"} 1.0");
      assertThat(text).contains("# TYPE lb_pool_requests_inflight gauge");
    }
  }

  @Test
  void flowTable_occupancyAndEvictions() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    FlowTable table = new FlowTable(FlowTableConfig.builder(16, SessionCounters.create()).build());
    new FlowTableMetrics(table, Tags.of("vip", "192.0.2.1")).bindTo(registry);
    InetAddress vip = InetAddress.getByName("192.0.2.1");
    int opened = 0;
    for (int i = 0; i < 40; i++) {
      ImmutableFlowKey k = ImmutableFlowKey.of(Protocol.TCP, InetAddress.getByName("198.51.100." + (i + 1)), 40000 + i, vip, 80);
      if (table.open(k, 0, FlowState.SYN_RECV, 0) >= 0) {
        opened++;
      }
    }
    table.lookup(ImmutableFlowKey.of(Protocol.TCP, InetAddress.getByName("203.0.113.9"), 1, vip, 80));
    String text = registry.scrape();
    long evicted = table.count(io.github.lb4j.nat.flow.FlowCounter.EVICTED);
    assertThat(evicted).as("40 SYN flows into 16 slots evict").isPositive();
    assertThat(text).contains("lb_flow_table_evictions_total{vip=\"192.0.2.1\"} " + (double) evicted);
    assertThat(text).contains("lb_flow_table_flows{vip=\"192.0.2.1\"} " + (double) table.size());
    assertThat(text).contains("lb_flow_table_capacity{vip=\"192.0.2.1\"} 16.0");
    assertThat(text).contains("lb_flow_table_memory_bytes{vip=\"192.0.2.1\"}");
    assertThat(text).contains("lb_flow_table_lookups_total{result=\"miss\",vip=\"192.0.2.1\"} 1.0");
    // A name ending in "created" would lose it in Prometheus (OpenMetrics reserves the _created suffix).
    assertThat(text).contains("lb_flow_table_inserts_total{slot=\"evicted\",vip=\"192.0.2.1\"} " + (double) evicted);
    assertThat(text).doesNotContain("lb_flow_table_total");
    assertThat(opened).isEqualTo(40 - (int) table.count(io.github.lb4j.nat.flow.FlowCounter.TABLE_FULL)
        - (int) table.count(io.github.lb4j.nat.flow.FlowCounter.RATE_LIMITED));
  }
}
