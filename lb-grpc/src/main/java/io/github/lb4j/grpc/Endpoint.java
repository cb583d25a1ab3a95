package io.github.lb4j.grpc;

import io.github.lb4j.api.Backend;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.Status;

/**
 * One resolved address group as the policy tracks it: the lb4j backend it is, the gRPC subchannel
 * that carries its RPCs, and that subchannel's connectivity.
 *
 * <p>Written only on the channel's synchronization context; {@link #ready} is also read by pickers
 * on any thread. Never blocks.
 */
final class Endpoint {

  final String id;
  final Subchannel subchannel;
  Backend backend;
  EquivalentAddressGroup addresses;
  ConnectivityState state = ConnectivityState.IDLE;
  /** Sticky transient failure (gRFC A62): set on TRANSIENT_FAILURE, cleared only by READY. */
  boolean failing;
  Status lastFailure = Status.OK;
  /** What the last transition of lb4j's active health checks said, for error messages. */
  String checkDetail = "";
  volatile boolean ready;

  Endpoint(String id, Backend backend, EquivalentAddressGroup addresses, Subchannel subchannel) {
    this.id = id;
    this.backend = backend;
    this.addresses = addresses;
    this.subchannel = subchannel;
  }

  @Override
  public String toString() {
    return id + " " + state + (failing && state != ConnectivityState.TRANSIENT_FAILURE ? " (after TRANSIENT_FAILURE)" : "");
  }
}
