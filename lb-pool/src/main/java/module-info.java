/**
 * lb4j's control plane as one type, {@link io.github.lb4j.pool.BackendPool}: membership from a
 * {@link io.github.lb4j.pool.MembershipSource}, health from lb-health's checks and outlier
 * detection, administrative drain, maintenance and weights, slow start, backend metadata, limits;
 * and the request-level data plane that client SDKs call: pick, lease, complete, retry.
 */
module io.github.lb4j.pool {
  requires static transitive org.jspecify;
  requires transitive io.github.lb4j.api;
  requires transitive io.github.lb4j.health;
  requires org.slf4j;

  exports io.github.lb4j.pool;

  uses io.github.lb4j.api.spi.SchedulerProvider;
  uses io.github.lb4j.api.spi.HealthCheckerProvider;
}
