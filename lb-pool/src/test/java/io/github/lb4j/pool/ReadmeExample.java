package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthCheckers;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The example of the root README's "Use it as a library: BackendPool" section, compiled and run by
 * {@link ReadmeExampleTest}, which also checks that the README shows exactly the marked region.
 */
final class ReadmeExample {

  private ReadmeExample() {}

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
}
