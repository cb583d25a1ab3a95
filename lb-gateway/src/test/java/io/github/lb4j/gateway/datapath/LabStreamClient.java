package io.github.lb4j.gateway.datapath;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The scale-out lab's client: N long-lived TCP connections to the VIP, each exchanging a line with
 * its server every INTERVAL milliseconds, and a prober that opens a new connection every 25 ms
 * (300 ms to connect and answer), so that the test can tell which connections survive a balancer
 * failure and when new connections succeed again. Run in the client's namespace: {@code
 * LabStreamClient HOST PORT CONNECTIONS INTERVAL_MS}.
 *
 * <p>Commands on standard input, one answer line each: {@code progress} ({@code progress CONNECTED
 * FAILED MIN_EXCHANGES}: connections up, connections failed, the fewest exchanges of a live
 * connection), {@code mark NAME} (remembers the instant), {@code probes NAME} (about the probes
 * since the mark: {@code probes NAME total T failed F recovered_ms R}, R the time from the mark to
 * the end of its last failed probe, 0 when none failed), {@code stop} (closes every connection and
 * answers {@code result CONNECTIONS SURVIVED FAILED MAX_GAP_MS} and one {@code server NAME N} and
 * {@code failure TEXT} line per server and failed connection, then {@code end}).
 */
final class LabStreamClient {

  private static final int PROBE_EVERY_MS = 25;
  private static final int PROBE_TIMEOUT_MS = 300;

  /** One long-lived connection's state, written by its thread, read by the command loop. */
  static final class Stream {
    volatile String server = "";
    volatile boolean connected;
    volatile boolean done;
    volatile String failure = "";
    final AtomicLong exchanges = new AtomicLong();
    volatile long maxGapNanos;
  }

  record Probe(long start, long end, boolean ok) {}

  private LabStreamClient() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int n = Integer.parseInt(args[2]);
    long interval = Long.parseLong(args[3]);
    List<Stream> streams = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<Probe> probes = new CopyOnWriteArrayList<>();
    Map<String, Long> marks = new ConcurrentHashMap<>();
    for (int i = 0; i < n; i++) {
      Stream s = new Stream();
      streams.add(s);
      threads.add(Thread.ofVirtual().start(() -> run(s, host, port, interval)));
    }
    Thread prober = Thread.ofPlatform().daemon().start(() -> probe(host, port, probes));
    PrintStream out = System.out;
    out.println("started " + n);
    out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    for (String line; (line = in.readLine()) != null; ) {
      String[] w = line.trim().split(" ");
      switch (w[0]) {
        case "progress" -> {
          long connected = streams.stream().filter(s -> s.connected && s.failure.isEmpty()).count();
          long failed = streams.stream().filter(s -> !s.failure.isEmpty()).count();
          long min = streams.stream().filter(s -> s.failure.isEmpty()).mapToLong(s -> s.exchanges.get()).min().orElse(0);
          out.println("progress " + connected + " " + failed + " " + min);
        }
        case "mark" -> {
          marks.put(w[1], System.nanoTime());
          out.println("marked " + w[1]);
        }
        case "probes" -> {
          long mark = marks.getOrDefault(w[1], Long.MAX_VALUE);
          long total = 0;
          long failed = 0;
          long lastFailureEnd = mark;
          for (Probe p : probes) {
            if (p.start() >= mark) {
              total++;
              if (!p.ok()) {
                failed++;
                lastFailureEnd = Math.max(lastFailureEnd, p.end());
              }
            }
          }
          out.println("probes " + w[1] + " total " + total + " failed " + failed + " recovered_ms "
              + TimeUnit.NANOSECONDS.toMillis(lastFailureEnd - mark));
        }
        case "stop" -> {
          prober.interrupt();
          for (Stream s : streams) {
            s.done = true;
          }
          for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
          }
          long survived = streams.stream().filter(s -> s.failure.isEmpty() && s.connected).count();
          long maxGap = streams.stream().filter(s -> s.failure.isEmpty()).mapToLong(s -> s.maxGapNanos).max().orElse(0);
          out.println("result " + n + " " + survived + " " + (n - survived) + " " + TimeUnit.NANOSECONDS.toMillis(maxGap));
          Map<String, Long> per = new TreeMap<>();
          for (Stream s : streams) {
            per.merge(s.server.isEmpty() ? "none" : s.server, 1L, Long::sum);
          }
          per.forEach((k, v) -> out.println("server " + k + " " + v));
          for (Stream s : streams) {
            if (!s.failure.isEmpty()) {
              out.println("failure " + s.server + " " + s.failure);
            }
          }
          out.println("end");
          out.flush();
          return;
        }
        default -> out.println("unknown " + line);
      }
      out.flush();
    }
  }

  private static void run(Stream s, String host, int port, long interval) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 10_000);
      // a failover stalls a connection for a few retransmission timeouts; a dead one stays silent
      socket.setSoTimeout(30_000);
      socket.setTcpNoDelay(true);
      s.connected = true;
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = socket.getOutputStream();
      long last = System.nanoTime();
      for (long seq = 0; !s.done; seq++) {
        out.write(("ping " + seq + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String reply = in.readLine();
        if (reply == null) {
          s.failure = "closed by the peer after " + seq + " exchanges";
          return;
        }
        String[] f = reply.split(" ");
        if (f.length != 3 || !f[2].equals(Long.toString(seq))) {
          s.failure = "wrong answer '" + reply + "' to ping " + seq;
          return;
        }
        if (s.server.isEmpty()) {
          s.server = f[0];
        } else if (!s.server.equals(f[0])) {
          s.failure = "answered by " + f[0] + " after " + s.server;
          return;
        }
        long now = System.nanoTime();
        s.maxGapNanos = Math.max(s.maxGapNanos, now - last);
        last = now;
        s.exchanges.incrementAndGet();
        Thread.sleep(interval);
      }
    } catch (IOException e) {
      s.failure = e.getClass().getSimpleName() + ": " + e.getMessage() + " after " + s.exchanges.get() + " exchanges";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void probe(String host, int port, List<Probe> probes) {
    while (!Thread.currentThread().isInterrupted()) {
      long start = System.nanoTime();
      boolean ok = false;
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), PROBE_TIMEOUT_MS);
        socket.setSoTimeout(PROBE_TIMEOUT_MS);
        socket.getOutputStream().write("probe\n".getBytes(StandardCharsets.US_ASCII));
        String reply = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        ok = reply != null && reply.endsWith(" probe");
      } catch (IOException e) {
        ok = false;
      }
      probes.add(new Probe(start, System.nanoTime(), ok));
      try {
        Thread.sleep(PROBE_EVERY_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
