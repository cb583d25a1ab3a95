/** Throughput and CPU cost of lb4j's health checks against local servers. */
@NullMarked
package io.github.lb4j.benchmarks.health;

import org.jspecify.annotations.NullMarked;
