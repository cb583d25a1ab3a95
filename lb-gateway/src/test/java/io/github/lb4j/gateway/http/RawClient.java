package io.github.lb4j.gateway.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A client that sends exact bytes and parses responses itself, so that malformed requests reach the
 * proxy unaltered and what the proxy answers is seen byte for byte. A read that waits more than a
 * minute fails the test instead of hanging the build.
 */
final class RawClient implements AutoCloseable {

  /** One response. */
  record Response(int status, String head, String body) {
    String header(String name) {
      for (String line : head.split("\r\n")) {
        int c = line.indexOf(':');
        if (c > 0 && line.substring(0, c).equalsIgnoreCase(name)) {
          return line.substring(c + 1).strip();
        }
      }
      return null;
    }
  }

  final Socket socket;
  private final InputStream in;

  RawClient(InetSocketAddress proxy) throws IOException {
    socket = new Socket(proxy.getAddress(), proxy.getPort());
    socket.setSoTimeout(60_000);
    in = socket.getInputStream();
  }

  RawClient send(String raw) throws IOException {
    socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
    return this;
  }

  /** Reads one response to a request of the given method. */
  Response read(String method) throws IOException {
    String head = RawBackend.readHead(in);
    if (head == null) {
      throw new IOException("connection closed before a response");
    }
    int status = Integer.parseInt(head.substring(9, 12));
    if (status < 200) {
      return new Response(status, head, "");
    }
    String lower = head.toLowerCase(Locale.ROOT);
    byte[] body;
    if (method.equals("HEAD") || status == 204 || status == 304) {
      body = new byte[0];
    } else if (lower.contains("\r\ntransfer-encoding: chunked") || lower.contains("\r\ncontent-length:")) {
      body = RawBackend.readBody(in, head);
    } else {
      body = in.readAllBytes();
    }
    return new Response(status, head, new String(body, StandardCharsets.ISO_8859_1));
  }

  Response read() throws IOException {
    return read("GET");
  }

  /** Whether the proxy closed the connection: the next read sees the end of the stream. */
  boolean closedByPeer() throws IOException {
    try {
      return in.read() < 0;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  static Response exchange(InetSocketAddress proxy, String raw) throws IOException {
    try (RawClient c = new RawClient(proxy)) {
      return c.send(raw).read();
    }
  }


  @Override
  public void close() throws IOException {
    socket.close();
  }

  static String drain(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    in.transferTo(b);
    return b.toString(StandardCharsets.ISO_8859_1);
  }
}
