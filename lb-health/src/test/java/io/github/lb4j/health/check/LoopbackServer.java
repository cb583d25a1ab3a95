package io.github.lb4j.health.check;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ServerSocketFactory;

/**
 * A real TCP server on 127.0.0.1 for checker tests, one behaviour per instance: hang after accept,
 * reset after accept, or answer each request with a handler. Its threads and sockets end with
 * {@link #close()}.
 */
final class LoopbackServer implements AutoCloseable {

  /** What the server does with one accepted connection. */
  @FunctionalInterface
  interface Behaviour {
    void serve(Socket s) throws IOException, InterruptedException;
  }

  private final ServerSocket server;
  private final Thread acceptor;
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private final List<Thread> workers = new CopyOnWriteArrayList<>();
  final AtomicInteger accepts = new AtomicInteger();
  private volatile boolean closed;

  LoopbackServer(Behaviour behaviour) throws IOException {
    this(ServerSocketFactory.getDefault(), behaviour);
  }

  LoopbackServer(ServerSocketFactory factory, Behaviour behaviour) throws IOException {
    server = factory.createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(() -> {
      while (!closed) {
        try {
          Socket s = server.accept();
          accepts.incrementAndGet();
          accepted.add(s);
          Thread w = new Thread(() -> {
            try {
              behaviour.serve(s);
            } catch (IOException | InterruptedException | RuntimeException ignored) {
              // The checker closing first is normal.
            }
          }, "test-server-worker");
          w.setDaemon(true);
          workers.add(w);
          w.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "test-server-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
  }

  /** Accepts and holds the connection without reading or writing. */
  static Behaviour hang() {
    return s -> Thread.sleep(Long.MAX_VALUE);
  }

  /** Accepts, then closes at once with RST. */
  static Behaviour reset() {
    return s -> {
      s.setSoLinger(true, 0);
      s.close();
    };
  }

  /** Reads the request head, then writes a full response and closes. */
  static Behaviour respond(String response) {
    return s -> {
      readHead(s.getInputStream());
      OutputStream out = s.getOutputStream();
      out.write(response.getBytes(StandardCharsets.UTF_8));
      out.flush();
      s.close();
    };
  }

  /** Reads the request head, then writes the response one byte every {@code gapMillis}. */
  static Behaviour trickle(String response, long gapMillis) {
    return s -> {
      readHead(s.getInputStream());
      OutputStream out = s.getOutputStream();
      for (byte b : response.getBytes(StandardCharsets.UTF_8)) {
        out.write(b);
        out.flush();
        Thread.sleep(gapMillis);
      }
      s.close();
    };
  }

  /**
   * Reads the request head, writes {@code head} at once, then {@code trickled} one byte every {@code
   * gapMillis}: a slowloris reply, which only a deadline over the whole response can catch.
   */
  static Behaviour headThenTrickle(String head, String trickled, long gapMillis) {
    return s -> {
      readHead(s.getInputStream());
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.UTF_8));
      out.flush();
      for (byte b : trickled.getBytes(StandardCharsets.UTF_8)) {
        Thread.sleep(gapMillis);
        out.write(b);
        out.flush();
      }
      s.close();
    };
  }

  /**
   * Relays a connection to {@code upstream}: client to upstream at once, upstream to client one byte
   * every {@code gapMillis} (a TLS server whose handshake trickles).
   */
  static Behaviour trickleFrom(InetSocketAddress upstream, long gapMillis) {
    return s -> {
      try (Socket up = new Socket(upstream.getAddress(), upstream.getPort())) {
        Thread pump = new Thread(() -> {
          try {
            s.getInputStream().transferTo(up.getOutputStream());
          } catch (IOException ignored) {
            // Either side closing ends the relay.
          }
        }, "test-server-relay");
        pump.setDaemon(true);
        pump.start();
        InputStream in = up.getInputStream();
        OutputStream out = s.getOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
          out.write(b);
          out.flush();
          Thread.sleep(gapMillis);
        }
      } finally {
        s.close();
      }
    };
  }

  /** Echoes every byte received, with a prefix on each read. */
  static Behaviour echo(String prefix) {
    return s -> {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      byte[] buf = new byte[1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(prefix.getBytes(StandardCharsets.UTF_8));
        out.write(buf, 0, n);
        out.flush();
      }
      s.close();
    };
  }

  static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      sb.append((char) c);
      if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
        break;
      }
    }
    return sb.toString();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : accepted) {
      try {
        s.close();
      } catch (SocketException ignored) {
        // already closed
      }
    }
    for (Thread w : workers) {
      w.interrupt();
    }
    try {
      acceptor.join(2000);
      for (Thread w : workers) {
        w.join(2000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A port on 127.0.0.1 where nothing listens: bound by a socket that never listens, held for the
   * whole test run, so the kernel answers every SYN with RST and can neither give the port to another
   * listener nor pick it as a client's ephemeral port (which would let a connect to it connect to
   * itself).
   */
  static InetSocketAddress refusingPort() throws IOException {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), Refusing.SOCKET.getLocalPort());
  }

  private static final class Refusing {
    static final Socket SOCKET = bind();

    private static Socket bind() {
      Socket s = new Socket();
      try {
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return s;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot bind a refusing port on 127.0.0.1", e);
      }
    }
  }
}
