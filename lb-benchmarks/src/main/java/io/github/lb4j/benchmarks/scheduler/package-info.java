/** JMH benchmarks of the lb4j schedulers: select, table build, jump against Guava. */
@NullMarked
package io.github.lb4j.benchmarks.scheduler;

import org.jspecify.annotations.NullMarked;
