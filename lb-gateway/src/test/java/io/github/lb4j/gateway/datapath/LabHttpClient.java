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
    if (args[0].equals("keepalive")) {
      keepAlive(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]));
      return;
    }
    if (args[0].equals("download") || args[0].equals("upload")) {
      transfers(args[0].equals("download"), args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]),
          Integer.parseInt(args[5]));
      return;
    }
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

  /**
   * Opens {@code connections} keep-alive connections and sends {@code count} requests on each, one
   * every {@code intervalMillis}; prints {@code first I SERVER} as soon as connection I has its first
   * answer (a test waits for these), and at the end, per connection, {@code conn I SERVER OK FAILED},
   * where SERVER answered the first request and FAILED counts requests after the connection broke.
   */
  static void keepAlive(String host, int port, int connections, int count, int intervalMillis) throws Exception {
    Thread[] ts = new Thread[connections];
    String[] lines = new String[connections];
    for (int c = 0; c < connections; c++) {
      int index = c;
      ts[c] = new Thread(() -> {
        String first = "none";
        String error = "";
        int ok = 0;
        int failed = 0;
        Socket s = new Socket();
        try {
          s.connect(new InetSocketAddress(host, port), 3000);
          // Generous: a slow shared machine must not pass for a disturbed flow, which never recovers.
          s.setSoTimeout(10_000);
          InputStream in = s.getInputStream();
          OutputStream out = s.getOutputStream();
          for (int i = 0; i < count; i++) {
            try {
              out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
              out.flush();
              String server = parse(readResponse(in));
              if (i == 0) {
                first = server;
                synchronized (System.out) {
                  System.out.println("first " + index + " " + server);
                  System.out.flush();
                }
              }
              if (server.equals(first)) {
                ok++;
              } else {
                failed++;
              }
            } catch (IOException | RuntimeException e) {
              failed += count - i;
              error = " " + e.toString().replace('\n', ' ');
              break;
            }
            Thread.sleep(intervalMillis);
          }
        } catch (IOException e) {
          failed = count;
          error = " " + e.toString().replace('\n', ' ');
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          try {
            s.close();
          } catch (IOException e) {
            // closing a broken connection
          }
        }
        lines[index] = "conn " + index + " " + first + " " + ok + " " + failed + error;
      });
      ts[c].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    synchronized (System.out) {
      for (String l : lines) {
        System.out.println(l);
      }
      System.out.flush();
    }
  }

  /**
   * Makes {@code count} transfers one after the other, each on a new connection to the bulk server
   * ({@link LabHttpServer}): a download of {@code bytes} checked byte for byte against the pattern,
   * or an upload of {@code bytes} whose receipt the server confirms. Prints per transfer {@code
   * transfer I ok SERVER} or {@code transfer I failed REASON}, then {@code ok N} and {@code failed N}.
   */
  static void transfers(boolean download, String host, int port, int bytes, int count, int timeout) {
    int ok = 0;
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < count; i++) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(host, port), timeout);
        s.setSoTimeout(timeout);
        OutputStream out = s.getOutputStream();
        if (download) {
          out.write(("GET /bytes/" + bytes + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        } else {
          out.write(("POST /upload HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: " + bytes + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
          byte[] body = new byte[bytes];
          for (int k = 0; k < bytes; k++) {
            body[k] = LabHttpServer.patternByte(k);
          }
          out.write(body);
        }
        out.flush();
        InputStream in = s.getInputStream();
        String head = LabHttpServer.readHead(in);
        if (!head.startsWith("HTTP/1.1 200 ")) {
          throw new IOException("status " + head.lines().findFirst().orElse(""));
        }
        byte[] body = in.readAllBytes();
        String server;
        if (download) {
          if (body.length != bytes) {
            throw new IOException("got " + body.length + " of " + bytes + " bytes");
          }
          for (int k = 0; k < bytes; k++) {
            if (body[k] != LabHttpServer.patternByte(k)) {
              throw new IOException("byte " + k + " differs");
            }
          }
          int at = head.indexOf("X-Backend: ");
          server = at < 0 ? "?" : head.substring(at + 11, head.indexOf('\r', at));
        } else {
          String text = new String(body, StandardCharsets.US_ASCII).strip();
          if (!text.startsWith("received " + bytes + " bytes by ")) {
            throw new IOException("server says: " + text);
          }
          server = text.substring(text.lastIndexOf(' ') + 1);
        }
        ok++;
        sb.append("transfer ").append(i).append(" ok ").append(server).append('\n');
      } catch (IOException | RuntimeException e) {
        sb.append("transfer ").append(i).append(" failed ").append(e.toString().replace('\n', ' ')).append('\n');
      }
    }
    sb.append("ok ").append(ok).append('\n').append("failed ").append(count - ok).append('\n');
    System.out.print(sb);
    System.out.flush();
  }

  /** Reads one response framed by Content-Length. */
  static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed");
      }
      head.write(b);
      matched = (b == '\r' || b == '\n') && (matched % 2 == 0) == (b == '\r') ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String h = head.toString(StandardCharsets.US_ASCII);
    int at = h.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
    int length = at < 0 ? 0 : Integer.parseInt(h.substring(at + 15, h.indexOf('\r', at)).strip());
    byte[] body = in.readNBytes(length);
    return h + new String(body, StandardCharsets.US_ASCII);
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
