package io.github.lb4j.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.gateway.config.ProxyConfigFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The JIT warm-up of {@code lb proxy}: real traffic through a loopback copy, nothing left behind. */
class JitWarmUpTest {

  private static Set<String> liveThreadNames() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
        .collect(Collectors.toSet());
  }

  private static long openDescriptors() throws java.io.IOException {
    try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }

  private static String descriptorList() throws java.io.IOException {
    try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
      return fds.map(f -> {
        try {
          return f.getFileName() + " -> " + java.nio.file.Files.readSymbolicLink(f);
        } catch (java.io.IOException gone) {
          return f.getFileName() + " (closed)";
        }
      }).collect(Collectors.joining("\n"));
    }
  }

  @Test
  void relaysRealExchanges_throughACopyOfTheConfiguredProxy_andLeavesNoThreadNorDescriptor() throws Exception {
    JitWarmUp.run(List.of(), Duration.ofMillis(200)); // classes loaded (their jars opened) before counting
    Set<String> before = liveThreadNames();
    long descriptors = openDescriptors();
    List<ProxyConfigFile.Entry> entries = List.of(
        ProxyConfigFile.Entry.fromFlag("listen", "127.0.0.1:1", "--listen"),
        ProxyConfigFile.Entry.fromFlag("backend web-1", "127.0.0.1:9", "--backend"),
        ProxyConfigFile.Entry.fromFlag("algorithm", "least-connections", "--algorithm"),
        ProxyConfigFile.Entry.fromFlag("event-loops", "1", "--event-loops"),
        ProxyConfigFile.Entry.fromFlag("check", "tcp", "--check"));

    String line = JitWarmUp.run(entries, Duration.ofSeconds(30));

    // The configured listen address, backends and check are not the copy's: it relayed to its own echo servers.
    assertThat(line).startsWith("JIT warm-up: ").contains("exchanges through a loopback copy");
    long exchanges = Long.parseLong(line.replaceAll("^JIT warm-up: ([0-9,]+) exchanges.*$", "$1").replace(",", ""));
    assertThat(exchanges).isGreaterThanOrEqualTo(JitWarmUp.ENOUGH_EXCHANGES);
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(liveThreadNames())
        .filteredOn(n -> !before.contains(n))
        .noneMatch(n -> n.startsWith("lb-warm-up") || n.startsWith("lb-proxy-") || n.startsWith("lb4j-")));
    // Every socket of the copy, its echo servers and its clients is closed (a margin of 2 for the JDK's own).
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(openDescriptors()).as("open descriptors:%n%s", descriptorList()).isLessThanOrEqualTo(descriptors + 2));
  }

  @Test
  void aListenAddressInUse_skipsTheWarmUp() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      assertThat(JitWarmUp.bindable(List.of(
          ProxyConfigFile.Entry.fromFlag("listen", "127.0.0.1:" + taken.getLocalPort(), "--listen")))).isFalse();
    }
    assertThat(JitWarmUp.bindable(List.of(ProxyConfigFile.Entry.fromFlag("listen", "127.0.0.1:0", "--listen")))).isTrue();
  }

  @Test
  void zero_doesNothing() {
    assertThat(JitWarmUp.run(List.of(), Duration.ZERO)).isEmpty();
  }

  @Test
  void httpMode_refusesTheFlag_inOneLine() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Lb.run(new String[] {"proxy", "--mode", "http", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9",
        "--warm-up", "1s"}, new PrintWriter(out, true), new PrintWriter(err, true));
    assertThat(code).isEqualTo(1);
    assertThat(err.toString().strip()).isEqualTo("lb proxy: --warm-up applies only to the TCP mode");
  }
}
