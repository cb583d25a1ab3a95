package io.github.lb4j.gateway.demo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A tiny HTTP/1.1 server on one NIO selector thread: the real server behind the demo, the tests and
 * the benchmark. {@code GET /health} answers {@code 200 ok} (or 503 while {@link #failHealth} is
 * set); every other request answers {@code 200} with the body {@code hello from NAME} and the header
 * {@code X-Backend: NAME}. Keep-alive and pipelining are supported; request bodies announced by
 * {@code Content-Length} are skipped.
 *
 * <p>{@link #start()} and {@link #stop()} may be called from any thread, repeatedly: stop closes the
 * listener and every connection at once (as a crashed server would), start binds the same port
 * again. The request counters may be read from any thread.
 */
public final class HttpBackend implements AutoCloseable {

  private static final int MAX_HEADER = 16 * 1024;

  private final String name;
  private final InetSocketAddress requested;
  private final byte[] hello;
  private final byte[] helloClose;
  private final byte[] healthOk;
  private final byte[] healthFail;
  private final LongAdder requests = new LongAdder();
  private final LongAdder healthRequests = new LongAdder();
  private volatile boolean failHealth;
  private volatile @Nullable Thread thread;
  private volatile @Nullable Selector selector;
  private volatile int port;

  /**
   * Creates a stopped server.
   *
   * @param name the name it answers with, for example {@code web-1}
   * @param address where to listen; port 0 picks one at the first start and keeps it afterwards
   */
  public HttpBackend(String name, InetSocketAddress address) {
    this.name = name;
    this.requested = address;
    this.port = address.getPort();
    String body = "hello from " + name + "\n";
    this.hello = response(200, "OK", body, false);
    this.helloClose = response(200, "OK", body, true);
    this.healthOk = response(200, "OK", "ok\n", false);
    this.healthFail = response(503, "Service Unavailable", "failing\n", false);
  }

  private byte[] response(int status, String reason, String body, boolean close) {
    return ("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: text/plain\r\nX-Backend: " + name
        + "\r\nContent-Length: " + body.length() + (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + body)
        .getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Returns the name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the address it listens on (its port is known after the first start).
   *
   * @return the address
   */
  public InetSocketAddress address() {
    return new InetSocketAddress(requested.getAddress(), port);
  }

  /**
   * Returns the requests answered other than health checks.
   *
   * @return the count since creation
   */
  public long requests() {
    return requests.sum();
  }

  /**
   * Returns the health-check requests answered.
   *
   * @return the count since creation
   */
  public long healthRequests() {
    return healthRequests.sum();
  }

  /**
   * Makes {@code /health} answer 503 (true) or 200 (false).
   *
   * @param fail whether health checks should fail
   */
  public void failHealth(boolean fail) {
    this.failHealth = fail;
  }

  /**
   * Returns whether the server is running.
   *
   * @return whether it runs
   */
  public boolean running() {
    return thread != null;
  }

  /**
   * Binds and starts serving; does nothing when already running.
   *
   * @throws IOException when the address cannot be bound
   */
  public synchronized void start() throws IOException {
    if (thread != null) {
      return;
    }
    Selector sel = Selector.open();
    ServerSocketChannel server = ServerSocketChannel.open();
    try {
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(new InetSocketAddress(requested.getAddress(), port), 4096);
      server.configureBlocking(false);
      server.register(sel, SelectionKey.OP_ACCEPT);
    } catch (IOException e) {
      server.close();
      sel.close();
      throw e;
    }
    port = ((InetSocketAddress) server.getLocalAddress()).getPort();
    selector = sel;
    Thread t = new Thread(() -> serve(sel), "http-" + name);
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  /** Closes the listener and every connection at once, as a crash would; does nothing when stopped. */
  public synchronized void stop() {
    Thread t = thread;
    Selector sel = selector;
    if (t == null || sel == null) {
      return;
    }
    thread = null;
    selector = null;
    sel.wakeup();
    try {
      t.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  private void serve(Selector sel) {
    try {
      while (selector == sel) {
        sel.select(key -> {
          try {
            if (key.isAcceptable()) {
              accept(sel, (ServerSocketChannel) key.channel());
            } else {
              ((Connection) key.attachment()).handle(key);
            }
          } catch (IOException e) {
            closeKey(key);
          }
        }, 200);
      }
    } catch (IOException | ClosedSelectorException e) {
      // The selector went away with stop(); nothing is left to serve.
    } finally {
      for (SelectionKey k : sel.keys()) {
        closeKey(k);
      }
      try {
        sel.close();
      } catch (IOException e) {
        // Closing on the way out: nothing more to do.
      }
    }
  }

  private static void closeKey(SelectionKey k) {
    try {
      k.channel().close();
    } catch (IOException e) {
      // Already broken: closing is all that was wanted.
    }
  }

  private void accept(Selector sel, ServerSocketChannel server) throws IOException {
    SocketChannel ch;
    while ((ch = server.accept()) != null) {
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.register(sel, SelectionKey.OP_READ, new Connection());
    }
  }

  /** One client connection's parse and reply state. */
  private final class Connection {
    private final ByteBuffer in = ByteBuffer.allocate(MAX_HEADER);
    private final ByteBuffer out = ByteBuffer.allocate(64 * 1024);
    private long skipBody;
    private boolean closeAfterWrite;

    void handle(SelectionKey key) throws IOException {
      SocketChannel ch = (SocketChannel) key.channel();
      if (key.isWritable()) {
        flush(key, ch);
        return;
      }
      int n = ch.read(in);
      if (n < 0) {
        ch.close();
        return;
      }
      parse();
      flush(key, ch);
    }

    private void parse() {
      in.flip();
      while (in.hasRemaining() && !closeAfterWrite) {
        if (skipBody > 0) {
          int skip = (int) Math.min(skipBody, in.remaining());
          in.position(in.position() + skip);
          skipBody -= skip;
          continue;
        }
        int end = headerEnd(in);
        if (end < 0) {
          if (in.position() == 0 && in.limit() == in.capacity()) {
            closeAfterWrite = true;
            out.put(response(431, "Request Header Fields Too Large", "header too large\n", true));
          }
          break;
        }
        String head = StandardCharsets.ISO_8859_1.decode(in.slice(in.position(), end - in.position())).toString();
        in.position(end + 4);
        answer(head);
      }
      in.compact();
    }

    private void answer(String head) {
      int sp1 = head.indexOf(' ');
      int sp2 = sp1 < 0 ? -1 : head.indexOf(' ', sp1 + 1);
      int eol = head.indexOf("\r\n");
      String path = sp1 < 0 || sp2 < 0 ? "/" : head.substring(sp1 + 1, sp2);
      String version = sp2 < 0 ? "" : head.substring(sp2 + 1, eol < 0 ? head.length() : eol);
      String lower = head.toLowerCase(java.util.Locale.ROOT);
      boolean close = version.equals("HTTP/1.0") ? !lower.contains("connection: keep-alive") : lower.contains("connection: close");
      int cl = lower.indexOf("content-length:");
      if (cl >= 0) {
        int e = lower.indexOf("\r\n", cl);
        skipBody = Long.parseLong(lower.substring(cl + 15, e < 0 ? lower.length() : e).trim());
      }
      byte[] reply;
      if (path.equals("/health")) {
        healthRequests.increment();
        reply = failHealth ? healthFail : healthOk;
      } else {
        requests.increment();
        reply = close ? helloClose : hello;
      }
      if (out.remaining() < reply.length) {
        closeAfterWrite = true;
        return;
      }
      out.put(reply);
      if (close) {
        closeAfterWrite = true;
      }
    }

    private void flush(SelectionKey key, SocketChannel ch) throws IOException {
      out.flip();
      ch.write(out);
      out.compact();
      if (out.position() > 0) {
        key.interestOps(SelectionKey.OP_WRITE);
      } else if (closeAfterWrite) {
        ch.close();
      } else {
        key.interestOps(SelectionKey.OP_READ);
        if (in.position() > 0) {
          parse();
          if (out.position() > 0) {
            flush(key, ch);
          }
        }
      }
    }
  }

  private static int headerEnd(ByteBuffer b) {
    for (int i = b.position(); i + 3 < b.limit(); i++) {
      if (b.get(i) == '\r' && b.get(i + 1) == '\n' && b.get(i + 2) == '\r' && b.get(i + 3) == '\n') {
        return i;
      }
    }
    return -1;
  }
}
