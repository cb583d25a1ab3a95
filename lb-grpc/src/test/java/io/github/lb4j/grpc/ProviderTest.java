package io.github.lb4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import io.grpc.internal.JsonParser;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProviderTest {

  @SuppressWarnings("unchecked")
  private static ConfigOrError parse(String json) throws IOException {
    return new Lb4jLoadBalancerProvider().parseLoadBalancingPolicyConfig((Map<String, ?>) JsonParser.parse(json));
  }

  private static String error(String json) throws IOException {
    ConfigOrError c = parse(json);
    assertThat(c.getError()).as("error of %s", json).isNotNull();
    assertThat(c.getError().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    return c.getError().getDescription();
  }

  @Test
  void registry_findsThePolicyByNameThroughServiceLoading() {
    LoadBalancerProvider p = LoadBalancerRegistry.getDefaultRegistry().getProvider("lb4j");
    assertThat(p).isInstanceOf(Lb4jLoadBalancerProvider.class);
    assertThat(p.getPolicyName()).isEqualTo(Lb4jGrpc.POLICY_NAME);
  }

  @Test
  void emptyObject_isRoundRobinWithDefaults() throws IOException {
    assertThat(parse("{}").getConfig()).isEqualTo(PolicyConfig.DEFAULT);
  }

  @Test
  void everyField_isParsed() throws IOException {
    PolicyConfig c = (PolicyConfig) parse("""
        {"scheduler": "maglev", "schedulerOptions": {"table-size": 65537}, "seed": "12345678901234567",
         "slowStart": "1.5s", "requestKeyHeader": "X-User",
         "healthCheck": {"method": "tcp", "interval": "0.25s", "timeout": "0.1s", "rise": 2, "fall": 3,
                         "healthyUntilChecked": false},
         "outlierDetection": {"interval": "1s", "consecutiveFailures": 7,
                              "failurePercentageEjection": {"threshold": 40}},
         "failureStatusCodes": ["unavailable", "INTERNAL"], "maxRequestsPerBackend": 10, "maxRequests": 100,
         "retryBudget": {"budgetPercent": 50, "minRetryConcurrency": 1}}
        """).getConfig();
    assertThat(c.scheduler()).isEqualTo("maglev");
    assertThat(c.schedulerOptions()).containsEntry("table-size", "65537");
    assertThat(c.seed()).isEqualTo(12345678901234567L);
    assertThat(c.slowStart()).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.requestKeyHeader()).isEqualTo("x-user");
    assertThat(c.healthCheck()).isEqualTo(new PolicyConfig.HealthCheck("tcp", Map.of(), Duration.ofMillis(250),
        Duration.ofMillis(100), 2, 3, false));
    assertThat(c.outlierDetection().settings()).containsEntry("consecutiveFailures", 7)
        .containsEntry("failurePercentageEjection.threshold", 40)
        .containsEntry("failurePercentageEjection.enforcementPercentage", 100);
    assertThat(c.failureStatusCodes()).containsExactlyInAnyOrder(Status.Code.UNAVAILABLE, Status.Code.INTERNAL);
    assertThat(c.maxRequestsPerBackend()).isEqualTo(10);
    assertThat(c.maxRequests()).isEqualTo(100);
    assertThat(c.retryBudgetPercent()).isEqualTo(50.0);
    assertThat(c.retryBudgetMinConcurrency()).isEqualTo(1);
  }

  @Test
  void badConfigs_areRefusedWithTheFieldAndTheAcceptedValues() throws IOException {
    assertThat(error("{\"scheduler\": \"round_robin\"}")).contains("scheduler").contains("unknown scheduler 'round_robin'")
        .contains("round-robin");
    assertThat(error("{\"schedulr\": \"maglev\"}")).contains("unknown field [schedulr]").contains("scheduler");
    assertThat(error("{\"scheduler\": \"maglev\", \"schedulerOptions\": {\"table-size\": \"12\"}}")).contains("table-size");
    assertThat(error("{\"slowStart\": \"10\"}")).contains("slowStart").contains("\"2.5s\"");
    assertThat(error("{\"slowStart\": \"-1s\"}")).contains("slowStart");
    assertThat(error("{\"requestKeyHeader\": \"x-user-bin\"}")).contains("requestKeyHeader").contains("-bin");
    assertThat(error("{\"requestKeyHeader\": \"bad header\"}")).contains("requestKeyHeader");
    assertThat(error("{\"healthCheck\": {\"method\": \"carrier-pigeon\"}}")).contains("healthCheck").contains("tcp");
    assertThat(error("{\"healthCheck\": {\"interval\": \"1s\"}}")).contains("healthCheck.method is required");
    assertThat(error("{\"healthCheck\": {\"method\": \"tcp\", \"rise\": 0}}")).contains("healthCheck.rise");
    assertThat(error("{\"healthCheck\": {\"method\": \"tcp\", \"interval\": \"0s\"}}")).contains("healthCheck.interval must be positive");
    assertThat(error("{\"outlierDetection\": {\"maxEjectionPercent\": 101}}")).contains("outlierDetection.maxEjectionPercent");
    assertThat(error("{\"outlierDetection\": {\"failurePercentageEjection\": {\"treshold\": 5}}}"))
        .contains("outlierDetection.failurePercentageEjection.treshold");
    assertThat(error("{\"failureStatusCodes\": [\"BROKEN\"]}")).contains("BROKEN").contains("UNAVAILABLE");
    assertThat(error("{\"failureStatusCodes\": [\"OK\"]}")).contains("cannot list OK");
    assertThat(error("{\"maxRequests\": 0}")).contains("maxRequests must be a whole number in 1..");
    assertThat(error("{\"maxRequests\": 1.5}")).contains("maxRequests");
    assertThat(error("{\"retryBudget\": {\"budgetPercent\": 120}}")).contains("retryBudget.budgetPercent");
    assertThat(error("{\"seed\": 1e300}")).contains("seed");
  }

  @Test
  void equalJson_givesEqualConfigs_soAResolutionWithTheSameConfigKeepsThePool() throws IOException {
    String json = "{\"scheduler\": \"maglev\", \"outlierDetection\": {\"consecutiveFailures\": 3}}";
    assertThat(parse(json).getConfig()).isEqualTo(parse(json).getConfig());
    assertThat(parse(json).getConfig()).isNotEqualTo(parse("{\"scheduler\": \"maglev\"}").getConfig());
  }

  @Test
  void statusCodes_mapToOutcomes() {
    var codes = PolicyConfig.DEFAULT_FAILURE_CODES;
    assertThat(LeaseTracer.outcome(Status.OK, codes)).isEqualTo(io.github.lb4j.pool.Outcome.SUCCESS);
    assertThat(LeaseTracer.outcome(Status.UNAVAILABLE, codes)).isEqualTo(io.github.lb4j.pool.Outcome.FAILURE);
    assertThat(LeaseTracer.outcome(Status.DEADLINE_EXCEEDED, codes)).isEqualTo(io.github.lb4j.pool.Outcome.FAILURE);
    assertThat(LeaseTracer.outcome(Status.CANCELLED, codes)).isEqualTo(io.github.lb4j.pool.Outcome.CANCELLED);
    // The backend answered: a client error is not the backend's failure.
    assertThat(LeaseTracer.outcome(Status.NOT_FOUND, codes)).isEqualTo(io.github.lb4j.pool.Outcome.SUCCESS);
    assertThat(LeaseTracer.outcome(Status.INVALID_ARGUMENT, codes)).isEqualTo(io.github.lb4j.pool.Outcome.SUCCESS);
  }

  @Test
  void requestKeyHash_separatesValuesThatDifferInOneCharacter() {
    assertThat(PoolPicker.hash("user-1")).isNotEqualTo(PoolPicker.hash("user-2"));
    assertThat(Long.bitCount(PoolPicker.hash("user-1") ^ PoolPicker.hash("user-2"))).isBetween(16, 48);
    assertThat(PoolPicker.hash("a")).isEqualTo(PoolPicker.hash("a"));
  }
}
