package io.github.lb4j.gateway.proxy;

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
 * A real DNS server for the discovery tests: dnsmasq (Debian package dnsmasq-base) on 127.0.0.1 and
 * a free port, answering {@code example.test} from its configuration only (no upstream, no
 * /etc/hosts). dnsmasq reads SRV records only at start, so records change by restarting it on the
 * same port: the gap is a real outage. Without dnsmasq the test skips with the reason, and fails
 * when {@code LB_REQUIRE_PRIVILEGED=1}.
 */
public final class Dnsmasq implements AutoCloseable {

  private final Path exe;
  private final Path dir;
  private final int port;
  private Process process;

  private Dnsmasq(Path exe, Path dir, int port) {
    this.exe = exe;
    this.dir = dir;
    this.port = port;
  }

  /** Starts dnsmasq with these configuration lines ({@code srv-host=...}, {@code host-record=...}). */
  public static Dnsmasq start(Path dir, int ttlSeconds, List<String> records) throws IOException {
    Path exe = Requirements.requireCommand("the DNS discovery tests", "dnsmasq");
    for (int attempt = 1; ; attempt++) {
      Dnsmasq d = new Dnsmasq(exe, dir, freePort());
      try {
        d.restart(ttlSeconds, records);
        return d;
      } catch (IllegalStateException e) {
        // Another process took the port between the probe and dnsmasq's bind: try another one.
        if (attempt == 5 || !String.valueOf(e.getMessage()).contains("Address already in use")) {
          throw e;
        }
      }
    }
  }

  /**
   * A port free for both UDP and TCP on 127.0.0.1, below the kernel's ephemeral range (32768 and
   * up by default), so that the outgoing connections of other tests do not take it while dnsmasq
   * restarts on it.
   */
  private static int freePort() throws IOException {
    java.util.Random random = new java.util.Random();
    InetAddress lo = InetAddress.getLoopbackAddress();
    for (int i = 0; i < 1000; i++) {
      int port = 20_000 + random.nextInt(12_000);
      try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(lo, port));
          java.net.ServerSocket tcp = new java.net.ServerSocket(port, 1, lo)) {
        return port;
      } catch (IOException taken) {
        // in use: draw another
      }
    }
    throw new IOException("no free port for dnsmasq in 20000..31999");
  }

  /** The SRV line of a backend on 127.0.0.1 ({@code web.example.test}). */
  public static String srv(InetSocketAddress backend, int weight) {
    return "srv-host=_http._tcp.example.test,web.example.test," + backend.getPort() + ",0," + weight;
  }

  /** The A record the SRV lines of {@link #srv} point to. */
  public static final String WEB_A = "host-record=web.example.test,127.0.0.1";

  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /** Stops the server (if running) and starts it again with these records, on the same port. */
  public void restart(int ttlSeconds, List<String> records) throws IOException {
    stop();
    Path conf = dir.resolve("dnsmasq-" + port + ".conf");
    StringBuilder sb = new StringBuilder();
    sb.append("no-resolv\nno-hosts\nno-poll\nbind-interfaces\nlisten-address=127.0.0.1\nlocal=/example.test/\n");
    sb.append("port=").append(port).append('\n');
    sb.append("local-ttl=").append(ttlSeconds).append('\n');
    records.forEach(r -> sb.append(r).append('\n'));
    Files.writeString(conf, sb.toString(), StandardCharsets.UTF_8);
    Path log = dir.resolve("dnsmasq-" + port + ".log");
    process = new ProcessBuilder(exe.toString(), "--keep-in-foreground", "--conf-file=" + conf, "--pid-file=",
        "--user=" + System.getProperty("user.name"), "--log-facility=-", "--log-queries")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    Process p = process;
    // dnsmasq answers on TCP as well as UDP: a TCP connect tells that it is up.
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

  /**
   * Sends SIGHUP: dnsmasq re-reads its {@code addn-hosts} files (A and AAAA records) without a
   * restart, so the records change with no outage.
   */
  public void reload() throws IOException, InterruptedException {
    Process p = process;
    if (p == null) {
      throw new IllegalStateException("dnsmasq is not running");
    }
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IOException("kill -HUP " + p.pid() + " failed");
    }
  }

  /** Stops the server: queries find nothing listening. */
  public void stop() {
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
