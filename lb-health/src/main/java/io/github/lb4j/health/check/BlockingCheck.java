package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLSocket;

/**
 * One TLS check on a blocking socket, run on the loop's small pool. The deadline bounds everything:
 * time spent queued counts, connect and each read are given only the time left, and a watchdog on the
 * loop closes the socket at the deadline so that a handshake trickled by the server cannot outlast
 * it.
 *
 * <p>Created on any thread, run on one pool thread. Allocates the socket and buffers.
 */
abstract class BlockingCheck implements Runnable {

  final BaseChecker owner;
  final InetSocketAddress target;
  final TlsSettings tls;
  final long timeoutNanos;
  final long startNanos = System.nanoTime();
  final long deadline;
  final CompletableFuture<HealthResult> future = new CompletableFuture<>();
  private final AtomicBoolean finished = new AtomicBoolean();
  String stage = "no TCP connection";

  BlockingCheck(BaseChecker owner, InetSocketAddress target, TlsSettings tls, long timeoutNanos) {
    this.owner = owner;
    this.target = target;
    this.tls = tls;
    this.timeoutNanos = timeoutNanos;
    this.deadline = startNanos + timeoutNanos;
  }

  /** The exchange after the handshake; returns the result. */
  abstract HealthResult exchange(SSLSocket socket) throws IOException;

  final long elapsed() {
    return System.nanoTime() - startNanos;
  }

  /** Milliseconds left, at least 1; 0 when the deadline has passed. */
  final int remainingMillis() {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return 0;
    }
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left)));
  }

  final HealthResult timeout() {
    return HealthResult.unhealthy(
        HealthReason.TIMEOUT, elapsed(), stage + " within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
  }

  @Override
  public final void run() {
    Socket raw = new Socket();
    if (owner.isClosed() || !owner.track(raw)) {
      closeQuietly(raw);
      complete(HealthResult.unhealthy(HealthReason.CLOSED, elapsed(), "checker closed"));
      return;
    }
    owner.loop.execute(() -> owner.loop.schedule(deadline, () -> {
      if (!finished.get()) {
        closeQuietly(raw);
      }
    }));
    HealthResult result;
    try {
      int ms = remainingMillis();
      if (ms == 0) {
        result = timeout();
      } else {
        raw.connect(target, ms);
        stage = "no TLS handshake";
        String host = target.getAddress().getHostAddress();
        SSLSocket ssl = tls.wrap(raw, host, target.getPort());
        ssl.setSoTimeout(Math.max(1, remainingMillis()));
        ssl.startHandshake();
        stage = "no complete reply";
        result = exchange(ssl);
        ssl.close();
      }
    } catch (IOException e) {
      if (owner.isClosed()) {
        result = HealthResult.unhealthy(HealthReason.CLOSED, elapsed(), "checker closed");
      } else if (System.nanoTime() - deadline >= 0 && (e instanceof SocketException || e instanceof java.net.SocketTimeoutException
          || e instanceof javax.net.ssl.SSLException)) {
        result = timeout();
      } else {
        result = HealthResult.unhealthy(Failures.reason(e), elapsed(), Failures.detail(e));
      }
    } catch (RuntimeException e) {
      result = HealthResult.unhealthy(HealthReason.IO_ERROR, elapsed(), e.toString());
    } finally {
      finished.set(true);
      closeQuietly(raw);
      owner.untrack(raw);
    }
    complete(result);
  }

  final void complete(HealthResult r) {
    future.complete(r);
  }

  static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // Nothing left to release.
    }
  }
}
