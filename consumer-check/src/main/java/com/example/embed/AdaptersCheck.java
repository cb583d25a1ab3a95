package com.example.embed;

import io.github.lb4j.discovery.Discovery;
import io.github.lb4j.discovery.DnsMembership;
import io.github.lb4j.micrometer.PoolMetrics;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.MembershipSource;
import io.github.lb4j.pool.Transition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * lb-discovery and lb-micrometer as a user adds them: a pool whose backends come from a watched
 * file (Discovery.parse, as {@code lb proxy --discover} uses it), its meters in a Micrometer
 * registry, a DNS SRV source built (not started: no DNS server is needed). Prints "lb4j adapters:
 * ok" when the file's change reached the pool and the meters.
 */
public final class AdaptersCheck {

  private AdaptersCheck() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("lb4j-adapters");
    Path file = dir.resolve("backends.txt");
    Files.writeString(file, "web-1 192.0.2.10:8080 weight=3\nweb-2 192.0.2.11:8080\n");
    CountDownLatch joined = new CountDownLatch(1);
    PoolMetrics metrics = PoolMetrics.create("checkout");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MembershipSource source = Discovery.parse("file:" + file);
    try (BackendPool pool = BackendPool.builder().listener(metrics)
        .listener(t -> {
          if (t.cause() == Transition.Cause.ADDED && t.backendId().equals("web-3")) {
            joined.countDown();
          }
        })
        .membership(source).build()) {
      metrics.observe(pool).bindTo(registry);
      check(pool.backends().size() == 2, "the file's two backends are in the pool: " + pool.backends());
      check(registry.get("lb.backend.weight").tag("backend", "web-1").gauge().value() == 3, "web-1's weight gauge is 3");

      Path tmp = dir.resolve("backends.tmp");
      Files.writeString(tmp, "web-1 192.0.2.10:8080 weight=3\nweb-2 192.0.2.11:8080\nweb-3 192.0.2.12:8080\n");
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      check(joined.await(60, TimeUnit.SECONDS), "the file's change reached the pool");
      check(registry.get("lb.backend.serving").tag("backend", "web-3").gauge().value() == 1, "web-3 has its meters");
      check(registry.get("lb.pool.transitions").tag("cause", "added").functionCounter().count() == 3,
          "three ADDED transitions counted");
    }
    try (DnsMembership srv = (DnsMembership) Discovery.parse("srv:_http._tcp.example.test")) {
      check(srv.status().lookups() == 0, "a DNS source looks up nothing until a pool starts it");
    }
    System.out.println("lb4j adapters: ok");
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError("failed: " + what);
    }
    System.out.println("lb4j adapters: " + what);
  }
}
