/**
 * {@link io.github.lb4j.pool.BackendPool}: the one place where backend membership and state change,
 * and the request-level API of client SDKs on top of it.
 *
 * <p><b>Control plane.</b> Membership ({@link io.github.lb4j.pool.MembershipSource}), health
 * transitions, outlier ejections, administrative states and weights are applied one at a time on a
 * serialized control context (gRPC's {@code SynchronizationContext}); each change publishes one
 * immutable snapshot to the {@link io.github.lb4j.api.Scheduler} and tells every {@link
 * io.github.lb4j.pool.PoolListener} what changed and why ({@link io.github.lb4j.pool.Transition}).
 *
 * <p><b>Data plane.</b> {@link io.github.lb4j.pool.BackendPool#pick(long)} and its variants return a
 * {@link io.github.lb4j.pool.Lease}, or a refusal that says why ({@link
 * io.github.lb4j.pool.PickStatus}); {@link io.github.lb4j.pool.Lease#complete} feeds the session
 * counters, the latency estimate and outlier detection. Any thread; no lock; no allocation for
 * request leases.
 */
@NullMarked
package io.github.lb4j.pool;

import org.jspecify.annotations.NullMarked;
