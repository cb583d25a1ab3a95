/** Tests of the skip-or-fail rule. */
@NullMarked
package io.github.lb4j.testing;

import org.jspecify.annotations.NullMarked;
