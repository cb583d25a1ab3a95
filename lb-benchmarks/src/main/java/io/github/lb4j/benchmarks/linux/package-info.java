/** Benchmarks of lb-linux and lb-health-linux: AF_PACKET paths, the ICMP round against fping. */
@NullMarked
package io.github.lb4j.benchmarks.linux;

import org.jspecify.annotations.NullMarked;
