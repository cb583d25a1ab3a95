/** Tests of the proxy, end to end on loopback. */
@NullMarked
package io.github.lb4j.gateway.proxy;

import org.jspecify.annotations.NullMarked;
