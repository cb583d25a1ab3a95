/** Tests of io.github.lb4j.nat.flow. */
@NullMarked
package io.github.lb4j.nat.flow;

import org.jspecify.annotations.NullMarked;
