package io.github.lb4j.gateway.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A slow HTTP backend: it answers each request {@code delayMillis} after its head arrived (the
 * server paces itself; the tests wait on answers, never on time), with {@code X-Backend: NAME} and
 * {@code Connection: close}. One thread per connection (test code).
 */
final class SlowServer implements AutoCloseable {

  private final ServerSocket server;
  private final String name;
  private final long delayMillis;
  private final AtomicInteger answered = new AtomicInteger();

  SlowServer(String name, long delayMillis) throws IOException {
    this.name = name;
    this.delayMillis = delayMillis;
    this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "slow-server");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread t = new Thread(() -> serve(s), "slow-server-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      int matched = 0;
      int c;
      while (matched < 4 && (c = in.read()) >= 0) {
        matched = c == "\r\n\r\n".charAt(matched) ? matched + 1 : (c == '\r' ? 1 : 0);
      }
      Thread.sleep(delayMillis);
      OutputStream out = s.getOutputStream();
      out.write(("HTTP/1.1 200 OK\r\nX-Backend: " + name + "\r\nContent-Length: 5\r\nConnection: close\r\n\r\nslow\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      answered.incrementAndGet();
    } catch (IOException | InterruptedException e) {
      // The client or the proxy went away.
    }
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
  }

  String name() {
    return name;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
