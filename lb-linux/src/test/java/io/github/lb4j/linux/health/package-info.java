/** Tests of the icmp and tcp-half-open-raw checkers. */
@NullMarked
package io.github.lb4j.linux.health;

import org.jspecify.annotations.NullMarked;
