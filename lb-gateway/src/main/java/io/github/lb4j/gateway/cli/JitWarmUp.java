package io.github.lb4j.gateway.cli;

import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.gateway.config.ProxyConfigFile;
import io.github.lb4j.gateway.proxy.ProxyServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Warms the JIT up before {@code lb proxy} listens: a copy of the configured proxy (same algorithm
 * and options, event loops, buffer size and timeouts; no health check, no PROXY header) relays
 * traffic on loopback between clients and echo backends of its own until {@link #ENOUGH_EXCHANGES}
 * exchanges or the given time, whichever comes first, then is closed with everything it started. The relay's hot code (event loop, reads and writes, the pool's
 * pick and lease, accept and connect, close) is compiled by C2 before the first user's connection
 * arrives, so that users do not see the first seconds' latency of a cold JVM. The profiles it leaves
 * are those of real socket I/O through the same classes; a JDK 25 AOT cache (the launcher's) only
 * shortens class loading and profiling, it holds no compiled code.
 *
 * <p>Half of the warm-up connections carry one exchange each (the new-connection path), the other
 * half fifty (the keep-alive path). A failure of the warm-up (no loopback, no free port) is reported
 * and the proxy starts cold. Called once, on the command's thread; blocks for the duration;
 * allocates freely; leaves no thread behind.
 */
final class JitWarmUp {

  /** Keys of the configuration that shape the relay's code paths and are carried into the copy. */
  private static final List<String> CARRIED = List.of("algorithm", "seed", "event-loops", "buffer-size",
      "connect-timeout", "connect-attempts", "idle-timeout", "no-backend");

  /**
   * Exchanges after which the warm-up ends before its time is up: each exchange runs the relay's
   * read and write handlers several times, so this passes C2's invocation thresholds (Tier4 at
   * 5,000 to 15,000) by a wide margin; compilations still queued finish while the proxy starts.
   */
  static final long ENOUGH_EXCHANGES = 20_000;

  private static final int MESSAGE = 128;
  private static final int CLIENTS = 8;
  private static final int LONG_CONNECTION = 50;

  private JitWarmUp() {}

  /**
   * Runs the warm-up.
   *
   * @param entries the proxy's configuration
   * @param duration the most time traffic flows (it stops sooner after {@link #ENOUGH_EXCHANGES});
   *     zero or negative does nothing
   * @return one line for the user saying what was done (or why it was skipped)
   */
  static String run(List<ProxyConfigFile.Entry> entries, Duration duration) {
    if (duration.isZero() || duration.isNegative()) {
      return "";
    }
    long started = System.nanoTime();
    List<ProxyConfigFile.Entry> copy = new ArrayList<>();
    for (ProxyConfigFile.Entry e : entries) {
      String key = e.key().toLowerCase(Locale.ROOT);
      if (CARRIED.contains(key) || key.startsWith("algorithm.")) {
        copy.add(e);
      }
    }
    InetAddress loopback = InetAddress.getLoopbackAddress();
    AtomicLong exchanges = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    List<ServerSocket> echoes = new ArrayList<>();
    ExecutorService handlers = Executors.newFixedThreadPool(2 * CLIENTS, r -> {
      Thread t = new Thread(r, "lb-warm-up-echo");
      t.setDaemon(true);
      return t;
    });
    ProxyServer proxy = null;
    try {
      for (int i = 1; i <= 2; i++) {
        ServerSocket echo = new ServerSocket(0, 64, loopback);
        echoes.add(echo);
        threads.add(start("lb-warm-up-accept-" + i, () -> acceptLoop(echo, handlers)));
        copy.add(ProxyConfigFile.Entry.fromFlag("backend warm-up-" + i,
            Endpoints.format(new InetSocketAddress(loopback, echo.getLocalPort())), "--warm-up"));
      }
      copy.add(ProxyConfigFile.Entry.fromFlag("listen", Endpoints.format(new InetSocketAddress(loopback, 0)), "--warm-up"));
      proxy = ProxyConfigFile.apply(copy, ProxyServer.builder()).logLifecycle(false).build();
      proxy.start();
      InetSocketAddress target = proxy.listenAddresses().get(0);
      long deadline = started + duration.toNanos();
      List<Thread> drivers = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        int exchangesPerConnection = c % 2 == 0 ? 1 : LONG_CONNECTION;
        drivers.add(start("lb-warm-up-client-" + c, () -> drive(target, exchangesPerConnection, deadline, exchanges)));
      }
      for (Thread d : drivers) {
        d.join();
      }
      return String.format(Locale.ROOT, "JIT warm-up: %,d exchanges through a loopback copy of this proxy in %.1fs",
          exchanges.get(), (System.nanoTime() - started) / 1e9);
    } catch (IOException | RuntimeException e) {
      return "JIT warm-up skipped (" + e + "); starting cold";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "JIT warm-up interrupted; starting cold";
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      for (ServerSocket s : echoes) {
        closeQuietly(s);
      }
      // Each handler ends when its client closes; the interrupt is for one that still waits in read.
      handlers.shutdownNow();
      try {
        for (Thread t : threads) {
          t.join(2_000);
        }
        handlers.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Tells whether every configured listen address can be bound now (bound and released at once), so
   * that a start bound to fail (a port in use, an address not on this host) is not delayed by a
   * warm-up first.
   *
   * @param entries the proxy's configuration
   * @return false when one cannot
   */
  static boolean bindable(List<ProxyConfigFile.Entry> entries) {
    for (ProxyConfigFile.Entry e : entries) {
      if (!e.key().equalsIgnoreCase("listen")) {
        continue;
      }
      for (String part : e.value().split(",")) {
        if (part.isBlank()) {
          continue;
        }
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
          probe.setOption(StandardSocketOptions.SO_REUSEADDR, true);
          probe.bind(Endpoints.parse(e.name(), part));
        } catch (IOException | IllegalArgumentException cannot) {
          return false;
        }
      }
    }
    return true;
  }

  private static Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Accepts until the socket is closed; each connection echoes on a thread of {@code handlers}
   * (platform threads: virtual ones would leave the JDK's I/O pollers open in a process that
   * otherwise needs none).
   */
  private static void acceptLoop(ServerSocket server, ExecutorService handlers) {
    try {
      while (!server.isClosed()) {
        Socket s = server.accept();
        try {
          handlers.execute(() -> echo(s));
        } catch (RejectedExecutionException over) {
          closeQuietly(s);
        }
      }
    } catch (IOException closed) {
      // the warm-up is over
    }
  }

  private static void echo(Socket s) {
    byte[] buf = new byte[MESSAGE * 4];
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
      }
    } catch (IOException ignored) {
      // a client gone or the warm-up ending
    }
  }

  /** Sends a message and reads its echo, {@code perConnection} times a connection, until the deadline. */
  private static void drive(InetSocketAddress target, int perConnection, long deadline, AtomicLong exchanges) {
    byte[] message = new byte[MESSAGE];
    byte[] reply = new byte[MESSAGE];
    int failuresInARow = 0;
    // A proxy that refuses every connection has nothing to warm; stop rather than spin.
    while (System.nanoTime() - deadline < 0 && failuresInARow < 100 && exchanges.get() < ENOUGH_EXCHANGES) {
      try (Socket s = new Socket()) {
        s.setTcpNoDelay(true);
        s.setSoTimeout(1_000);
        s.connect(target, 1_000);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        for (int i = 0; i < perConnection && System.nanoTime() - deadline < 0; i++) {
          out.write(message);
          int got = 0;
          while (got < MESSAGE) {
            int n = in.read(reply, got, MESSAGE - got);
            if (n < 0) {
              throw new SocketException("closed by the proxy");
            }
            got += n;
          }
          exchanges.incrementAndGet();
        }
        failuresInARow = 0;
      } catch (IOException e) {
        failuresInARow++;
        // A refused or cut connection is part of what the relay handles; carry on until the deadline.
      }
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing on the way out
    }
  }
}
