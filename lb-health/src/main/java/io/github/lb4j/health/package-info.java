/**
 * The health plane of lb4j: {@link io.github.lb4j.health.HealthMonitor} runs the checkers of seed S2
 * on a schedule (rise/fall thresholds, fast and down intervals, jitter) and {@link
 * io.github.lb4j.health.OutlierDetector} ejects backends from real traffic outcomes (Envoy and gRPC
 * outlier detection). Both publish transitions to {@link io.github.lb4j.api.HealthListener}s on one
 * control thread given by a {@link io.github.lb4j.health.MonitorScheduler}.
 */
@NullMarked
package io.github.lb4j.health;

import org.jspecify.annotations.NullMarked;
