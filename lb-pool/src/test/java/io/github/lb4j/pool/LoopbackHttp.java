package io.github.lb4j.pool;

import com.sun.net.httpserver.HttpServer;
import io.github.lb4j.api.Backend;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP/1.1 server on 127.0.0.1 (the JDK's {@code com.sun.net.httpserver}): {@code /health}
 * answers the status set by the test, every other path answers {@code 200 hello from NAME} unless
 * the test makes the server fail requests with 503.
 */
final class LoopbackHttp implements AutoCloseable {

  final String name;
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicInteger healthStatus = new AtomicInteger(200);
  private final AtomicInteger requestStatus = new AtomicInteger(200);
  final AtomicLong healthChecks = new AtomicLong();
  final AtomicLong requests = new AtomicLong();

  LoopbackHttp(String name) throws IOException {
    this.name = name;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    this.executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "test-http-" + name);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/health", ex -> {
      healthChecks.incrementAndGet();
      answer(ex, healthStatus.get(), name + " health");
    });
    server.createContext("/", ex -> {
      requests.incrementAndGet();
      int status = requestStatus.get();
      answer(ex, status, status == 200 ? "hello from " + name : "failing " + name);
    });
    server.start();
  }

  private static void answer(com.sun.net.httpserver.HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getRequestBody().readAllBytes();
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  Backend backend() {
    return Backend.of(name, InetAddress.getLoopbackAddress(), port());
  }

  void healthStatus(int status) {
    healthStatus.set(status);
  }

  void requestStatus(int status) {
    requestStatus.set(status);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
