/**
 * The health-check methods of lb4j (seed S2), created by name through {@link
 * io.github.lb4j.api.HealthCheckers}; not exported.
 */
@NullMarked
package io.github.lb4j.health.check;

import org.jspecify.annotations.NullMarked;
