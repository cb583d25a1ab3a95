package io.github.lb4j.gateway.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A slow HTTP backend for drain tests: it reads each request head and holds the answer until the
 * test calls {@link #release()}, so requests stay in flight for as long as the test needs, without
 * any timer. One thread per connection (test code); everything ends with {@link #close()}.
 */
public final class HoldingServer implements AutoCloseable {

  private final ServerSocket server;
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger received = new AtomicInteger();
  private final AtomicInteger answered = new AtomicInteger();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  /**
   * Starts listening on 127.0.0.1 (any free port).
   *
   * @throws IOException when it cannot bind
   */
  public HoldingServer() throws IOException {
    server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::acceptLoop, "holding-server");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        Thread t = new Thread(() -> serve(s), "holding-server-conn");
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
      if (matched < 4) {
        return;
      }
      received.incrementAndGet();
      release.await();
      OutputStream out = s.getOutputStream();
      out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nslow\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      answered.incrementAndGet();
    } catch (IOException | InterruptedException e) {
      // The proxy cut the connection, or the server closed.
    }
  }

  /**
   * Returns the address to give the proxy as a backend.
   *
   * @return 127.0.0.1 and the port
   */
  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
  }

  /**
   * Returns how many request heads have arrived.
   *
   * @return the count
   */
  public int received() {
    return received.get();
  }

  /**
   * Returns how many answers have been written.
   *
   * @return the count
   */
  public int answered() {
    return answered.get();
  }

  /** Lets every held request, and every later one, be answered. */
  public void release() {
    release.countDown();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
