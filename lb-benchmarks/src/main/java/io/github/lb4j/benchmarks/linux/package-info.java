/** Benchmarks of lb-linux: the ICMP round against fping. */
@NullMarked
package io.github.lb4j.benchmarks.linux;

import org.jspecify.annotations.NullMarked;
