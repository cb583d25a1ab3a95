/**
 * lb4j's load-balancing policies for gRPC-java: an {@link io.grpc.LoadBalancerProvider} named
 * {@code lb4j}, configured through the service config, built on {@code BackendPool}.
 *
 * <p>gRPC-java ships no module descriptors: its jars are automatic modules ({@code io.grpc} is
 * grpc-api's {@code Automatic-Module-Name}), so this module requires an automatic module, which
 * javac reports unless told otherwise.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.github.lb4j.grpc {
  requires static transitive org.jspecify;
  requires transitive io.github.lb4j.pool;
  requires transitive io.grpc;
  requires org.slf4j;

  exports io.github.lb4j.grpc;

  provides io.grpc.LoadBalancerProvider with io.github.lb4j.grpc.Lb4jLoadBalancerProvider;
}
