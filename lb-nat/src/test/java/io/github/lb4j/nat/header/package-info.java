/** Tests of io.github.lb4j.nat.header. */
@NullMarked
package io.github.lb4j.nat.header;

import org.jspecify.annotations.NullMarked;
