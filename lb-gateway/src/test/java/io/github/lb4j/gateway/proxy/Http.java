package io.github.lb4j.gateway.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A real, minimal HTTP/1.1 client for the tests: one request per connection. */
public final class Http {

  private Http() {}

  /** Sends GET / with Connection: close and returns the X-Backend header of a 200 answer. */
  public static String get(InetSocketAddress target) throws IOException {
    try (Socket s = new Socket()) {
      s.setSoTimeout(10_000);
      s.connect(target, 10_000);
      return exchange(s);
    }
  }

  /** Sends one GET on an open socket and returns the X-Backend header of the 200 answer. */
  public static String exchange(Socket s) throws IOException {
    s.getOutputStream().write("GET / HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed after " + head.length() + " bytes: " + head);
      }
      head.append((char) c);
    }
    String h = head.toString();
    if (!h.startsWith("HTTP/1.1 200")) {
      throw new IOException("not 200: " + h);
    }
    int cl = h.indexOf("Content-Length: ");
    int len = Integer.parseInt(h.substring(cl + 16, h.indexOf('\r', cl)));
    byte[] body = in.readNBytes(len);
    if (body.length != len) {
      throw new IOException("short body");
    }
    int x = h.indexOf("X-Backend: ");
    return h.substring(x + 11, h.indexOf('\r', x));
  }
}
