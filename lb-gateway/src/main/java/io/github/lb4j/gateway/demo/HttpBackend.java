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
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny HTTP/1.1 server on one NIO selector thread: the real server behind the demo, the tests and
 * the benchmark. {@code GET /health} answers {@code 200 ok} (or 503 while {@link #failHealth} is
 * set); every other request answers {@code 200} with the body {@code hello from NAME} and the header
 * {@code X-Backend: NAME}; {@code HEAD} gets the same headers without the body. Keep-alive and
 * pipelining are supported; request bodies ({@code Content-Length} or chunked) are skipped.
 *
 * <p>A request it cannot take is answered with its status and the connection closed, and the server
 * goes on serving everyone else: a malformed head, a header field without a colon, a bad or
 * ambiguous body length, a PROXY protocol header, a binary preface (400, see {@link RequestHead}),
 * a head over 16 KiB (431), a transfer coding other than chunked (501), a version other than
 * HTTP/1.x (505). Any failure while serving one connection closes that connection only.
 *
 * <p>{@link #start()} and {@link #stop()} may be called from any thread, repeatedly: stop closes the
 * listener and every connection at once (as a crashed server would), start binds the same port
 * again. The request counters may be read from any thread.
 */
public final class HttpBackend implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(HttpBackend.class);
  private static final int MAX_HEADER = 16 * 1024;
  private static final Map<Integer, String> REASONS = Map.of(400, "Bad Request", 431, "Request Header Fields Too Large",
      501, "Not Implemented", 505, "HTTP Version Not Supported");

  private final String name;
  private final InetSocketAddress requested;
  private final byte[] hello;
  private final byte[] helloClose;
  private final byte[] healthOk;
  private final byte[] healthFail;
  private final LongAdder requests = new LongAdder();
  private final LongAdder healthRequests = new LongAdder();
  private final LongAdder rejected = new LongAdder();
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
   * Returns the requests refused with a 4xx or 5xx status because they were malformed.
   *
   * @return the count since creation
   */
  public long rejected() {
    return rejected.sum();
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
          } catch (IOException | RuntimeException e) {
            // One connection's failure (a reset, or a bug its bytes found) ends that connection only.
            LOG.debug("{}: connection closed: {}", name, e.toString());
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

  /** One client connection's parse and reply state; confined to the server's thread. */
  private final class Connection {
    private final ByteBuffer in = ByteBuffer.allocate(MAX_HEADER);
    private final ByteBuffer out = ByteBuffer.allocate(64 * 1024);
    private long skipBody;
    private @Nullable ChunkedBody chunked;
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
      try {
        while (in.hasRemaining() && !closeAfterWrite) {
          if (skipBody > 0) {
            int skip = (int) Math.min(skipBody, in.remaining());
            in.position(in.position() + skip);
            skipBody -= skip;
            continue;
          }
          ChunkedBody body = chunked;
          if (body != null) {
            if (!body.consume(in)) {
              break;
            }
            chunked = null;
            continue;
          }
          skipEmptyLines();
          int end = headerEnd(in);
          if (end < 0) {
            if (in.position() == 0 && in.limit() == in.capacity()) {
              throw new RequestHead.Rejected(431, "request head longer than " + MAX_HEADER + " bytes");
            }
            break;
          }
          String head = StandardCharsets.ISO_8859_1.decode(in.slice(in.position(), end - in.position())).toString();
          in.position(end + (in.get(end + 1) == '\n' ? 2 : 3));
          RequestHead request = RequestHead.parse(head);
          skipBody = request.contentLength();
          chunked = request.chunked() ? new ChunkedBody() : null;
          answer(request);
        }
      } catch (RequestHead.Rejected e) {
        reject(e.status, e.getMessage());
      }
      in.compact();
    }

    /** RFC 9112 §2.2: a server ought to ignore empty lines received before a request line. */
    private void skipEmptyLines() {
      while (in.hasRemaining()) {
        byte b = in.get(in.position());
        if (b == '\n') {
          in.get();
        } else if (b == '\r' && in.remaining() >= 2 && in.get(in.position() + 1) == '\n') {
          in.position(in.position() + 2);
        } else {
          return;
        }
      }
    }

    /** Answers a request the server cannot take with its status, then closes (RFC 9112 §9.6). */
    private void reject(int status, String why) {
      rejected.increment();
      LOG.debug("{}: {} {}", name, status, why);
      byte[] reply = response(status, REASONS.getOrDefault(status, "Error"), reasonLine(status, why), true);
      if (out.remaining() >= reply.length) {
        out.put(reply);
      }
      closeAfterWrite = true;
    }

    private void answer(RequestHead request) {
      boolean health = request.target().equals("/health");
      byte[] reply;
      if (health) {
        healthRequests.increment();
        reply = failHealth ? healthFail : healthOk;
      } else {
        requests.increment();
        reply = request.close() ? helloClose : hello;
      }
      if (request.method().equals("HEAD")) {
        reply = headOnly(reply);
      }
      if (out.remaining() < reply.length) {
        closeAfterWrite = true;
        return;
      }
      out.put(reply);
      if (request.close()) {
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

  private static String reasonLine(int status, String why) {
    return status + " " + REASONS.getOrDefault(status, "Error") + ": " + why + "\n";
  }

  /** The same response without its body: a HEAD answer carries the headers a GET would (RFC 9110 §9.3.2). */
  private static byte[] headOnly(byte[] response) {
    for (int i = 0; i + 3 < response.length; i++) {
      if (response[i] == '\r' && response[i + 1] == '\n' && response[i + 2] == '\r' && response[i + 3] == '\n') {
        return java.util.Arrays.copyOf(response, i + 4);
      }
    }
    return response;
  }

  /**
   * Finds the empty line that ends a request head: CRLF CRLF, or a bare LF on either line (RFC 9112
   * §2.2). Returns the index of its first CR or LF, or -1.
   */
  private static int headerEnd(ByteBuffer b) {
    for (int i = b.position(); i < b.limit(); i++) {
      if (b.get(i) != '\n') {
        continue;
      }
      if (i + 1 < b.limit() && b.get(i + 1) == '\n') {
        return i;
      }
      if (i + 2 < b.limit() && b.get(i + 1) == '\r' && b.get(i + 2) == '\n') {
        return i;
      }
    }
    return -1;
  }
}
