/**
 * The embeddable socket-level TCP load balancer: {@link io.github.lb4j.gateway.proxy.ProxyServer},
 * its builder, the health-check specification and the status types.
 */
@NullMarked
package io.github.lb4j.gateway.proxy;

import org.jspecify.annotations.NullMarked;
