/**
 * Skip-or-fail requirements for privileged tests ({@link io.github.lb4j.testing.Requirements},
 * {@link io.github.lb4j.testing.Privileged}), commands ({@link io.github.lb4j.testing.Shell}) and
 * the namespace lab ({@link io.github.lb4j.testing.NamespaceLab}).
 */
@NullMarked
package io.github.lb4j.testing;

import org.jspecify.annotations.NullMarked;
