package io.github.lb4j.health.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.testing.Requirements;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves seed S2.3 on the wire for the unprivileged way of [tcp-half-open]: a capture on loopback
 * shows, for every check, the checker sending SYN then RST and the server SYN/ACK, never an
 * ACK-only segment, data or a FIN from the checker; and the server's accept() never returns.
 * Needs tcpdump and the right to capture; skips with the reason otherwise, and fails instead when
 * LB_REQUIRE_PRIVILEGED=1.
 *
 * <p>The host's loopback is shared with every other process, so the capture keeps only segments
 * between 127.0.0.1 and 127.0.0.1 with the server's port (bound by this test, so no other socket on
 * 127.0.0.1 can use it) or the canary's port; segments are grouped per connection, a new one starting
 * at each SYN, so a client port the kernel reuses within the run cannot merge two checks. A canary
 * connect before the checks proves the capture was live, and one after them, awaited in the file,
 * proves every earlier segment was written before tcpdump is stopped.
 */
class TcpHalfOpenWireTest {

  static final int CHECKS = 50;
  /** How long to wait for tcpdump before calling it hung; never a measure of speed. */
  static final Duration HANG_GUARD = Duration.ofSeconds(30);
  static final Pattern LINE = Pattern.compile(
      "127\\.0\\.0\\.1\\.(\\d+) > 127\\.0\\.0\\.1\\.(\\d+): Flags \\[([^\\]]*)\\].*?length (\\d+)");

  static void connectRefused(InetSocketAddress canary) throws Exception {
    try (SocketChannel probe = SocketChannel.open()) {
      probe.connect(canary);
    } catch (ConnectException expected) {
      // refused, as intended: only its SYN in the capture matters
    }
  }

  static String read(String tcpdump, Path pcap) throws Exception {
    Process read = new ProcessBuilder(tcpdump, "-r", pcap.toString(), "-n", "-tt").redirectErrorStream(true).start();
    String text = new String(read.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    read.waitFor(10, TimeUnit.SECONDS);
    return text;
  }

  static int canarySyns(String text, InetSocketAddress canary) {
    int n = 0;
    String syn = "." + canary.getPort() + ": Flags [S]";
    for (int at = text.indexOf(syn); at >= 0; at = text.indexOf(syn, at + 1)) {
      n++;
    }
    return n;
  }

  @Test
  void halfOpen_serverSeesSynSynAckRst_neverAckOrFin_andNeverAccepts(@TempDir Path dir) throws Exception {
    String tcpdump = Requirements.requireCommand("the half-open wire proof", "tcpdump").toString();
    // The canary port stays bound but not listening: SYNs to it are refused, and the kernel never
    // picks it as the client port of a check.
    try (ServerSocketChannel server = ServerSocketChannel.open(); Socket canaryHolder = new Socket()) {
      canaryHolder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
      server.configureBlocking(false);
      int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
      Path pcap = dir.resolve("half-open.pcap");
      Path err = dir.resolve("tcpdump.err");
      InetSocketAddress canary = new InetSocketAddress(InetAddress.getLoopbackAddress(), canaryHolder.getLocalPort());
      Process capture = new ProcessBuilder(tcpdump, "-i", "lo", "-n", "--immediate-mode", "-U", "-Z", "root", "-s", "128",
          "-w", pcap.toString(),
          "ip src host 127.0.0.1 and ip dst host 127.0.0.1 and (tcp port " + port + " or tcp port " + canary.getPort() + ")")
          .redirectError(err.toFile())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      try {
        await().atMost(HANG_GUARD).until(() -> !capture.isAlive() || Files.readString(err).contains("listening on"));
        if (!capture.isAlive()) {
          Requirements.unavailable("the half-open wire proof cannot capture on lo with tcpdump: " + Files.readString(err).trim());
        }
        // tcpdump reports "listening" slightly before its filter sees packets: knock on the canary
        // port until a knock shows in the capture, which proves the capture live.
        await().atMost(HANG_GUARD).until(() -> {
          connectRefused(canary);
          return canarySyns(read(tcpdump, pcap), canary) >= 1;
        });
        int knocks = canarySyns(read(tcpdump, pcap), canary);
        try (HealthChecker checker = HealthCheckers.create("tcp-half-open", Map.of("way", "unprivileged"))) {
          InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
          for (int i = 0; i < CHECKS; i++) {
            HealthResult r = checker.check(target, Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
            assertThat(r.healthy()).as("%s", r).isTrue();
            assertThat(server.accept()).as("accept() after check %d", i).isNull();
          }
        }
        // For longer than the 200 ms delayed-ACK timer, accept() stays empty: a late ACK would show.
        AtomicBoolean accepted = new AtomicBoolean();
        await().during(Duration.ofMillis(600)).atMost(HANG_GUARD).until(() -> {
          if (server.accept() != null) {
            accepted.set(true);
          }
          return !accepted.get();
        });
        assertThat(accepted).as("accept() after all checks").isFalse();
        // One more knock, awaited in the file, proves every earlier segment was written.
        connectRefused(canary);
        await().atMost(HANG_GUARD).until(() -> canarySyns(read(tcpdump, pcap), canary) > knocks);
      } finally {
        capture.destroy();
        capture.waitFor(5, TimeUnit.SECONDS);
      }
      String text = read(tcpdump, pcap);
      assertThat(canarySyns(text, canary)).as("the canary connects before and after the checks, in the capture:\n%s", text)
          .isGreaterThanOrEqualTo(2);
      List<List<String>> connections = new ArrayList<>();
      Map<Integer, List<String>> byClient = new LinkedHashMap<>();
      for (String line : text.split("\n")) {
        Matcher m = LINE.matcher(line);
        if (!m.find()) {
          continue;
        }
        int src = Integer.parseInt(m.group(1));
        int dst = Integer.parseInt(m.group(2));
        String flags = m.group(3);
        int length = Integer.parseInt(m.group(4));
        if (src == canary.getPort() || dst == canary.getPort()) {
          continue;
        }
        if (dst == port) {
          if (flags.equals("S") || !byClient.containsKey(src)) {
            List<String> c = new ArrayList<>();
            connections.add(c);
            byClient.put(src, c);
          }
          byClient.get(src).add("C:" + flags + (length > 0 ? "+data" : ""));
        } else if (src == port) {
          List<String> c = byClient.get(dst);
          if (c == null) {
            c = new ArrayList<>();
            connections.add(c);
            byClient.put(dst, c);
          }
          c.add("S:" + flags);
        }
      }
      assertThat(connections).as("connections in the capture:\n%s", text).hasSize(CHECKS);
      for (List<String> seq : connections) {
        assertThat(seq.get(0)).as("first segment of %s", seq).isEqualTo("C:S");
        assertThat(seq.get(1)).as("second segment of %s", seq).isEqualTo("S:S.");
        assertThat(seq.get(2)).as("third segment of %s", seq).isIn("C:R", "C:R.");
        assertThat(seq).as("segments of one connection").hasSize(3);
        assertThat(seq).noneMatch(s -> s.equals("C:.") || s.startsWith("C:F") || s.contains("+data"));
      }
    }
  }

}
