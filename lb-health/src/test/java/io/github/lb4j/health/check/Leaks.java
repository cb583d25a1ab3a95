package io.github.lb4j.health.check;

import java.io.File;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.awaitility.Awaitility;

/** Counts open file descriptors (/proc/self/fd) and lb4j threads, to prove a scenario leaks neither. */
final class Leaks {

  private Leaks() {}

  static int openFds() {
    String[] fds = new File("/proc/self/fd").list();
    return fds == null ? -1 : fds.length;
  }

  static Set<String> lb4jThreads() {
    Set<String> names = new TreeSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().startsWith("lb4j-")) {
        names.add(t.getName());
      }
    }
    return names;
  }

  /** Waits (up to 5 s) until no lb4j thread is alive and at most {@code fds} descriptors are open. */
  static void awaitBaseline(int fds) {
    Awaitility.await("no lb4j thread and at most " + fds + " open fds")
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> lb4jThreads().isEmpty() && openFds() <= fds);
  }
}
