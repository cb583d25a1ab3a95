package io.github.lb4j.algorithms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.LoadReportReceiver;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** gRPC's weighted_round_robin (gRFC A58) on a hand-driven clock. */
class AdaptiveWeightedRoundRobinTest {

  private final Fixtures.ManualClock clock = new Fixtures.ManualClock();

  private Scheduler create(SchedulerConfig.Builder config) {
    Scheduler s = Fixtures.create("weighted-round-robin-adaptive", config.clock(clock).seed(58).build());
    s.update(List.of(Fixtures.backend("a", 1), Fixtures.backend("b", 1), Fixtures.backend("c", 1)));
    return s;
  }

  private static LoadReportReceiver reports(Scheduler s) {
    assertThat(s).isInstanceOf(LoadReportReceiver.class);
    return (LoadReportReceiver) s;
  }

  private static Map<String, Double> shares(Scheduler s, int selects) {
    Map<String, Integer> hits = new HashMap<>();
    FlowKey flow = Fixtures.flow(1, 1);
    for (int i = 0; i < selects; i++) {
      hits.merge(s.select(flow).id(), 1, Integer::sum);
    }
    Map<String, Double> out = new HashMap<>();
    hits.forEach((id, h) -> out.put(id, (double) h / selects));
    return out;
  }

  /** a: 100 qps at 25% (weight 400); b: 100 qps at 50% (200); c: 100 qps at 100% (100). */
  private void reportAll(LoadReportReceiver r) {
    assertThat(r.reportLoad("a", 100, 0, 0.25, 0)).isTrue();
    assertThat(r.reportLoad("b", 100, 0, 0.50, 0)).isTrue();
    assertThat(r.reportLoad("c", 100, 0, 1.00, 0)).isTrue();
  }

  @Test
  void withoutReports_itIsRoundRobin() {
    Scheduler s = create(SchedulerConfig.builder());
    assertThat(shares(s, 30_000)).allSatisfy((id, share) -> assertThat(share).isCloseTo(1.0 / 3, offset(0.001)));
  }

  @Test
  void weights_followQpsOverUtilization_afterTheBlackoutPeriod() {
    Scheduler s = create(SchedulerConfig.builder());
    LoadReportReceiver r = reports(s);
    reportAll(r);
    clock.advanceSeconds(5);
    reportAll(r);
    clock.advanceSeconds(2);
    // Seven seconds of reports: still within the 10 s blackout, so still round robin.
    assertThat(shares(s, 30_000).get("a")).isCloseTo(1.0 / 3, offset(0.001));
    clock.advanceSeconds(3);
    reportAll(r);
    clock.advanceSeconds(1);
    // 400 : 200 : 100.
    Map<String, Double> shares = shares(s, 70_000);
    assertThat(shares.get("a")).isCloseTo(4.0 / 7, offset(0.002));
    assertThat(shares.get("b")).isCloseTo(2.0 / 7, offset(0.002));
    assertThat(shares.get("c")).isCloseTo(1.0 / 7, offset(0.002));
  }

  @Test
  void errors_arePenalisedByErrorUtilizationPenalty_andApplicationUtilizationWins() {
    Scheduler s = create(SchedulerConfig.builder().option("blackout-period", "0").option("error-utilization-penalty", "2.0"));
    LoadReportReceiver r = reports(s);
    // a: 100 / (0.5 + 20/100 x 2) = 111.1; b: 100 / 0.5 = 200 (CPU 0.9 ignored); c: 100 / 0.9 = 111.1.
    r.reportLoad("a", 100, 20, 0.5, 0);
    r.reportLoad("b", 100, 0, 0.9, 0.5);
    r.reportLoad("c", 100, 0, 0.9, 0);
    clock.advanceSeconds(1);
    Map<String, Double> shares = shares(s, 100_000);
    double total = 100 / 0.9 + 200 + 100 / 0.9;
    assertThat(shares.get("b")).isCloseTo(200 / total, offset(0.003));
    assertThat(shares.get("a")).isCloseTo(shares.get("c"), offset(0.003));
  }

