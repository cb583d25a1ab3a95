/**
 * The forwarding modes of lb4j's packet core (seed S5, S6): {@link io.github.lb4j.nat.NatConfig}
 * describes a balancer (VIPs, backends, its own MAC and addresses, the source-NAT pool, the ports
 * of forward verdicts), {@link io.github.lb4j.nat.NatTranslators} builds the {@link
 * io.github.lb4j.api.NatTranslator} of a mode, and {@link io.github.lb4j.nat.NatTrace} walks a
 * request and its reply through it hop by hop.
 */
@NullMarked
package io.github.lb4j.nat;

import org.jspecify.annotations.NullMarked;
