/** Tests of io.github.lb4j.nat.pcap. */
@NullMarked
package io.github.lb4j.nat.pcap;

import org.jspecify.annotations.NullMarked;
