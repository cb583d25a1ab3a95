package io.github.lb4j.gateway.datapath;

import io.github.lb4j.gateway.demo.HttpBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * A real server of the lab: {@code lb serve}'s HTTP server under the server's own name, so each
 * answer says which server made it ({@code hello from s2}), and on the next port a bulk server for
 * transfers that need full-size segments: {@code GET /bytes/N} answers N bytes of a fixed pattern
 * ({@link #patternByte}), {@code POST} answers {@code received N bytes by NAME} once it has read the
 * whole body. Run inside a server's namespace by {@link Lab}: {@code LabHttpServer NAME ADDRESS
 * PORT}; stops on SIGTERM.
 */
final class LabHttpServer {

  private LabHttpServer() {}

  /** The byte at position {@code i} of every download. */
  static byte patternByte(long i) {
    return (byte) (i * 31 + (i >>> 8) * 7 + 11);
  }

  public static void main(String[] args) throws Exception {
    InetAddress address = InetAddress.getByName(args[1]);
    int port = Integer.parseInt(args[2]);
    HttpBackend server = new HttpBackend(args[0], new InetSocketAddress(address, port));
    server.start();
    ServerSocket bulk = new ServerSocket();
    bulk.bind(new InetSocketAddress(address, port + 1), 64);
    Thread acceptor = new Thread(() -> accept(args[0], bulk), "bulk-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop();
      try {
        bulk.close();
      } catch (IOException e) {
        // stopping anyway
      }
      stop.countDown();
    }));
    System.out.println("listening " + args[0]);
    System.out.flush();
    stop.await();
  }

  private static void accept(String name, ServerSocket bulk) {
    while (!bulk.isClosed()) {
      try {
        Socket s = bulk.accept();
        Thread t = new Thread(() -> serve(name, s), "bulk");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void serve(String name, Socket s) {
    try (s) {
      s.setSoTimeout(30_000);
      InputStream in = s.getInputStream();
      String head = readHead(in);
      String lower = head.toLowerCase(Locale.ROOT);
      String[] line = head.split(" ", 3);
      OutputStream out = s.getOutputStream();
      if (line[0].equals("POST")) {
        int at = lower.indexOf("content-length:");
        long length = at < 0 ? 0 : Long.parseLong(lower.substring(at + 15, lower.indexOf('\r', at)).strip());
        long read = 0;
        byte[] buf = new byte[16384];
        while (read < length) {
          int k = in.read(buf, 0, (int) Math.min(buf.length, length - read));
          if (k < 0) {
            break;
          }
          read += k;
        }
        String body = "received " + read + " bytes by " + name + "\n";
        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body)
            .getBytes(StandardCharsets.US_ASCII));
      } else if (line.length > 1 && line[1].startsWith("/bytes/")) {
        int n = Integer.parseInt(line[1].substring(7));
        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + n + "\r\nX-Backend: " + name + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        byte[] chunk = new byte[16384];
        for (int sent = 0; sent < n; ) {
          int k = Math.min(chunk.length, n - sent);
          for (int i = 0; i < k; i++) {
            chunk[i] = patternByte(sent + i);
          }
          out.write(chunk, 0, k);
          sent += k;
        }
      } else {
        out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.flush();
    } catch (IOException | RuntimeException e) {
      // a broken transfer shows at the client
    }
  }

  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed in the header");
      }
      head.write(b);
      last = last << 8 | b;
      if (last == 0x0D0A0D0A) {
        return head.toString(StandardCharsets.US_ASCII);
      }
    }
  }
}
