/** Tests of the demo's HTTP server. */
@NullMarked
package io.github.lb4j.gateway.demo;

import org.jspecify.annotations.NullMarked;
