/** Tests of io.github.lb4j.nat. */
@NullMarked
package io.github.lb4j.nat;

import org.jspecify.annotations.NullMarked;