  @Test
  void weights_expireAfterTheExpirationPeriod_andTheBlackoutStartsAgain() {
    Scheduler s = create(SchedulerConfig.builder());
    LoadReportReceiver r = reports(s);
    for (int t = 0; t <= 11; t++) {
      reportAll(r);
      clock.advanceSeconds(1);
    }
    assertThat(shares(s, 70_000).get("a")).isCloseTo(4.0 / 7, offset(0.002));
    clock.advanceSeconds(180);
    assertThat(shares(s, 30_000).get("a")).as("expired").isCloseTo(1.0 / 3, offset(0.001));
    reportAll(r);
    clock.advanceSeconds(2);
    assertThat(shares(s, 30_000).get("a")).as("blacked out again").isCloseTo(1.0 / 3, offset(0.001));
  }

  @Test
  void newReports_countAtTheNextWeightUpdate_andUnknownBackendsGetTheMean() {
    Scheduler s = create(SchedulerConfig.builder().option("blackout-period", "0").option("weight-update-period", "5"));
    LoadReportReceiver r = reports(s);
    r.reportLoad("a", 300, 0, 1.0, 0);
    r.reportLoad("b", 100, 0, 1.0, 0);
    clock.advanceSeconds(1);
    assertThat(shares(s, 30_000).get("a")).as("before the update").isCloseTo(1.0 / 3, offset(0.001));
    clock.advanceSeconds(4);
    // c reported nothing: it gets the mean of 300 and 100, so 300 : 100 : 200.
    Map<String, Double> shares = shares(s, 60_000);
    assertThat(shares.get("a")).isCloseTo(0.5, offset(0.002));
    assertThat(shares.get("c")).isCloseTo(1.0 / 3, offset(0.002));
  }

  @Test
  void extremeWeights_areClampedToTenTimesAndATenthOfTheMean() {
    Scheduler s = create(SchedulerConfig.builder().option("blackout-period", "0"));
    LoadReportReceiver r = reports(s);
    r.reportLoad("a", 100_000, 0, 1.0, 0);
    r.reportLoad("b", 1, 0, 1.0, 0);
    r.reportLoad("c", 1, 0, 1.0, 0);
    clock.advanceSeconds(1);
    // Mean 33,334: a stays (below 10 x the mean), b and c are raised to a tenth of the mean.
    Map<String, Double> shares = shares(s, 100_000);
    assertThat(shares.get("b")).isCloseTo(0.1 / (3.0 + 0.2), offset(0.003));
  }

  @Test
  void reports_ofUnknownBackends_orWithoutLoad_changeNothing() {
    Scheduler s = create(SchedulerConfig.builder().option("blackout-period", "0"));
    LoadReportReceiver r = reports(s);
    assertThat(r.reportLoad("nobody", 100, 0, 0.5, 0)).isFalse();
    assertThat(r.reportLoad("a", 0, 0, 0.5, 0)).isTrue();
    assertThat(r.reportLoad("a", 100, 0, 0, 0)).isTrue();
    assertThat(r.reportLoad("a", Double.NaN, 0, 0.5, 0)).isTrue();
    clock.advanceSeconds(1);
    assertThat(shares(s, 30_000).get("a")).isCloseTo(1.0 / 3, offset(0.001));
    // A backend removed by an update forgets its reports.
    s.update(List.of(Fixtures.backend("b", 1), Fixtures.backend("c", 1)));
    assertThat(r.reportLoad("a", 100, 0, 0.5, 0)).isFalse();
  }

  @Test
  void options_areValidated() {
    assertThatThrownBy(() -> create(SchedulerConfig.builder().option("blackout-period", "-1")))
        .hasMessageContaining("blackout-period=-1");
    assertThatThrownBy(() -> create(SchedulerConfig.builder().option("error-utilization-penalty", "x")))
        .hasMessageContaining("error-utilization-penalty=x");
  }
}
