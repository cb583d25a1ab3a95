package io.github.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigAndRegistryTest {

  @Test
  void schedulerConfig_defaultsAreFailClosedWithNoExtras() {
    SchedulerConfig c = SchedulerConfig.defaults();
    assertThat(c.noBackendPolicy()).isEqualTo(NoBackendPolicy.FAIL_CLOSED);
    assertThat(c.panicThresholdPercent()).isZero();
    assertThat(c.slowStart()).isZero();
    assertThat(c.persistence()).isZero();
    assertThat(c.options()).isEmpty();
    assertThat(c.seed()).isEmpty();
    assertThat(c.slowStartAggression()).isEqualTo(1.0);
    assertThat(c.slowStartMinWeightPercent()).isEqualTo(10);
    assertThat(c.toString()).contains("seed=random");
  }

  @Test
  void schedulerConfig_roundTripsThroughItsBuilder() {
    SessionCounters sessions = SessionCounters.create();
    SchedulerConfig c = SchedulerConfig.builder().sessions(sessions).seed(7).slowStart(Duration.ofSeconds(30), 2.0, 25)
        .persistence(Duration.ofMinutes(5), 100).noBackendPolicy(NoBackendPolicy.FAIL_OPEN)
        .panicThresholdPercent(50).option("table-size", "65537").build();
    SchedulerConfig copy = c.toBuilder().build();
    assertThat(copy.sessions()).isSameAs(sessions);
    assertThat(copy.seed()).hasValue(7);
    assertThat(copy.persistenceCapacity()).isEqualTo(100);
    assertThat(copy.slowStartAggression()).isEqualTo(2.0);
    assertThat(copy.slowStartMinWeightPercent()).isEqualTo(25);
    assertThat(copy.option("table-size")).isEqualTo("65537");
    assertThat(copy.option("missing")).isNull();
    assertThat(copy.toString()).contains("seed=7").contains("table-size=65537");
  }

  @Test
  void schedulerConfig_rejectsBadValuesByName() {
    assertThatThrownBy(() -> SchedulerConfig.builder().panicThresholdPercent(101))
        .hasMessageContaining("panicThresholdPercent").hasMessageContaining("101");
    assertThatThrownBy(() -> SchedulerConfig.builder().slowStart(Duration.ofSeconds(-1)))
        .hasMessageContaining("slowStart");
    assertThatThrownBy(() -> SchedulerConfig.builder().persistence(Duration.ofSeconds(1), 0))
        .hasMessageContaining("persistenceCapacity");
    assertThatThrownBy(() -> SchedulerConfig.builder().slowStart(Duration.ofSeconds(1), 0, 10))
        .hasMessageContaining("slowStartAggression");
    assertThatThrownBy(() -> SchedulerConfig.builder().slowStart(Duration.ofSeconds(1), 1.0, 0))
        .hasMessageContaining("slowStartMinWeightPercent").hasMessageContaining("0");
  }

  // lb-api's own tests run without lb-algorithms and lb-health, as a consumer that forgot them does:
  // the registries are empty and must say which artifact and module to add.

  @Test
  void schedulers_withoutLbAlgorithms_nameTheMissingArtifactAndModule() {
    assertThat(Schedulers.descriptions()).isEmpty();
    assertThatThrownBy(() -> Schedulers.create("round-robin", SchedulerConfig.defaults()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot create scheduler 'round-robin': no scheduler provider"
            + " (io.github.lb4j.api.spi.SchedulerProvider) found on the class path or module path;"
            + " the algorithms live in io.github.lb4j:lb-algorithms (module io.github.lb4j.algorithms),"
            + " which exports no package but must be on the run-time path");
  }

  @Test
  void healthCheckers_withoutLbHealth_nameTheMissingArtifactAndModule() {
    assertThat(HealthCheckers.descriptions()).isEmpty();
    assertThatThrownBy(() -> HealthCheckers.create("tcp", Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("cannot create health check 'tcp': no health-check provider"
            + " (io.github.lb4j.api.spi.HealthCheckerProvider) found on the class path or module path;"
            + " the checks live in io.github.lb4j:lb-health (module io.github.lb4j.health),"
            + " which must be on the run-time path");
  }

  @Test
  void forwardingModes_parseByName() {
    for (ForwardingMode m : ForwardingMode.values()) {
      assertThat(ForwardingMode.parse(m.modeName())).isSameAs(m);
    }
    assertThat(ForwardingMode.parse(" DSR-L2 ")).isSameAs(ForwardingMode.DSR_L2);
    assertThat(ForwardingMode.FULL_NAT.repliesPassBalancer()).isTrue();
    assertThat(ForwardingMode.DSR_IPIP.repliesPassBalancer()).isFalse();
    assertThatThrownBy(() -> ForwardingMode.parse("nat64"))
        .hasMessageContaining("'nat64'").hasMessageContaining("transparent, router, dsr-l2");
  }

  @Test
  void protocols_resolveByNumber() {
    assertThat(Protocol.of(6)).isSameAs(Protocol.TCP);
    assertThat(Protocol.ofNumber(58)).isSameAs(Protocol.ICMPV6);
    assertThat(Protocol.ofNumber(300)).isNull();
    assertThatThrownBy(() -> Protocol.of(47)).hasMessageContaining("47");
  }

  @Test
  void healthResult_reasonMatchesVerdict() {
    HealthResult ok = HealthResult.healthy(1_000, "status 200");
    assertThat(ok.healthy()).isTrue();
    assertThat(ok.reason()).isEqualTo(HealthReason.OK);
    HealthResult bad = HealthResult.unhealthy(HealthReason.UNEXPECTED_STATUS, 2_000, "status 503");
    assertThat(bad.healthy()).isFalse();
    assertThat(bad.toString()).contains("UNEXPECTED_STATUS").contains("status 503");
    assertThat(bad).isEqualTo(HealthResult.unhealthy(HealthReason.UNEXPECTED_STATUS, 2_000, "status 503"));
    assertThatThrownBy(() -> HealthResult.unhealthy(HealthReason.OK, 0, "x")).hasMessageContaining("OK");
  }

  @Test
  void frame_rejectsRegionsOutsideTheBuffer() {
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(128);
    Frame f = new Frame(buf, 64, 64);
    assertThat(f.tailroom()).isZero();
    f.region(44, 84);
    assertThat(f.offset()).isEqualTo(44);
    assertThatThrownBy(() -> f.region(100, 64)).hasMessageContaining("does not fit a buffer of 128");
    assertThatThrownBy(() -> new Frame(buf, -1, 10)).isInstanceOf(IllegalArgumentException.class);
  }
}
