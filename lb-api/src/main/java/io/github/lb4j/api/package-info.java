/**
 * lb4j's public contracts and the immutable values they exchange.
 *
 * <p>Two planes meet here. The <em>control plane</em> (one thread, may allocate) publishes backend
 * membership, weights and health through {@link io.github.lb4j.api.Scheduler#update}; the <em>data
 * plane</em> (many threads, never allocates) calls {@link io.github.lb4j.api.Scheduler#select} and
 * {@link io.github.lb4j.api.NatTranslator#translate}. Live load lives in {@link
 * io.github.lb4j.api.SessionCounters}, which survives every snapshot swap.
 */
@NullMarked
package io.github.lb4j.api;

import org.jspecify.annotations.NullMarked;
