package io.github.lb4j.grpc;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import io.grpc.internal.JsonParser;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Servers on loopback and channels to them through a name resolver the test controls: the addresses
 * it resolves to can be changed while the channels run, as DNS would change them.
 */
final class Lab implements AutoCloseable {

  private static final AtomicInteger SCHEMES = new AtomicInteger();

  final List<EchoServer> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final String scheme = "lb4jlab" + SCHEMES.incrementAndGet();
  private final Resolver.Provider provider = new Resolver.Provider(scheme);
  private volatile List<EquivalentAddressGroup> addresses = List.of();
  private final Map<String, Integer> weights = new LinkedHashMap<>();

  /** One answer of a call. */
  record Reply(Status status, @Nullable String server) {
    boolean ok() {
      return status.isOk();
    }
  }

  Lab(int servers) throws IOException {
    for (int i = 0; i < servers; i++) {
      this.servers.add(new EchoServer("s" + i));
    }
    NameResolverRegistry.getDefaultRegistry().register(provider);
    publish();
  }

  EchoServer server(int i) {
    return servers.get(i);
  }

  /** Sets a server's weight attribute ({@link Lb4jGrpc#WEIGHT}) for the next resolution. */
  void weight(int server, int weight) {
    weights.put(servers.get(server).name, weight);
    publish();
  }

  /** Resolves to the servers now in {@link #servers}. */
  void publish() {
    List<EquivalentAddressGroup> out = new ArrayList<>();
    for (EchoServer s : servers) {
      Integer w = weights.get(s.name);
      Attributes a = w == null ? Attributes.EMPTY : Attributes.newBuilder().set(Lb4jGrpc.WEIGHT, w).build();
      out.add(new EquivalentAddressGroup(List.<SocketAddress>of(s.address()), a));
    }
    addresses = List.copyOf(out);
    provider.push(addresses);
  }

  /** Makes the resolver answer with this service config (as a DNS TXT record would carry it) from now on. */
  @SuppressWarnings("unchecked")
  void resolveServiceConfig(String json) throws IOException {
    provider.serviceConfig = (Map<String, ?>) JsonParser.parse(json);
    publish();
  }

  /** What the channel answered to the last resolution it took, or null before the first. */
  @Nullable Status lastResolutionStatus() {
    return provider.lastStatus;
  }

  /** A channel whose default service config is {@code serviceConfigJson}. */
  ManagedChannel channel(String serviceConfigJson) throws IOException {
    return channel(serviceConfigJson, UnaryOperator.identity());
  }

  @SuppressWarnings("unchecked")
  ManagedChannel channel(String serviceConfigJson, UnaryOperator<NettyChannelBuilder> custom) throws IOException {
    Map<String, ?> config = (Map<String, ?>) JsonParser.parse(serviceConfigJson);
    NettyChannelBuilder b = NettyChannelBuilder.forTarget(scheme + ":///servers")
        .usePlaintext()
        .defaultServiceConfig(config);
    ManagedChannel ch = custom.apply(b).build();
    channels.add(ch);
    return ch;
  }

  /** One unary call; completes with the status and the name of the server that answered. */
  static CompletableFuture<Reply> call(io.grpc.Channel channel, String body, Metadata headers) {
    CompletableFuture<Reply> done = new CompletableFuture<>();
    ClientCall<byte[], byte[]> call = channel.newCall(EchoServer.METHOD,
        CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
    call.start(new ClientCall.Listener<>() {
      private @Nullable String server;

      @Override
      public void onMessage(byte[] message) {
        server = new String(message, StandardCharsets.UTF_8);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        done.complete(new Reply(status, server));
      }
    }, headers);
    call.request(1);
    call.sendMessage(body.getBytes(StandardCharsets.UTF_8));
    call.halfClose();
    return done;
  }

  static Reply callAndWait(io.grpc.Channel channel, String body) {
    return call(channel, body, new Metadata()).join();
  }

  static Reply callAndWait(io.grpc.Channel channel, String body, Metadata headers) {
    return call(channel, body, headers).join();
  }

  /** Calls {@code n} times, one after the other, and counts the answers per server ("error" for failures). */
  static Map<String, Integer> shares(io.grpc.Channel channel, int n) {
    Map<String, Integer> out = new java.util.TreeMap<>();
    for (int i = 0; i < n; i++) {
      Reply r = callAndWait(channel, "call-" + i);
      out.merge(r.ok() ? r.server() : "error " + r.status().getCode(), 1, Integer::sum);
    }
    return out;
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (ManagedChannel c : channels) {
      try {
        c.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    NameResolverRegistry.getDefaultRegistry().deregister(provider);
    for (EchoServer s : servers) {
      s.close();
    }
  }

  /** A name resolver whose answer the test sets; every resolver of the scheme gets each new answer. */
  static final class Resolver extends NameResolver {
    private final Provider provider;
    private final SynchronizationContext sync;
    private final NameResolver.Args args;
    private @Nullable Listener2 listener;

    Resolver(Provider provider, NameResolver.Args args) {
      this.provider = provider;
      this.sync = args.getSynchronizationContext();
      this.args = args;
    }

    @Override
    public String getServiceAuthority() {
      return "servers";
    }

    @Override
    public void start(Listener2 listener) {
      this.listener = listener;
      provider.resolvers.add(this);
      push(provider.current);
    }

    void push(List<EquivalentAddressGroup> addresses) {
      sync.execute(() -> {
        Listener2 l = listener;
        if (l != null) {
          ResolutionResult.Builder r = ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(addresses));
          Map<String, ?> config = provider.serviceConfig;
          if (config != null) {
            r.setServiceConfig(args.getServiceConfigParser().parseServiceConfig(config));
          }
          provider.lastStatus = l.onResult2(r.build());
        }
      });
    }

    @Override
    public void shutdown() {
      listener = null;
      provider.resolvers.remove(this);
    }

    static final class Provider extends NameResolverProvider {
      private final String scheme;
      final List<Resolver> resolvers = new java.util.concurrent.CopyOnWriteArrayList<>();
      volatile List<EquivalentAddressGroup> current = List.of();
      volatile @Nullable Map<String, ?> serviceConfig;
      /** What the channel answered to the last resolution (the policy's acceptResolvedAddresses status). */
      volatile @Nullable Status lastStatus;

      Provider(String scheme) {
        this.scheme = scheme;
      }

      void push(List<EquivalentAddressGroup> addresses) {
        current = addresses;
        for (Resolver r : resolvers) {
          r.push(addresses);
        }
      }

      @Override
      public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
        return scheme.equals(targetUri.getScheme()) ? new Resolver(this, args) : null;
      }

      @Override
      protected boolean isAvailable() {
        return true;
      }

      @Override
      protected int priority() {
        // Below dns (5): never the default scheme of another channel.
        return 3;
      }

      @Override
      public String getDefaultScheme() {
        return scheme;
      }
    }
  }
}
