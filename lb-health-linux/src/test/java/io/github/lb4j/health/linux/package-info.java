/** Tests of the icmp checker and the raw way of the tcp-half-open checker. */
@NullMarked
package io.github.lb4j.health.linux;

import org.jspecify.annotations.NullMarked;
