package io.github.lb4j.benchmarks.health;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Many check targets on loopback: up to {@link #MAX_LISTENERS} listeners, each on its own address
 * 127.1.x.y, more targets than that sharing them round robin (all of 127/8 is
 * local on Linux), served by one NIO thread named {@code bench-server}. In TCP mode it accepts and
 * closes with RST; in HTTP mode it answers each request with {@code 200} and a short body and closes
 * after the checker does, so TIME_WAIT stays on the checker's side where Linux reuses it for new
 * connections to loopback ({@code net.ipv4.tcp_tw_reuse=2}).
 */
final class LoopbackTargets implements AutoCloseable {

  static final byte[] RESPONSE =
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);

  private final Selector selector;
  private final List<ServerSocketChannel> listeners = new ArrayList<>();
  private final List<InetSocketAddress> addresses = new ArrayList<>();
  private final boolean http;
  private final Thread thread;
  private volatile boolean running = true;
  private final java.util.concurrent.atomic.LongAdder acceptsOutOfDescriptors = new java.util.concurrent.atomic.LongAdder();

  /** At most this many listeners: each holds a descriptor, and the process limit is often 20,000. */
  static final int MAX_LISTENERS = 2000;

  LoopbackTargets(int count, boolean http) throws IOException {
    this.http = http;
    selector = Selector.open();
    int listenersWanted = Math.min(count, MAX_LISTENERS);
    try {
      for (int i = 0; i < listenersWanted; i++) {
        InetAddress a = InetAddress.getByAddress(new byte[] {127, 1, (byte) (i / 250), (byte) (i % 250 + 1)});
        ServerSocketChannel s = ServerSocketChannel.open();
        listeners.add(s);
        s.bind(new InetSocketAddress(a, 0), 4096);
        s.configureBlocking(false);
        s.register(selector, SelectionKey.OP_ACCEPT);
        addresses.add((InetSocketAddress) s.getLocalAddress());
      }
    } catch (IOException e) {
      for (ServerSocketChannel s : listeners) {
        s.close();
      }
      selector.close();
      if (HealthCheckThroughput.outOfDescriptors(e.getMessage())) {
        throw new IOException("OUT OF FILE DESCRIPTORS opening local listener " + listeners.size() + " of " + listenersWanted
            + " (open-file limit " + HealthCheckThroughput.limit + "): raise the limit (ulimit -n;"
            + " lb-benchmarks/health-bench raises it to the hard limit) or use fewer targets", e);
      }
      throw e;
    }
    List<InetSocketAddress> listening = new ArrayList<>(addresses);
    for (int i = listening.size(); i < count; i++) {
      addresses.add(listening.get(i % listening.size()));
    }
    thread = new Thread(this::serve, "bench-server");
    thread.setDaemon(true);
    thread.start();
  }

  List<InetSocketAddress> addresses() {
    return addresses;
  }

  /** How many accepts failed with EMFILE/ENFILE so far; any thread. */
  long acceptsOutOfDescriptors() {
    return acceptsOutOfDescriptors.sum();
  }

  private void serve() {
    ByteBuffer buf = ByteBuffer.allocateDirect(4096);
    try {
      while (running) {
        selector.select(100);
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey k = it.next();
          it.remove();
          try {
            if (!k.isValid()) {
              continue;
            }
            if (k.isAcceptable()) {
              SocketChannel c;
              while ((c = ((ServerSocketChannel) k.channel()).accept()) != null) {
                if (http) {
                  c.configureBlocking(false);
                  c.register(selector, SelectionKey.OP_READ);
                } else {
                  // The TCP check is over once the handshake completes; an RST close leaves no
                  // TIME_WAIT on the server's side to collide with the checker's next connection.
                  c.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                  c.close();
                }
              }
            } else if (k.isReadable()) {
              SocketChannel c = (SocketChannel) k.channel();
              buf.clear();
              int n = c.read(buf);
              if (n < 0) {
                c.close();
              } else if (n > 0 && http) {
                c.write(ByteBuffer.wrap(RESPONSE));
              }
            }
          } catch (java.nio.channels.CancelledKeyException e) {
            // Closed by close() while this thread was still draining keys.
          } catch (IOException e) {
            // A listener stays open even when accept fails (for example at the descriptor limit).
            if (HealthCheckThroughput.outOfDescriptors(e.getMessage())) {
              acceptsOutOfDescriptors.increment();
            }
            if (!(k.channel() instanceof ServerSocketChannel)) {
              k.channel().close();
            }
          }
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    running = false;
    selector.wakeup();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (SelectionKey k : selector.keys()) {
      k.channel().close();
    }
    selector.close();
  }
}
