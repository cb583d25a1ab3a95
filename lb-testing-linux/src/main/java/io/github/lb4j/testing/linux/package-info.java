/**
 * Per-thread Linux state for tests: {@link io.github.lb4j.testing.linux.NetworkNamespace} and
 * {@link io.github.lb4j.testing.linux.ThreadCapabilities}.
 */
@NullMarked
package io.github.lb4j.testing.linux;

import org.jspecify.annotations.NullMarked;
