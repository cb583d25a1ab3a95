/**
 * lb4j as a gRPC-java load-balancing policy: {@link io.github.lb4j.grpc.Lb4jLoadBalancerProvider}
 * registers the policy {@code lb4j} with gRPC's {@code LoadBalancerRegistry}; a channel selects it
 * through its service config ({@code {"loadBalancingConfig": [{"lb4j": {...}}]}}). Each resolved
 * address group becomes one lb4j backend and one gRPC subchannel; the subchannel's connectivity,
 * lb4j's active health checks and outlier detection all change the same {@code BackendPool}, and
 * every RPC is one lease of that pool. {@link io.github.lb4j.grpc.Lb4jGrpc} holds the address
 * attribute for weights and the interceptor that lets retries avoid backends already tried.
 */
@NullMarked
package io.github.lb4j.grpc;

import org.jspecify.annotations.NullMarked;
