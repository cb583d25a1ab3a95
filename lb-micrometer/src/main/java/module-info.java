/**
 * Micrometer meter binders for lb4j: {@link io.github.lb4j.micrometer.PoolMetrics} for a {@link
 * io.github.lb4j.pool.BackendPool} (picks, refusals by reason, retries, requests and sessions per
 * backend, health, ejections, every transition by cause), {@link
 * io.github.lb4j.micrometer.OutlierDetectorMetrics} for a stand-alone outlier detector (gRPC's
 * ejection counters), {@link io.github.lb4j.micrometer.FlowTableMetrics} for the packet path's flow
 * table and {@link io.github.lb4j.micrometer.TranslatorMetrics} for a translator's events and drops.
 */
// micrometer-core is an automatic module (micrometer.core); its types are in this module's API, so
// users who read this module read it too.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.github.lb4j.micrometer {
  requires static transitive org.jspecify;
  requires transitive io.github.lb4j.pool;
  requires transitive io.github.lb4j.nat;
  requires transitive micrometer.core;

  exports io.github.lb4j.micrometer;
}
