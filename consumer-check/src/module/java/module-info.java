/**
 * A consumer of lb4j as a named module. lb-algorithms is not required: it exports nothing, and
 * service binding resolves it from the module path because lb-api {@code uses} SchedulerProvider.
 * gRPC-java's jars are automatic modules (io.grpc.inprocess here), which javac reports when required.
 */
@SuppressWarnings("requires-automatic")
module com.example.embed {
  requires io.github.lb4j.api;
  requires io.github.lb4j.health;
  requires io.github.lb4j.pool;
  // PoolExample: its requests and its loopback replicas.
  requires java.net.http;
  requires jdk.httpserver;
  // Not used by the example: compiled here so that every Java 17 module of lb4j is shown to
  // resolve for a JPMS consumer (everything a module-info requires transitively must reach it).
  requires io.github.lb4j.nat;
  // GrpcPolicyCheck: the gRPC policy (it brings io.grpc) and the in-process transport.
  requires io.github.lb4j.grpc;
  requires io.grpc.inprocess;
  // AdaptersCheck: lb-micrometer (it brings micrometer.core) and lb-discovery.
  requires io.github.lb4j.micrometer;
  requires io.github.lb4j.discovery;
}
