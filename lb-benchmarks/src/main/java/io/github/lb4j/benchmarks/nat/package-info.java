/**
 * Benchmarks of the packet core (lb-nat): parse, flow lookup and rewrite per forwarding mode, with
 * a C baseline ({@code lb-benchmarks/nat-baseline}) and pcap4j as the Java peer.
 */
@NullMarked
package io.github.lb4j.benchmarks.nat;

import org.jspecify.annotations.NullMarked;
