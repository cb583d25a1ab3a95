package com.example.embed;

import io.github.lb4j.grpc.Lb4jGrpc;
import io.github.lb4j.grpc.Lb4jLoadBalancerProvider;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * lb-grpc as a user gets it: gRPC's registry finds the {@code lb4j} policy (through {@code provides}
 * on the module path, {@code META-INF/services} on the class path), a channel selects it by its
 * service config, and a call goes through it (in-process transport: what is checked here is
 * packaging, not the network).
 */
public final class GrpcPolicyCheck {

  private GrpcPolicyCheck() {}

  public static void main(String[] args) throws Exception {
    LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry().getProvider(Lb4jGrpc.POLICY_NAME);
    if (!(provider instanceof Lb4jLoadBalancerProvider)) {
      throw new IllegalStateException("gRPC's registry has no lb4j policy: " + provider);
    }
    System.out.println("lb4j policy found in " + describe(provider.getClass().getModule()));

    MethodDescriptor.Marshaller<byte[]> bytes = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("check.Echo/Call")
        .setRequestMarshaller(bytes)
        .setResponseMarshaller(bytes)
        .build();
    ServerCallHandler<byte[], byte[]> echo = (call, headers) -> {
      call.request(1);
      return new ServerCall.Listener<byte[]>() {
        @Override
        public void onMessage(byte[] message) {
          call.sendHeaders(new Metadata());
          call.sendMessage(message);
          call.close(Status.OK, new Metadata());
        }
      };
    };
    Server server = InProcessServerBuilder.forName("lb4j-consumer-check")
        .addService(ServerServiceDefinition.builder("check.Echo").addMethod(method, echo).build())
        .build()
        .start();
    Map<String, ?> lb4j = Map.of("scheduler", "least-request");
    ManagedChannel channel = InProcessChannelBuilder.forName("lb4j-consumer-check")
        .defaultServiceConfig(Map.of("loadBalancingConfig", List.of(Map.of("lb4j", lb4j))))
        .intercept(Lb4jGrpc.retryExclusion())
        .build();
    try {
      CompletableFuture<Status> done = new CompletableFuture<>();
      ClientCall<byte[], byte[]> call = channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
      call.start(new ClientCall.Listener<byte[]>() {
        @Override
        public void onClose(Status status, Metadata trailers) {
          done.complete(status);
        }
      }, new Metadata());
      call.request(1);
      call.sendMessage(new byte[] {1});
      call.halfClose();
      Status status = done.get(20, TimeUnit.SECONDS);
      if (!status.isOk()) {
        throw new IllegalStateException("the call through the lb4j policy failed: " + status);
      }
      System.out.println("lb4j gRPC policy: ok");
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static String describe(Module m) {
    return m.isNamed() ? "module " + m.getName() : "the class path";
  }
}
