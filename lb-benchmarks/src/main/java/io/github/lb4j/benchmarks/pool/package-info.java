/** JMH benchmarks of lb-pool's request path: pick and complete, against the same work done by hand. */
@NullMarked
package io.github.lb4j.benchmarks.pool;

import org.jspecify.annotations.NullMarked;
