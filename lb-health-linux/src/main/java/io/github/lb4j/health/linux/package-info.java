/**
 * The health checks that need Linux sockets: [icmp] (S2.1) and the raw way of [tcp-half-open] (S2.3),
 * each supplied to lb-health as a {@link io.github.lb4j.health.spi.NativeCheckerProvider}. Not
 * exported; reached through {@link io.github.lb4j.api.HealthCheckers}.
 */
@NullMarked
package io.github.lb4j.health.linux;

import org.jspecify.annotations.NullMarked;
