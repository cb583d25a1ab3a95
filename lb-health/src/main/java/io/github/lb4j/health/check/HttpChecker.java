package io.github.lb4j.health.check;

import io.github.lb4j.api.Addresses;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * [http] (seed S2.4) and [http-content] (seed S2.5): one HTTP/1.1 request with {@code Connection:
 * close} (RFC 9112 §9.6), the status checked against a set of codes and ranges, and for
 * [http-content] the body (at most {@code max-body-bytes}) checked for a string or a regular
 * expression, or for their absence. This is the check of HAProxy's {@code option httpchk} with
 * {@code http-check expect status|string|rstring} and its {@code !} negation.
 *
 * <p>Plain HTTP runs non-blocking on the shared loop; HTTPS runs on the loop's small blocking pool
 * (JSSE's socket API), with the same deadline. The timeout bounds the whole exchange up to the end
 * of the response (the body is read to its end even when only the status matters), so a server that
 * trickles its response, or its body after fast headers, fails with {@link HealthReason#TIMEOUT}.
 *
 * <p>Thread-safe; see {@link BaseChecker}.
 */
final class HttpChecker extends BaseChecker {

  private final String method;
  private final String path;
  private final @Nullable String host;
  private final StatusSet statuses;
  private final @Nullable TlsSettings tls;
  private final @Nullable String contains;
  private final @Nullable Pattern regex;
  private final boolean negate;
  private final int maxBodyBytes;
  private final byte @Nullable [] fixedRequest;

  HttpChecker(
      String name,
      String method,
      String path,
      @Nullable String host,
      StatusSet statuses,
      @Nullable TlsSettings tls,
      @Nullable String contains,
      @Nullable Pattern regex,
      boolean negate,
      int maxBodyBytes) {
    super(name);
    this.method = method;
    this.path = path;
    this.host = host;
    this.statuses = statuses;
    this.tls = tls;
    this.contains = contains;
    this.regex = regex;
    this.negate = negate;
    this.maxBodyBytes = maxBodyBytes;
    this.fixedRequest = host == null ? null : request(host);
  }

  private boolean wantsBody() {
    return contains != null || regex != null;
  }

  private byte[] request(String hostHeader) {
    String r = method + " " + path + " HTTP/1.1\r\n"
        + "Host: " + hostHeader + "\r\n"
        + "User-Agent: lb4j-health\r\n"
        + "Accept: */*\r\n"
        + "Connection: close\r\n\r\n";
    return r.getBytes(StandardCharsets.ISO_8859_1);
  }

  private byte[] requestFor(InetSocketAddress target) {
    byte[] fixed = fixedRequest;
    if (fixed != null) {
      return fixed;
    }
    String h = Addresses.format(target.getAddress());
    int zone = h.indexOf('%');
    if (zone >= 0) {
      h = h.substring(0, zone);
    }
    if (target.getAddress() instanceof Inet6Address) {
      h = "[" + h + "]";
    }
    int port = target.getPort();
    boolean defaultPort = tls == null ? port == 80 : port == 443;
    return request(defaultPort ? h : h + ":" + port);
  }

  private HttpResponseParser newParser() {
    return new HttpResponseParser(wantsBody(), method.equals("HEAD"), maxBodyBytes);
  }

  /** Turns a complete (or body-limited) response into a verdict. */
  private HealthResult verdict(HttpResponseParser p, long elapsed) {
    int status = p.status();
    if (!statuses.contains(status)) {
      return HealthResult.unhealthy(HealthReason.UNEXPECTED_STATUS, elapsed, "status " + status + ", expected " + statuses);
    }
    if (!wantsBody()) {
      return HealthResult.healthy(elapsed, "status " + status);
    }
    String body = p.body();
    boolean found = contains != null ? body.contains(contains) : regex.matcher(body).find();
    String what = contains != null ? "'" + contains + "'" : "/" + regex.pattern() + "/";
    String scope = p.bodyBytes() + (p.truncated() ? " (limit)" : "") + " body bytes";
    if (found != negate) {
      return HealthResult.healthy(elapsed, "status " + status + ", " + (negate ? "no " : "") + what + " in " + scope);
    }
    return HealthResult.unhealthy(
        HealthReason.CONTENT_MISMATCH, elapsed, "status " + status + ", " + what + (found ? " found" : " not found") + " in " + scope);
  }

  @Override
  CompletableFuture<HealthResult> start(InetSocketAddress target, long timeoutNanos) {
    TlsSettings t = tls;
    if (t == null) {
      return super.start(target, timeoutNanos);
    }
    BlockingCheck c = new BlockingCheck(this, target, t, timeoutNanos) {
      @Override
      HealthResult exchange(SSLSocket socket) throws IOException {
        socket.getOutputStream().write(requestFor(target));
        socket.getOutputStream().flush();
        HttpResponseParser p = newParser();
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[8192];
        for (;;) {
          int ms = remainingMillis();
          if (ms == 0) {
            stage = incomplete(p);
            return timeout();
          }
          socket.setSoTimeout(ms);
          int n;
          try {
            n = in.read(buf);
          } catch (IOException e) {
            // The deadline either timed the read out or closed the socket under it (the watchdog
            // closes it at the deadline): both are the deadline, described by what had arrived.
            if (e instanceof java.net.SocketTimeoutException || remainingMillis() == 0) {
              stage = incomplete(p);
              return timeout();
            }
            throw e;
          }
          HttpResponseParser.State s = n < 0 ? p.eof() : p.push(ByteBuffer.wrap(buf, 0, n));
          if (s == HttpResponseParser.State.DONE) {
            return verdict(p, elapsed());
          }
          if (s == HttpResponseParser.State.ERROR) {
            return HealthResult.unhealthy(HealthReason.PROTOCOL_ERROR, elapsed(), p.error());
          }
        }
      }
    };
    loop.executeBlocking(c);
    return c.future;
  }

  private static String incomplete(HttpResponseParser p) {
    return p.statusSeen() ? "no complete response (status " + p.status() + " seen)" : "no status line";
  }

  @Override
  Probe newProbe(InetSocketAddress target, long timeoutNanos) {
    return new Probe(this, target, timeoutNanos) {
      private final HttpResponseParser parser = newParser();
      private @Nullable ByteBuffer out;

      @Override
      void open() throws IOException {
        connect(openTcp());
      }

      @Override
      void connected() throws IOException {
        out = ByteBuffer.wrap(requestFor(target));
        writable();
      }

      @Override
      void writable() throws IOException {
        ByteBuffer o = out;
        if (o == null) {
          return;
        }
        ((SocketChannel) channel).write(o);
        interest(o.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
      }

      @Override
      void readable() throws IOException {
        SocketChannel ch = (SocketChannel) channel;
        ByteBuffer buf = owner.loop.readBuffer();
        int n = ch.read(buf);
        if (n == 0) {
          return;
        }
        HttpResponseParser.State s;
        if (n < 0) {
          s = parser.eof();
        } else {
          buf.flip();
          s = parser.push(buf);
        }
        if (s == HttpResponseParser.State.DONE) {
          complete(verdict(parser, elapsed()));
        } else if (s == HttpResponseParser.State.ERROR) {
          finish(HealthReason.PROTOCOL_ERROR, parser.error());
        }
      }

      @Override
      String waitingFor() {
        return handshakeDone ? incomplete(parser) : "no SYN/ACK";
      }
    };
  }
}
