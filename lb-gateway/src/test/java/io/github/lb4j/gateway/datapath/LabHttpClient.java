package io.github.lb4j.gateway.datapath;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The lab's client: makes N HTTP requests to one address, each on a new TCP connection (so each is
 * a new flow for the balancer), from a few threads, checks every response (status 200, body {@code
 * hello from NAME}) and prints the count per server. Run inside the client's namespace by {@link
 * Lab}: {@code LabHttpClient HOST PORT REQUESTS THREADS [TIMEOUT_MS]}.
 *
 * <p>Output, one {@code key value} per line: {@code ok N}, {@code failed N}, {@code server NAME N}
 * per server, and up to five {@code error TEXT} lines.
 */
final class LabHttpClient {

  private LabHttpClient() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    int requests = Integer.parseInt(args[2]);
    int threads = Integer.parseInt(args[3]);
    int timeout = args.length > 4 ? Integer.parseInt(args[4]) : 3000;
    AtomicInteger next = new AtomicInteger();
    LongAdder ok = new LongAdder();
    LongAdder failed = new LongAdder();
    Map<String, LongAdder> perServer = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      ts[t] = new Thread(() -> {
        while (next.getAndIncrement() < requests) {
          try {
            String server = get(host, port, timeout);
            perServer.computeIfAbsent(server, k -> new LongAdder()).increment();
            ok.increment();
          } catch (IOException | RuntimeException e) {
            failed.increment();
            if (errors.size() < 5) {
              errors.add(e.toString().replace('\n', ' '));
            }
          }
        }
      });
      ts[t].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    StringBuilder sb = new StringBuilder();
    sb.append("ok ").append(ok.sum()).append('\n');
    sb.append("failed ").append(failed.sum()).append('\n');
    new TreeMap<>(perServer).forEach((k, v) -> sb.append("server ").append(k).append(' ').append(v.sum()).append('\n'));
    errors.forEach(e -> sb.append("error ").append(e).append('\n'));
    System.out.print(sb);
    System.out.flush();
  }

  /** One request on a new connection; returns the server's name or throws naming what was wrong. */
  static String get(String host, int port, int timeout) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), timeout);
      s.setSoTimeout(timeout);
      OutputStream out = s.getOutputStream();
      out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      for (int n; (n = in.read(buf)) > 0; ) {
        all.write(buf, 0, n);
      }
      return parse(all.toString(StandardCharsets.US_ASCII));
    }
  }

  static String parse(String response) {
    if (!response.startsWith("HTTP/1.1 200 ")) {
      throw new IllegalStateException("unexpected status: " + response.lines().findFirst().orElse("(empty response)"));
    }
    int body = response.indexOf("\r\n\r\n");
    String text = body < 0 ? "" : response.substring(body + 4).strip();
    if (!text.startsWith("hello from ")) {
      throw new IllegalStateException("unexpected body: " + text);
    }
    return text.substring("hello from ".length());
  }
}
