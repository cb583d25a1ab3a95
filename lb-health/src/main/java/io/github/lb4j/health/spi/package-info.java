/**
 * The service-provider interface through which a native module (lb-health-linux, JDK 22+) supplies the
 * health checks that need raw or ping sockets: {@code icmp} and the raw way of {@code
 * tcp-half-open}. Implementations register with {@link java.util.ServiceLoader} ({@code provides
 * io.github.lb4j.health.spi.NativeCheckerProvider with ...} in {@code module-info.java}, or {@code
 * META-INF/services/io.github.lb4j.health.spi.NativeCheckerProvider} on the class path).
 */
@NullMarked
package io.github.lb4j.health.spi;

import org.jspecify.annotations.NullMarked;
