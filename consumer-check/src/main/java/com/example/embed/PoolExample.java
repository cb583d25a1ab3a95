package com.example.embed;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.Lease;
import io.github.lb4j.pool.Outcome;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The BackendPool example of the root README ("Use it as a library: BackendPool"), the code a client
 * SDK copies: a pool over a static list of replicas with HTTP health checks and outlier detection,
 * a lease picked and completed around each real HTTP request, a retry that excludes the replicas
 * tried, and close. {@code consumer-check/run} checks that the README shows exactly the marked
 * region, then runs {@link #main} against three HTTP servers on loopback: one answers 503 to
 * requests (retried elsewhere until outlier detection ejects it), one then fails its health checks
 * (taken out after three), and after close no lb4j thread is left.
 */
public final class PoolExample {

  private PoolExample() {}

  // README-BEGIN
  /** A client of a replicated HTTP service: one pool for its lifetime, one lease per attempt. */
  static final class GreetingClient implements AutoCloseable {
    private final BackendPool pool;
    private final HttpClient http = HttpClient.newHttpClient();

    GreetingClient(List<Backend> replicas) {
      pool = BackendPool.builder()
          .scheduler("maglev")                                       // a user sticks to one replica
          .backends(replicas)                                        // or .membership(source) for discovery
          .healthCheck(HealthCheckers.create("http", Map.of("path", "/health")),
              monitor -> monitor.interval(Duration.ofSeconds(1)).rise(2).fall(3))
          .outlierDetection(detector -> detector.consecutiveFailures(5))
          .build();
    }

    String greet(String user) throws IOException, InterruptedException {
      long key = user.hashCode();
      List<Backend> tried = new ArrayList<>();
      for (int attempt = 0; attempt < 3; attempt++) {
        Lease lease = tried.isEmpty() ? pool.pick(key) : pool.pick(key, tried);  // never a tried replica
        if (!lease.isGranted()) {
          throw new IOException("no replica: " + lease.status());  // NO_BACKEND, ALL_EXCLUDED, LIMIT, BUDGET, ...
        }
        Backend replica = lease.backend();
        long start = System.nanoTime();
        try {
          HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri(replica, user)).build(),
              HttpResponse.BodyHandlers.ofString());
          boolean served = response.statusCode() < 500;
          lease.complete(served ? Outcome.SUCCESS : Outcome.FAILURE, System.nanoTime() - start);
          if (served) {
            return response.body();
          }
        } catch (IOException e) {
          lease.complete(Outcome.FAILURE, System.nanoTime() - start);  // feeds outlier detection
        }
        tried.add(replica);
      }
      throw new IOException("no replica answered; tried " + tried);
    }

    private static URI uri(Backend replica, String user) {
      try {
        return new URI("http", null, replica.address().getHostAddress(), replica.port(), "/hello", "user=" + user, null);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(e);
      }
    }

    BackendPool pool() {
      return pool;  // states, stats and administration (drain, weights) for the application
    }

    @Override
    public void close() {
      pool.close();  // stops the checks and their threads; leases in flight may still complete
    }
  }
  // README-END

  public static void main(String[] args) throws Exception {
    try (Replica a = new Replica("a");
        Replica b = new Replica("b");
        Replica c = new Replica("c")) {
      GreetingClient client = new GreetingClient(List.of(a.backend(), b.backend(), c.backend()));
      try (client) {
        b.requestStatus.set(503);
        Set<String> answers = new TreeSet<>();
        for (int user = 0; user < 60; user++) {
          answers.add(client.greet("user-" + user));
        }
        check(answers.equals(Set.of("hello from a", "hello from c")), "answers came from " + answers);
        BackendPool pool = client.pool();
        check(pool.backend("b").ejected(), "b answered 503 " + b.requests.get() + " times and was not ejected");
        System.out.println("pool example: 60 users answered by a and c; b failed " + b.requests.get()
            + " requests, each retried on another replica, and was ejected; retries granted: " + pool.stats().retries());

        c.healthStatus.set(503);
        await(() -> pool.backend("c").checked() == HealthState.DOWN, "c to fail three health checks");
        long cBefore = c.requests.get();
        for (int user = 0; user < 30; user++) {
          String answer = client.greet("user-" + user);
          check(answer.equals("hello from a"), "with b ejected and c down, user-" + user + " got '" + answer + "'");
        }
        check(c.requests.get() == cBefore, "c took requests after its health checks failed");
        check(pool.stats().activeRequests() == 0, "requests left in flight: " + pool.stats());
        System.out.println("pool example: c failed its health checks (fall 3) and took no request after; "
            + "nothing in flight");
      }
      await(() -> Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("lb4j")),
          "the pool's threads to end after close");
    }
    System.out.println("lb4j pool example: ok");
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }

  /** Waits for a condition for up to 30 s, looking every 20 ms (a program, not a test: no awaitility). */
  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("waited 30 s for " + what);
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  /** A replica on loopback: {@code /health} and {@code /hello} answer the statuses set here. */
  private static final class Replica implements AutoCloseable {
    final String name;
    final HttpServer server;
    final ExecutorService executor = Executors.newFixedThreadPool(2);
    final AtomicInteger healthStatus = new AtomicInteger(200);
    final AtomicInteger requestStatus = new AtomicInteger(200);
    final AtomicLong requests = new AtomicLong();

    Replica(String name) throws IOException {
      this.name = name;
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      server.setExecutor(executor);
      server.createContext("/health", ex -> answer(ex, healthStatus.get(), name + " health"));
      server.createContext("/hello", ex -> {
        requests.incrementAndGet();
        int status = requestStatus.get();
        answer(ex, status, status == 200 ? "hello from " + name : "failing " + name);
      });
      server.start();
    }

    Backend backend() {
      return Backend.of(name, InetAddress.getLoopbackAddress(), server.getAddress().getPort());
    }

    private static void answer(HttpExchange ex, int status, String body) throws IOException {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getRequestBody().readAllBytes();
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }

    @Override
    public void close() {
      server.stop(0);
      executor.shutdownNow();
    }
  }
}
