package io.github.lb4j.grpc;

import io.github.lb4j.api.NanoClock;
import io.github.lb4j.pool.Lease;
import io.github.lb4j.pool.Outcome;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Completes one pick's lease when its stream closes: the outcome from the status (the configured
 * failure codes count against the backend, {@code CANCELLED} counts for nobody, any other code
 * means the backend answered) and the latency from the pick to the close. One factory per pick;
 * gRPC makes at most one stream from it (a second request, which gRPC does not make, gets a tracer
 * that reports nothing).
 *
 * <p>gRPC calls it on its transport threads; {@link Factory#newClientStreamTracer} allocates the
 * tracer; nothing blocks.
 */
final class LeaseTracer extends ClientStreamTracer {

  private static final ClientStreamTracer NOOP = new ClientStreamTracer() { };

  private final Lease lease;
  private final NanoClock clock;
  private final long pickedAt;
  private final Set<Status.Code> failures;

  private LeaseTracer(Lease lease, NanoClock clock, long pickedAt, Set<Status.Code> failures) {
    this.lease = lease;
    this.clock = clock;
    this.pickedAt = pickedAt;
    this.failures = failures;
  }

  /** How a status ends a lease. */
  static Outcome outcome(Status status, Set<Status.Code> failures) {
    Status.Code code = status.getCode();
    if (code == Status.Code.OK) {
      return Outcome.SUCCESS;
    }
    if (failures.contains(code)) {
      return Outcome.FAILURE;
    }
    return code == Status.Code.CANCELLED ? Outcome.CANCELLED : Outcome.SUCCESS;
  }

  @Override
  public void streamClosed(Status status) {
    lease.complete(outcome(status, failures), clock.nanoTime() - pickedAt);
  }

  /** The factory handed to gRPC with one pick. */
  static final class Factory extends ClientStreamTracer.Factory {
    private final Lease lease;
    private final NanoClock clock;
    private final long pickedAt;
    private final Set<Status.Code> failures;
    private final AtomicBoolean used = new AtomicBoolean();
    private final UnusedLeases.Watch watch;

    Factory(Lease lease, NanoClock clock, Set<Status.Code> failures, UnusedLeases unused) {
      this.lease = lease;
      this.clock = clock;
      this.pickedAt = clock.nanoTime();
      this.failures = failures;
      this.watch = unused.watch(this, lease);
    }

    @Override
    public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
      if (!used.compareAndSet(false, true)) {
        return NOOP;
      }
      watch.used();
      return new LeaseTracer(lease, clock, pickedAt, failures);
    }
  }
}
