package io.github.lb4j.grpc;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real gRPC server on loopback (Netty) with one generic unary method, {@code lb4j.test.Echo/Call}:
 * bytes in, the server's name out. No protoc: the method uses a byte-array marshaller. Each server
 * records every call it received (the request body and the attempt number gRPC's retries send in
 * {@code grpc-previous-rpc-attempts}) and can be told to fail every n-th call with UNAVAILABLE.
 */
final class EchoServer implements AutoCloseable {

  static final MethodDescriptor<byte[], byte[]> METHOD = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName("lb4j.test.Echo", "Call"))
      .setRequestMarshaller(Bytes.INSTANCE)
      .setResponseMarshaller(Bytes.INSTANCE)
      .build();

  private static final Metadata.Key<String> ATTEMPTS =
      Metadata.Key.of("grpc-previous-rpc-attempts", Metadata.ASCII_STRING_MARSHALLER);

  /** One call as the server saw it. */
  record Received(String server, String body, int previousAttempts) {}

  final String name;
  final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger count = new AtomicInteger();
  /** Fail every n-th call (1: all, 2: half); 0: never. */
  volatile int failEvery;
  private final Server server;
  private final InetSocketAddress address;

  EchoServer(String name) throws IOException {
    this(name, 0);
  }

  EchoServer(String name, int port) throws IOException {
    this.name = name;
    ServerCallHandler<byte[], byte[]> handler = (call, headers) -> {
      call.request(1);
      String attempts = headers.get(ATTEMPTS);
      return new ServerCall.Listener<>() {
        private byte[] request = new byte[0];

        @Override
        public void onMessage(byte[] message) {
          request = message;
        }

        @Override
        public void onHalfClose() {
          received.add(new Received(name, new String(request, StandardCharsets.UTF_8),
              attempts == null ? 0 : Integer.parseInt(attempts)));
          int n = count.incrementAndGet();
          int every = failEvery;
          if (every > 0 && n % every == 0) {
            call.close(Status.UNAVAILABLE.withDescription(name + " fails call " + n), new Metadata());
            return;
          }
          call.sendHeaders(new Metadata());
          call.sendMessage(name.getBytes(StandardCharsets.UTF_8));
          call.close(Status.OK, new Metadata());
        }
      };
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
        .addService(ServerServiceDefinition.builder("lb4j.test.Echo").addMethod(METHOD, handler).build())
        .build()
        .start();
    address = (InetSocketAddress) server.getListenSockets().get(0);
  }

  InetSocketAddress address() {
    return address;
  }

  int calls() {
    return received.size();
  }

  /** Stops listening and closes every connection now, as a crashed server would. */
  void stop() {
    server.shutdownNow();
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  @Override
  public String toString() {
    return name + "@" + address();
  }

  /** The identity marshaller. */
  enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

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
  }
}
