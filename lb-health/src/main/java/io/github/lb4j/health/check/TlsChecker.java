package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthResult;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * [tls]: a TCP connect and a complete TLS handshake (RFC 8446 §4), with SNI and the chosen trust
 * setting; healthy when the handshake completes. The check of HAProxy's {@code check-ssl} without an
 * application request. Runs on the loop's small blocking pool; the timeout bounds the whole check.
 *
 * <p>Thread-safe; see {@link BaseChecker}.
 */
final class TlsChecker extends BaseChecker {

  private final TlsSettings tls;

  TlsChecker(String name, TlsSettings tls) {
    super(name);
    this.tls = tls;
  }

  @Override
  CompletableFuture<HealthResult> start(InetSocketAddress target, long timeoutNanos) {
    BlockingCheck c = new BlockingCheck(this, target, tls, timeoutNanos) {
      @Override
      HealthResult exchange(SSLSocket socket) {
        SSLSession s = socket.getSession();
        return HealthResult.healthy(elapsed(), "handshake " + s.getProtocol() + " " + s.getCipherSuite());
      }
    };
    loop.executeBlocking(c);
    return c.future;
  }
}
