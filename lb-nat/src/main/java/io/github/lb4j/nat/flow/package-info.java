/**
 * The flow table (the seed's session table, S3.2): fixed capacity, primitive arrays, open
 * addressing with a per-instance random seed, TCP state tracking with IPVS-like timeouts, lookups
 * from both sides, eviction and the stateless fallback above a new-flow rate.
 */
@NullMarked
package io.github.lb4j.nat.flow;

import org.jspecify.annotations.NullMarked;
