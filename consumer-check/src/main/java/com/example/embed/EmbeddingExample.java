package com.example.embed;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.ImmutableFlowKey;
import io.github.lb4j.api.Protocol;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.api.SessionCounters;
import io.github.lb4j.health.HealthMonitor;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A least-connections scheduler kept up to date by TCP health checks of three loopback backends. */
public final class EmbeddingExample {

  public static void main(String[] args) throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (ServerSocket web1 = new ServerSocket(0, 50, loopback);
         ServerSocket web2 = new ServerSocket(0, 50, loopback)) {
      List<Backend> backends = List.of(
          Backend.of("web-1", loopback, web1.getLocalPort()),
          Backend.of("web-2", loopback, web2.getLocalPort()),
          Backend.of("web-3", loopback, portWithNoListener(loopback)));   // refused: goes DOWN

      SessionCounters sessions = SessionCounters.create();                  // live load, survives updates
      Scheduler scheduler = Schedulers.create("least-connections",
          SchedulerConfig.builder().sessions(sessions).seed(42).build());

      // Control plane: the monitor calls the listener on its one thread, in transition order, so the
      // listener may publish the healthy set with update(). `up` is touched on that thread only.
      Map<String, Backend> up = new TreeMap<>();
      CountDownLatch decided = new CountDownLatch(backends.size());
      try (HealthChecker tcp = HealthCheckers.create("tcp", Map.of());
           HealthMonitor monitor = HealthMonitor.builder(tcp)
               .interval(Duration.ofMillis(500)).timeout(Duration.ofSeconds(1)).rise(1).fall(1)
               .listener((backend, from, to, cause) -> {
                 System.out.println(backend.id() + ": " + from + " -> " + to + " (" + cause + ")");
                 if (to == HealthState.UP) {
                   up.put(backend.id(), backend);
                 } else {
                   up.remove(backend.id());
                 }
                 scheduler.update(List.copyOf(up.values()));
                 if (from == HealthState.UNKNOWN) {
                   decided.countDown();
                 }
               })
               .build()) {
        backends.forEach(monitor::add);
        if (!decided.await(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("health not decided: " + monitor.states());
        }

        // Data plane: any thread, no allocation; whoever forwards the traffic reports the sessions.
        FlowKey flow = ImmutableFlowKey.of(Protocol.TCP, loopback, 40000, loopback, 80);
        Backend first = Objects.requireNonNull(scheduler.select(flow), "no healthy backend");
        sessions.of(first).sessionOpened();
        Backend second = Objects.requireNonNull(scheduler.select(flow), "no healthy backend");
        System.out.println("picked " + first.id() + ", then " + second.id() + " while " + first.id()
            + " holds a session");
        if (first.equals(second) || second.id().equals("web-3") || first.id().equals("web-3")) {
          throw new IllegalStateException("least-connections should spread over the healthy backends "
              + monitor.states() + ", picked " + first.id() + " then " + second.id());
        }
        sessions.of(first).sessionClosed(true);
      }
    }
    System.out.println("lb4j embedding example: ok");
  }

  private static int portWithNoListener(InetAddress address) throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, address)) {
      return s.getLocalPort();
    }
  }
}
