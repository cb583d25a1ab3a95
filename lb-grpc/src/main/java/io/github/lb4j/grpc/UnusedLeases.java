package io.github.lb4j.grpc;

import io.github.lb4j.pool.Lease;
import io.github.lb4j.pool.Outcome;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Returns the leases of picks that gRPC discarded. A pick names a subchannel, but the channel may
 * find its transport gone by the time it uses the pick (a GOAWAY, an idle timeout); it then drops
 * the pick without a word and picks again, so the stream tracer that would complete the lease is
 * never created, and the lease would count as in flight forever (skewing least-request, limits and
 * the circuit breaker). gRPC's own counting policies avoid this by counting at stream creation;
 * lb4j's pool counts at the pick, so each pick's tracer factory is watched with a phantom
 * reference: once the factory is unreachable without having made a tracer, the lease is completed
 * as {@link Outcome#CANCELLED}. The queue is polled by the pickers themselves, so no thread is
 * needed.
 *
 * <p>Any thread; {@link #watch} allocates one reference and one set entry; {@link #poll} never
 * blocks.
 */
final class UnusedLeases {

  private final ReferenceQueue<Object> queue = new ReferenceQueue<>();
  private final Set<Watch> pending = ConcurrentHashMap.newKeySet();

  /** One pick's lease, alive while its tracer factory is reachable and unused. */
  static final class Watch extends PhantomReference<Object> {
    private final Lease lease;
    private final UnusedLeases owner;

    Watch(Object factory, Lease lease, UnusedLeases owner) {
      super(factory, owner.queue);
      this.lease = lease;
      this.owner = owner;
    }

    /** The factory made its tracer, which completes the lease: stop watching. */
    void used() {
      if (owner.pending.remove(this)) {
        clear();
      }
    }
  }

  Watch watch(Object factory, Lease lease) {
    Watch w = new Watch(factory, lease, this);
    pending.add(w);
    return w;
  }

  /** Completes the leases of discarded picks found so far. */
  void poll() {
    Reference<?> r;
    while ((r = queue.poll()) != null) {
      Watch w = (Watch) r;
      if (pending.remove(w)) {
        w.lease.complete(Outcome.CANCELLED, 0);
      }
    }
  }

  int pending() {
    return pending.size();
  }
}
