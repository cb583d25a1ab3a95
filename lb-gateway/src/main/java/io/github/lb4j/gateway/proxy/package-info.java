/** The embeddable socket-level TCP load balancer: {@link ProxyServer}, its builder, configuration file and status types. */
@NullMarked
package io.github.lb4j.gateway.proxy;

import org.jspecify.annotations.NullMarked;
