/**
 * The health checks that need Linux sockets: [icmp] (S2.1) and [tcp-half-open-raw] (S2.3), each
 * registered as a {@link io.github.lb4j.api.spi.HealthCheckerProvider}. Not exported; reached through
 * {@link io.github.lb4j.api.HealthCheckers}.
 */
@NullMarked
package io.github.lb4j.linux.health;

import org.jspecify.annotations.NullMarked;
