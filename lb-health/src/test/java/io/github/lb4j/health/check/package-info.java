/** Tests of the checkers against real servers on loopback. */
@NullMarked
package io.github.lb4j.health.check;

import org.jspecify.annotations.NullMarked;
