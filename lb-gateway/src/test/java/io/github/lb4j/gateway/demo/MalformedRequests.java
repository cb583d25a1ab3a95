package io.github.lb4j.gateway.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Malformed and hostile HTTP/1.1 requests (RFC 9112), each with the status a server must answer,
 * and a raw client that sends bytes and reads until the server closes. Shared by the server's and
 * the proxy's tests.
 */
public final class MalformedRequests {

  private MalformedRequests() {}

  /** The PROXY protocol v2 signature (12 bytes) and a PROXY TCP4 header for 192.0.2.1:1 -> 192.0.2.2:2. */
  static final byte[] PROXY_V2 = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
    0x21, 0x11, 0x00, 0x0C, (byte) 192, 0, 2, 1, (byte) 192, 0, 2, 2, 0, 1, 0, 2
  };

  /**
   * Returns each malformed request with the status it must get, in a fixed order.
   *
   * @return request text (ISO-8859-1) to status
   */
  public static Map<String, Integer> corpus() {
    Map<String, Integer> c = new LinkedHashMap<>();
    c.put("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 400);
    c.put("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400);
    c.put("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
    c.put("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n", 400);
    c.put("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", 400);
    c.put("GET / HTTP/1.1\r\nHost: a\r\nheader without a colon\r\n\r\n", 400);
    c.put("GET / HTTP/1.1\r\nHost: a\r\nX-Space : before colon\r\n\r\n", 400);
    c.put("GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", 400);
    c.put("GET / HTTP/1.1\r\nHost: a\r\nX-Nul: a\0b\r\n\r\n", 400);
    c.put("GET / HTTP/1.1\r\n\r\n", 400);
    c.put("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    c.put("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400);
    c.put("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400);
    c.put("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
    c.put("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400);
    c.put("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    c.put("GET\r\n\r\n", 400);
    c.put("G\u00c9T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    c.put("GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400);
    c.put("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505);
    c.put("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
    c.put("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400);
    c.put("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    c.put(new String(PROXY_V2, StandardCharsets.ISO_8859_1) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    c.put("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n", 400);
    c.put("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n", 431);
    return c;
  }

  /**
   * Sends bytes and reads everything until the server closes.
   *
   * @param to the server
   * @param request the bytes
   * @return everything received, as ISO-8859-1 text
   * @throws IOException when the connection fails
   */
  public static String exchange(InetSocketAddress to, byte[] request) throws IOException {
    try (Socket s = new Socket()) {
      s.setSoTimeout(30_000);
      s.connect(to, 30_000);
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      int n;
      try {
        while ((n = in.read(buf)) > 0) {
          got.write(buf, 0, n);
        }
      } catch (java.net.SocketException reset) {
        // The server may reset after answering when unread request bytes remain: what it sent counts.
      }
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /**
   * Sends a request given as ISO-8859-1 text.
   *
   * @param to the server
   * @param request the bytes as text
   * @return everything received until the server closed
   * @throws IOException when the connection fails
   */
  public static String exchange(InetSocketAddress to, String request) throws IOException {
    return exchange(to, request.getBytes(StandardCharsets.ISO_8859_1));
  }

}
