package io.github.lb4j.grpc;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Status;
import java.util.Map;

/**
 * Registers the {@code lb4j} policy with gRPC-java's {@code LoadBalancerRegistry}: found through
 * {@code META-INF/services/io.grpc.LoadBalancerProvider} on the class path and through {@code
 * provides} on the module path, or registered by hand ({@code
 * LoadBalancerRegistry.getDefaultRegistry().register(new Lb4jLoadBalancerProvider())}) where
 * service loading is off.
 *
 * <p>{@link #parseLoadBalancingPolicyConfig} turns the policy's JSON object into its configuration
 * or into a status that names the bad field; a channel then keeps its previous configuration (gRFC
 * A21). The fields and their defaults are listed in the module's README.
 *
 * <p>gRPC calls it from any thread; it is stateless. Parsing allocates and loads lb4j's scheduler
 * and checker registries; it never blocks.
 */
public final class Lb4jLoadBalancerProvider extends LoadBalancerProvider {

  /** Creates the provider; gRPC's registry does, through service loading. */
  public Lb4jLoadBalancerProvider() {}

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int getPriority() {
    return 5;
  }

  @Override
  public String getPolicyName() {
    return Lb4jGrpc.POLICY_NAME;
  }

  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    return new Lb4jLoadBalancer(helper);
  }

  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
    try {
      return ConfigOrError.fromConfig(PolicyConfig.parse(rawConfig));
    } catch (IllegalArgumentException e) {
      return ConfigOrError.fromError(Status.UNAVAILABLE.withDescription(
          "invalid " + Lb4jGrpc.POLICY_NAME + " load-balancing config: " + e.getMessage()).withCause(e));
    }
  }
}
