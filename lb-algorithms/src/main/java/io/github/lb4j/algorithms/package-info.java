/** lb4j algorithms. */
@NullMarked
package io.github.lb4j.algorithms;

import org.jspecify.annotations.NullMarked;
