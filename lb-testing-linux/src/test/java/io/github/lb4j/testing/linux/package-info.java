/** Tests of the per-thread helpers. */
@NullMarked
package io.github.lb4j.testing.linux;

import org.jspecify.annotations.NullMarked;
