/**
 * Service-provider interfaces: implementations register with {@link java.util.ServiceLoader}
 * ({@code provides} in {@code module-info.java}, or {@code META-INF/services} on the class path) and
 * are created by name through {@link io.github.lb4j.api.Schedulers} and {@link
 * io.github.lb4j.api.HealthCheckers}.
 */
@NullMarked
package io.github.lb4j.api.spi;

import org.jspecify.annotations.NullMarked;
