/**
 * lb4j's JMH suite. Each class names the question it answers and gives the command that runs it;
 * peers run in the same JVM and the same run so ratios are fair on a noisy machine.
 */
@NullMarked
package io.github.lb4j.benchmarks;

import org.jspecify.annotations.NullMarked;
