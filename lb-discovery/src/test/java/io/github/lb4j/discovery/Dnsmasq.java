package io.github.lb4j.discovery;

import static org.awaitility.Awaitility.await;

import io.github.lb4j.testing.Requirements;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real DNS server for the tests: dnsmasq on 127.0.0.1 and a free port, answering only from its
 * configuration (no upstream, no /etc/hosts). Records change by restarting it with new lines on
 * the same port, since dnsmasq reads SRV records only at start; the gap is a real outage.
 */
final class Dnsmasq implements AutoCloseable {

  private final Path dnsmasq;
  private final Path dir;
  private final int port;
  private Process process;

  private Dnsmasq(Path dnsmasq, Path dir, int port) {
    this.dnsmasq = dnsmasq;
    this.dir = dir;
    this.port = port;
  }

  /**
   * Starts dnsmasq with these configuration lines (for example {@code srv-host=...},
   * {@code host-record=...}) and a local TTL.
   */
  static Dnsmasq start(Path dir, int ttlSeconds, List<String> records) throws IOException {
    Path exe = Requirements.requireCommand("the DNS discovery tests", "dnsmasq");
    int port;
    try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    Dnsmasq d = new Dnsmasq(exe, dir, port);
    d.restart(ttlSeconds, records);
    return d;
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /** Stops the server (if running) and starts it again with these records. */
  void restart(int ttlSeconds, List<String> records) throws IOException {
    stop();
    Path conf = dir.resolve("dnsmasq-" + port + ".conf");
    StringBuilder sb = new StringBuilder();
    // local=: example.test is this server's own zone, answered as an authority would (NXDOMAIN for
    // an unknown name, an empty answer for a missing type); other names are refused (no upstream).
    sb.append("no-resolv\nno-hosts\nno-poll\nbind-interfaces\nlisten-address=127.0.0.1\nlocal=/example.test/\n");
    sb.append("port=").append(port).append('\n');
    sb.append("local-ttl=").append(ttlSeconds).append('\n');
    records.forEach(r -> sb.append(r).append('\n'));
    Files.writeString(conf, sb.toString(), StandardCharsets.UTF_8);
    Path log = dir.resolve("dnsmasq-" + port + ".log");
    process = new ProcessBuilder(dnsmasq.toString(), "--keep-in-foreground", "--conf-file=" + conf, "--pid-file=",
        "--user=" + System.getProperty("user.name"), "--log-facility=-", "--log-queries")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    Process p = process;
    // dnsmasq listens on TCP as well as UDP: a TCP connect tells that it is up.
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      if (!p.isAlive()) {
        throw new IllegalStateException("dnsmasq exited with " + p.exitValue() + ": " + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(address(), 200);
        return true;
      } catch (IOException e) {
        return false;
      }
    });
  }

  /** Stops the server: queries then time out (nothing listens on the port). */
  void stop() {
    Process p = process;
    if (p != null) {
      p.destroy();
      try {
        p.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  @Override
  public void close() {
    stop();
  }
}
