package io.github.lb4j.gateway.http;

import io.github.lb4j.api.Backend;
import io.github.lb4j.pool.BackendPool;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Backends, a pool over them and a started proxy, closed together. */
final class Fixture implements AutoCloseable {

  final List<RawBackend> backends;
  final BackendPool pool;
  final HttpProxy proxy;

  Fixture(List<RawBackend> backends, Consumer<BackendPool.Builder> poolSettings, Consumer<HttpProxy.Builder> settings)
      throws IOException {
    this.backends = backends;
    List<Backend> list = new ArrayList<>();
    for (RawBackend b : backends) {
      list.add(Backend.of(b.name, b.address()));
    }
    BackendPool.Builder pb = BackendPool.builder().backends(list);
    poolSettings.accept(pb);
    this.pool = pb.build();
    HttpProxy.Builder hb = HttpProxy.builder(pool).closePool(true)
        .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    settings.accept(hb);
    this.proxy = hb.build();
    proxy.start();
  }

  static Fixture of(RawBackend... backends) throws IOException {
    return new Fixture(List.of(backends), p -> {}, h -> {});
  }

  InetSocketAddress address() {
    return proxy.listenAddresses().get(0);
  }

  RawClient client() throws IOException {
    return new RawClient(address());
  }

  int received() {
    return backends.stream().mapToInt(b -> b.received.size()).sum();
  }

  @Override
  public void close() throws IOException {
    proxy.close();
    for (RawBackend b : backends) {
      b.close();
    }
  }
}
