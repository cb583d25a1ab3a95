package io.github.lb4j.gateway.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Steady HTTP traffic through the proxy: a few threads, each opening a new connection per request
 * ({@code Connection: close}), so that every request is a new flow the scheduler places. Counts
 * answers per backend (read from the {@code X-Backend} header) and remembers when each failure
 * happened.
 *
 * <p>Start and stop from one thread; the counters may be read from any thread.
 */
public final class DemoClient implements AutoCloseable {

  private final InetSocketAddress target;
  private final int ratePerSecond;
  private final int threads;
  private final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
  private final LongAdder ok = new LongAdder();
  private final List<Long> failureTimes = new ArrayList<>();
  private final List<String> failureReasons = new ArrayList<>();
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean running;

  /**
   * Creates a stopped client.
   *
   * @param target the proxy
   * @param ratePerSecond requests per second in all, 1 or more
   * @param threads worker threads, 1 or more
   */
  public DemoClient(InetSocketAddress target, int ratePerSecond, int threads) {
    this.target = target;
    this.ratePerSecond = Math.max(1, ratePerSecond);
    this.threads = Math.max(1, threads);
  }

  /** Starts the workers. */
  public void start() {
    running = true;
    long periodNanos = 1_000_000_000L * threads / ratePerSecond;
    for (int i = 0; i < threads; i++) {
      long offset = periodNanos * i / threads;
      Thread t = new Thread(() -> work(periodNanos, offset), "demo-client-" + i);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
  }

  private void work(long periodNanos, long offset) {
    long next = System.nanoTime() + offset;
    byte[] request = ("GET / HTTP/1.1\r\nHost: " + target.getHostString() + "\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] buf = new byte[4096];
    while (running) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
        continue;
      }
      next += periodNanos;
      if (System.nanoTime() - next > 1_000_000_000L) {
        next = System.nanoTime();
      }
      once(request, buf);
    }
  }

  private void once(byte[] request, byte[] buf) {
    try (Socket s = new Socket()) {
      s.setSoTimeout(3000);
      s.connect(target, 3000);
      OutputStream out = s.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = s.getInputStream();
      int len = 0;
      int n;
      while (len < buf.length && (n = in.read(buf, len, buf.length - len)) > 0) {
        len += n;
      }
      String text = new String(buf, 0, len, StandardCharsets.ISO_8859_1);
      if (!text.startsWith("HTTP/1.1 200")) {
        fail(len == 0 ? "connection closed without an answer" : "answer " + text.lines().findFirst().orElse(""));
        return;
      }
      int h = text.indexOf("X-Backend: ");
      String backend = h < 0 ? "?" : text.substring(h + 11, text.indexOf('\r', h));
      answers.computeIfAbsent(backend, k -> new LongAdder()).increment();
      ok.increment();
    } catch (IOException e) {
      if (running) {
        fail(e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
  }

  private synchronized void fail(String reason) {
    failureTimes.add(System.nanoTime());
    failureReasons.add(reason);
  }

  /**
   * Returns the successful requests so far.
   *
   * @return the count
   */
  public long ok() {
    return ok.sum();
  }

  /**
   * Returns the successful requests answered by one backend so far.
   *
   * @param backend the backend's name
   * @return the count
   */
  public long answeredBy(String backend) {
    LongAdder a = answers.get(backend);
    return a == null ? 0 : a.sum();
  }

  /**
   * Returns the failed requests so far.
   *
   * @return the count
   */
  public synchronized int failures() {
    return failureTimes.size();
  }

  /**
   * Returns the failed requests that started at or after a time.
   *
   * @param sinceNanos a {@link System#nanoTime()} value
   * @return the count
   */
  public synchronized int failuresSince(long sinceNanos) {
    int n = 0;
    for (long t : failureTimes) {
      if (t - sinceNanos >= 0) {
        n++;
      }
    }
    return n;
  }

  /**
   * Returns the reason of the last failure, empty when none.
   *
   * @return the reason
   */
  public synchronized String lastFailure() {
    return failureReasons.isEmpty() ? "" : failureReasons.get(failureReasons.size() - 1);
  }

  @Override
  public void close() {
    running = false;
    for (Thread t : workers) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
