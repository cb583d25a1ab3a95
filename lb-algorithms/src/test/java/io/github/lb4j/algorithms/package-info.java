/** Tests of the lb4j schedulers. */
@NullMarked
package io.github.lb4j.algorithms;

import org.jspecify.annotations.NullMarked;
