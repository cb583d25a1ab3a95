package io.github.lb4j.gateway.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A backend on loopback that records each request exactly as it arrived (head and body bytes) and
 * answers with whatever its script returns: a well-formed response, garbage, nothing (close), or
 * silence (hang). Reads request bodies by Content-Length or chunked framing, as a strict origin
 * server would.
 */
final class RawBackend implements AutoCloseable {

  /** One request as received. */
  record Received(int connection, String head, byte[] body) {
    String bodyText() {
      return new String(body, StandardCharsets.ISO_8859_1);
    }

    /** The value of the first header of that name, or null. */
    String header(String name) {
      for (String line : head.split("\r\n")) {
        int c = line.indexOf(':');
        if (c > 0 && line.substring(0, c).equalsIgnoreCase(name)) {
          return line.substring(c + 1).strip();
        }
      }
      return null;
    }

    String requestLine() {
      return head.substring(0, head.indexOf("\r\n"));
    }
  }

  /** What to do with a request. */
  interface Script extends Function<Received, Reply> {}

  /** A reply: bytes to send, then close or keep the connection; or hang without answering. */
  record Reply(byte[] bytes, boolean close, boolean hang) {
    static Reply ok(String body) {
      return of("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
    }

    static Reply status(int status) {
      return of("HTTP/1.1 " + status + " X\r\nContent-Length: 0\r\n\r\n");
    }

    static Reply of(String raw) {
      return new Reply(raw.getBytes(StandardCharsets.ISO_8859_1), false, false);
    }

    static Reply closing(String raw) {
      return new Reply(raw.getBytes(StandardCharsets.ISO_8859_1), true, false);
    }

    static Reply silence() {
      return new Reply(new byte[0], false, true);
    }
  }

  final String name;
  private final ServerSocket server;
  private volatile Script script;
  final List<Received> received = new CopyOnWriteArrayList<>();
  final AtomicInteger connections = new AtomicInteger();
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  RawBackend(String name, Script script) throws IOException {
    this.name = name;
    this.script = script;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(this::acceptLoop);
  }

  /** A backend that answers 200 with its name as the body. */
  static RawBackend named(String name) throws IOException {
    return new RawBackend(name, r -> Reply.ok(name));
  }

  void script(Script s) {
    this.script = s;
  }

  InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Closes every open connection without a word (as a backend's idle timeout does). */
  void closeConnections() throws IOException {
    for (Socket s : open) {
      s.close();
    }
    open.clear();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        int id = connections.incrementAndGet();
        open.add(s);
        Thread.ofVirtual().start(() -> serve(s, id));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s, int id) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      while (true) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        byte[] body = readBody(in, head);
        Received r = new Received(id, head, body);
        received.add(r);
        Reply reply = script.apply(r);
        if (reply.hang()) {
          in.read();
          return;
        }
        out.write(reply.bytes());
        out.flush();
        if (reply.close()) {
          return;
        }
      }
    } catch (IOException e) {
      // the proxy closed the connection
    }
  }

  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        return null;
      }
      b.write(c);
      state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : c == '\r' ? 1 : 0;
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  static byte[] readBody(InputStream in, String head) throws IOException {
    String lower = head.toLowerCase(Locale.ROOT);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    if (lower.contains("\r\ntransfer-encoding: chunked")) {
      while (true) {
        String line = readLine(in);
        int size = Integer.parseInt(line.split(";")[0].strip(), 16);
        if (size == 0) {
          while (!readLine(in).isEmpty()) {
            // trailers
          }
          return b.toByteArray();
        }
        b.write(in.readNBytes(size));
        readLine(in);
      }
    }
    int i = lower.indexOf("\r\ncontent-length:");
    if (i >= 0) {
      int e = lower.indexOf("\r\n", i + 2);
      int n = Integer.parseInt(lower.substring(i + 17, e).strip());
      return in.readNBytes(n);
    }
    return new byte[0];
  }

  static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  @Override
  public void close() throws IOException {
    server.close();
    closeConnections();
  }
}
