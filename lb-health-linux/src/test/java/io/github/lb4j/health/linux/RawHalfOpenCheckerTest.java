package io.github.lb4j.health.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.NamespaceLab;
import io.github.lb4j.testing.Requirements;
import io.github.lb4j.testing.Shell;
import io.github.lb4j.testing.linux.NetworkNamespace;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** [tcp-half-open] way=raw (S2.3) against real listeners on loopback, with the wire proof. */
class RawHalfOpenCheckerTest {

  private static HealthChecker halfOpen() {
    Requirements.requireCapabilities("tcp-half-open way=raw", Capability.NET_RAW);
    return HealthCheckers.create("tcp-half-open", Map.of("way", "raw"));
  }

  private static void assertNeverAccepted(ServerSocket server) throws Exception {
    server.setSoTimeout(300);
    assertThatThrownBy(server::accept).as("accept() never returns").isInstanceOf(SocketTimeoutException.class);
  }

  @Test
  void openPort_isHealthy_andTheServerNeverAccepts() throws Exception {
    try (HealthChecker c = halfOpen();
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      assertThat(c).as("lb-health delegates way=raw to lb-health-linux").isInstanceOf(SocketChecker.class);
      assertThat(c.name()).isEqualTo("tcp-half-open");
      HealthResult r = c.check(new InetSocketAddress("127.0.0.1", server.getLocalPort()), Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
      assertThat(r.healthy()).as(r.toString()).isTrue();
      assertThat(r.detail()).isEqualTo("SYN/ACK from 127.0.0.1:" + server.getLocalPort() + ", answered with RST");
      assertNeverAccepted(server);
    }
  }

  @Test
  void openPort_overIpv6_isHealthy() throws Exception {
    Requirements.requireIpv6("::1");
    try (HealthChecker c = halfOpen();
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("::1"))) {
      HealthResult r = c.check(new InetSocketAddress("::1", server.getLocalPort()), Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
      assertThat(r.healthy()).as(r.toString()).isTrue();
      assertNeverAccepted(server);
    }
  }

  @Test
  void closedPort_isRefused() throws Exception {
    // Bound but not listening: the kernel answers a SYN with RST, and no other socket (nor an
    // ephemeral port the kernel picks) can take the port while the test runs.
    try (Socket closed = new Socket(); HealthChecker c = halfOpen()) {
      closed.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = closed.getLocalPort();
      HealthResult r = c.check(new InetSocketAddress("127.0.0.1", port), Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
      assertThat(r.reason()).as(r.toString()).isEqualTo(HealthReason.REFUSED);
      assertThat(r.detail()).isEqualTo("RST from 127.0.0.1:" + port);
    }
  }

  @Test
  void aRoundOfManyPorts_isMatchedPortByPort() throws Exception {
    List<ServerSocket> open = new ArrayList<>();
    try (HealthChecker c = halfOpen()) {
      for (int i = 0; i < 50; i++) {
        open.add(new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1")));
      }
      List<java.util.concurrent.CompletableFuture<HealthResult>> round = new ArrayList<>();
      for (ServerSocket s : open) {
        round.add(c.check(new InetSocketAddress("127.0.0.1", s.getLocalPort()), Duration.ofSeconds(3)));
      }
      for (int i = 0; i < round.size(); i++) {
        HealthResult r = round.get(i).get(10, TimeUnit.SECONDS);
        assertThat(r.detail()).as(r.toString()).isEqualTo("SYN/ACK from 127.0.0.1:" + open.get(i).getLocalPort() + ", answered with RST");
      }
    } finally {
      for (ServerSocket s : open) {
        s.close();
      }
    }
  }

  /**
   * The capture runs on the loopback of a private namespace: on the host's loopback, other processes
   * connecting to whatever port is free would appear in the capture too.
   */
  @Test
  void onTheWire_theServerSeesSynSynAckRst_andNeverAnAckOrFinFromTheChecker() throws Exception {
    Requirements.requireCommands("the half-open wire proof", "tcpdump", "tshark");
    Requirements.requireCapabilities("the half-open wire proof", Capability.NET_RAW);
    Path pcap = Files.createTempFile("lb4j-half-open", ".pcap");
    try (NamespaceLab lab = NamespaceLab.create("w")) {
      HealthChecker c;
      ServerSocket server;
      try (NetworkNamespace ns = NetworkNamespace.enter(lab.client)) {
        c = HealthCheckers.create("tcp-half-open", Map.of("way", "raw"));
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
      }
      try (c; server) {
        int port = server.getLocalPort();
        Process tcpdump = new ProcessBuilder("ip", "netns", "exec", lab.client, "tcpdump", "-i", "lo", "-nn",
            "--immediate-mode", "-U", "-w", pcap.toString(), "tcp port " + port).redirectErrorStream(true).start();
        try {
          BufferedReader log = new BufferedReader(new InputStreamReader(tcpdump.getInputStream(), StandardCharsets.UTF_8));
          String line;
          while ((line = log.readLine()) != null && !line.contains("listening on")) {
            // tcpdump prints "listening on lo" once the capture is armed.
          }
          assertThat(line).as("tcpdump started").isNotNull();
          HealthResult r = c.check(new InetSocketAddress("127.0.0.1", port), Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
          assertThat(r.healthy()).as(r.toString()).isTrue();
          assertNeverAccepted(server);
          // SYN, SYN/ACK and at least one RST written (tcpdump -U flushes each packet) before it stops.
          await().atMost(Duration.ofSeconds(30)).until(() -> Shell.attempt("tcpdump", "-r", pcap.toString(), "-nn")
              .output().lines().filter(l -> l.contains(" IP ")).count() >= 3);
        } finally {
          tcpdump.destroy();
          tcpdump.waitFor(5, TimeUnit.SECONDS);
        }
        String fields = Shell.run("tshark", "-Q", "-r", pcap.toString(), "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-E", "separator=,",
            "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.flags.syn", "-e", "tcp.flags.ack",
            "-e", "tcp.flags.reset", "-e", "tcp.flags.fin", "-e", "tcp.len", "-e", "tcp.checksum.status");
        System.out.println("half-open capture (srcport,dstport,syn,ack,rst,fin,len,checksum status):\n" + fields);
        List<String> fromChecker = new ArrayList<>();
        List<String> synChecksums = new ArrayList<>();
        List<String> fromServer = new ArrayList<>();
        for (String row : fields.strip().split("\n")) {
          String[] f = row.trim().split(",");
          if (f.length < 7 || !f[0].matches("\\d+")) {
            continue;
          }
          String flags = (on(f[2]) ? "S" : "") + (on(f[3]) ? "A" : "") + (on(f[4]) ? "R" : "") + (on(f[5]) ? "F" : "")
              + (Integer.parseInt(f[6]) > 0 ? "D" : "");
          (Integer.parseInt(f[1]) == port ? fromChecker : fromServer).add(flags);
          if (flags.equals("S") && f.length > 7) {
            synChecksums.add(f[7]);
          }
        }
        // The SYN's checksum is lb4j's own (lb-nat's Checksums over the pseudo-header): tshark's 1 is "good".
        assertThat(synChecksums).as("tcp.checksum.status of the SYN: " + fields).containsExactly("1");
        assertThat(fromChecker).as("checker -> server: " + fields).first().isEqualTo("S");
        assertThat(fromChecker.subList(1, fromChecker.size())).as("then only RSTs: " + fields).isNotEmpty().allMatch("R"::equals);
        assertThat(fromServer).as("server -> checker: " + fields).containsExactly("SA");
      }
    } finally {
      Files.deleteIfExists(pcap);
    }
  }

  private static boolean on(String tsharkFlag) {
    return tsharkFlag.equals("1") || tsharkFlag.equalsIgnoreCase("true");
  }

  @Test
  void aTargetWithoutPort_isRejected() throws Exception {
    try (HealthChecker c = halfOpen()) {
      assertThatThrownBy(() -> c.check(new InetSocketAddress("127.0.0.1", 0), Duration.ofSeconds(1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
    }
  }
}
