package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One check in progress on the {@link CheckLoop}: a small state machine driven by selector
 * readiness and one deadline. Completes its future exactly once, closing its channel first, so a
 * finished check holds no socket.
 *
 * <p>Created on any thread; every other method runs on the loop thread. Allocates the future, the
 * channel and its own state; never blocks.
 */
abstract class Probe {

  final BaseChecker owner;
  final InetSocketAddress target;
  final long timeoutNanos;
  final CompletableFuture<HealthResult> future = new CompletableFuture<>();
  long startNanos;
  @Nullable SelectableChannel channel;
  /** Whether the TCP handshake completed, so a timeout can say what it was waiting for. */
  boolean handshakeDone;
  @Nullable SelectionKey key;
  private CheckLoop.@Nullable Deadline deadline;
  private boolean done;

  Probe(BaseChecker owner, InetSocketAddress target, long timeoutNanos) {
    this.owner = owner;
    this.target = target;
    this.timeoutNanos = timeoutNanos;
  }

  /** Starts the check on the loop thread. */
  final void begin() {
    startNanos = System.nanoTime();
    deadline = owner.loop.schedule(startNanos + timeoutNanos, this::timedOut);
    try {
      open();
    } catch (IOException e) {
      fail(e);
    } catch (RuntimeException e) {
      finish(HealthReason.IO_ERROR, e.toString());
    }
  }

  /** Opens the channel and starts the exchange; may finish at once. */
  abstract void open() throws IOException;

  /** What the check was waiting for when the deadline passed, for the result's detail. */
  abstract String waitingFor();

  final void ready(SelectionKey k) {
    if (done || !k.isValid()) {
      return;
    }
    try {
      int ops = k.readyOps();
      if ((ops & SelectionKey.OP_CONNECT) != 0) {
        SocketChannel ch = (SocketChannel) k.channel();
        boolean done;
        try {
          done = ch.finishConnect();
        } catch (IOException e) {
          connectFailed(e);
          return;
        }
        if (done) {
          handshakeDone = true;
          connected();
        }
      }
      if (!done && (ops & SelectionKey.OP_WRITE) != 0) {
        writable();
      }
      if (!done && (ops & SelectionKey.OP_READ) != 0) {
        readable();
      }
    } catch (IOException e) {
      fail(e);
    } catch (RuntimeException e) {
      finish(HealthReason.IO_ERROR, e.toString());
    }
  }

  /** Registers a channel with the loop, remembering it so that {@link #finish} closes it. */
  final void register(SelectableChannel ch, int ops) throws IOException {
    channel = ch;
    key = owner.loop.register(ch, ops, this);
  }

  /**
   * Opens a non-blocking TCP socket channel, remembered so that {@link #finish} closes it even when
   * setting an option or connecting fails.
   */
  final SocketChannel openTcp() throws IOException {
    SocketChannel ch = SocketChannel.open();
    channel = ch;
    ch.configureBlocking(false);
    return ch;
  }

  /** Connects a non-blocking socket channel and waits for the handshake. */
  final void connect(SocketChannel ch) throws IOException {
    channel = ch;
    if (ch.connect(target)) {
      register(ch, 0);
      handshakeDone = true;
      connected();
    } else {
      register(ch, SelectionKey.OP_CONNECT);
    }
  }

  void connected() throws IOException {}

  /** The non-blocking connect failed; by default the check fails with the mapped reason. */
  void connectFailed(IOException e) {
    fail(e);
  }

  void writable() throws IOException {}

  void readable() throws IOException {}

  final void interest(int ops) {
    SelectionKey k = key;
    if (k != null && k.isValid()) {
      k.interestOps(ops);
    }
  }

  final long elapsed() {
    return System.nanoTime() - startNanos;
  }

  final boolean done() {
    return done;
  }

  private void timedOut() {
    finish(HealthReason.TIMEOUT, waitingFor() + " within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
  }

  final void fail(IOException e) {
    finish(Failures.reason(e), Failures.detail(e));
  }

  final void succeed(String detail) {
    complete(HealthResult.healthy(elapsed(), detail));
  }

  final void finish(HealthReason reason, String detail) {
    complete(HealthResult.unhealthy(reason, elapsed(), detail));
  }

  /** Completes with {@link HealthReason#CLOSED}: the checker or the loop is shutting down. */
  final void abandon() {
    finish(HealthReason.CLOSED, "checker closed");
  }

  final void complete(HealthResult result) {
    if (done) {
      return;
    }
    done = true;
    CheckLoop.Deadline d = deadline;
    if (d != null) {
      d.cancel();
    }
    beforeClose();
    SelectionKey k = key;
    if (k != null) {
      k.cancel();
    }
    SelectableChannel ch = channel;
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // Closing a socket we are done with can only fail if it is already gone.
      }
    }
    owner.forget(this);
    future.complete(result);
  }

  /** Hook run before the channel is closed (for example to choose RST over FIN). */
  void beforeClose() {}
}
