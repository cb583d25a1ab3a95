/**
 * Meter binders that read lb4j's own counters when a registry asks (at scrape or publish time):
 * nothing is added to the pick or packet paths. Names are dot-separated and lower case, in base
 * units, as Micrometer's naming conventions ask; each registry renders them in its own style
 * ({@code lb.pool.retries} becomes {@code lb_pool_retries_total} in Prometheus). Where gRPC's
 * load-balancing metrics (gRFC A78 and its outlier-detection counters) name the same quantity, the
 * gRPC name is used.
 */
@NullMarked
package io.github.lb4j.micrometer;

import org.jspecify.annotations.NullMarked;
