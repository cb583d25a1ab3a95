package io.github.lb4j.grpc;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.EquivalentAddressGroup;
import io.grpc.MethodDescriptor;

/**
 * What an application uses next to the service config: the policy's name, the address attribute
 * that carries a backend's weight, and the interceptor that makes retries avoid backends already
 * tried.
 *
 * <p>Any thread; the constants are immutable; {@link #retryExclusion()} returns a shared stateless
 * interceptor that allocates one small list per call. Nothing here blocks.
 */
public final class Lb4jGrpc {

  /** The policy's name in the service config: {@code {"loadBalancingConfig": [{"lb4j": {...}}]}}. */
  public static final String POLICY_NAME = "lb4j";

  /**
   * The weight of the backend an {@link EquivalentAddressGroup} names, set by a name resolver in the
   * group's attributes: 0 (drain: no new RPCs) to {@link io.github.lb4j.api.Backend#MAX_WEIGHT};
   * 1 when absent. Weighted schedulers ({@code weighted-round-robin}, {@code maglev}, ...) use it; a
   * value out of range makes the policy refuse the addresses with a status that names it.
   */
  public static final Attributes.Key<Integer> WEIGHT = Attributes.Key.create("io.github.lb4j.grpc.weight");

  /** The backends a call's attempts were sent to, shared by the call's attempts through its options. */
  static final CallOptions.Key<TriedBackends> TRIED = CallOptions.Key.create("io.github.lb4j.grpc.tried");

  private static final ClientInterceptor RETRY_EXCLUSION = new ClientInterceptor() {
    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return next.newCall(method, options.withOption(TRIED, new TriedBackends()));
    }

    @Override
    public String toString() {
      return "Lb4jGrpc.retryExclusion()";
    }
  };

  private Lb4jGrpc() {}

  /**
   * Returns the interceptor that lets the {@code lb4j} policy send a call's retries and hedged
   * attempts (gRFC A6, the service config's {@code retryPolicy} and {@code hedgingPolicy}) to
   * backends its earlier attempts did not use, as Envoy's {@code previous_hosts} retry predicate
   * does, and count them in the pool's retry budget. gRPC gives a policy's picker no link between
   * the attempts of one call, so the interceptor adds one to the call's options; install it on the
   * channel ({@code ManagedChannelBuilder.intercept(Lb4jGrpc.retryExclusion())}). Without it, a
   * retry is balanced as a new call. When every serving backend was tried already, the attempt
   * goes to any of them.
   *
   * @return the shared interceptor
   */
  public static ClientInterceptor retryExclusion() {
    return RETRY_EXCLUSION;
  }
}
