package io.github.lb4j.health.check;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * An incremental HTTP/1.1 response parser (RFC 9112): status line, headers, and a body delimited by
 * {@code Content-Length}, by chunked transfer coding (§7.1) or by the connection closing (§6.3).
 * Bytes are pushed as they arrive. It reports {@link State#DONE} only at the end of the whole
 * message, so that a check's deadline covers the whole response: a server that sends its headers at
 * once and then trickles the body is still waiting when the deadline passes (a slowloris reply). The
 * body is kept up to {@code maxBodyBytes} when it is wanted and discarded beyond (or entirely when it
 * is not); discarded bytes cost no memory.
 *
 * <p>One per check, confined to the thread that runs the check. Allocates its line and body
 * buffers; never blocks.
 */
final class HttpResponseParser {

  /** The parser's verdict after a push. */
  enum State { MORE, DONE, ERROR }

  private enum Phase { STATUS, HEADERS, BODY_LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_CRLF, TRAILERS, BODY_EOF, DONE }

  private static final int MAX_LINE = 8 * 1024;
  private static final int MAX_HEADERS = 100;

  private final boolean wantBody;
  private final boolean headRequest;
  private final int maxBodyBytes;
  private final StringBuilder line = new StringBuilder(128);
  private final ByteArrayOutputStream body = new ByteArrayOutputStream();
  private Phase phase = Phase.STATUS;
  private int status = -1;
  private long remaining;
  private long contentLength = -1;
  private boolean chunked;
  private int headerCount;
  private boolean sawCr;
  private boolean truncated;
  private @Nullable String error;

  HttpResponseParser(boolean wantBody, boolean headRequest, int maxBodyBytes) {
    this.wantBody = wantBody;
    this.headRequest = headRequest;
    this.maxBodyBytes = maxBodyBytes;
  }

  int status() {
    return status;
  }

  /** The body read so far (at most {@code maxBodyBytes}), decoded as UTF-8. */
  String body() {
    return body.toString(StandardCharsets.UTF_8);
  }

  int bodyBytes() {
    return body.size();
  }

  boolean truncated() {
    return truncated;
  }

  String error() {
    return error == null ? "" : error;
  }

  boolean statusSeen() {
    return status >= 0;
  }

  /** Consumes the readable bytes of {@code in}. */
  State push(ByteBuffer in) {
    while (in.hasRemaining()) {
      switch (phase) {
        case STATUS:
        case HEADERS:
        case CHUNK_SIZE:
        case CHUNK_CRLF:
        case TRAILERS:
          String l = readLine(in);
          if (error != null) {
            return State.ERROR;
          }
          if (l == null) {
            continue;
          }
          State s = onLine(l);
          if (s != State.MORE) {
            return s;
          }
          break;
        case BODY_LENGTH:
        case CHUNK_DATA:
          int n = (int) Math.min(in.remaining(), remaining);
          take(in, n);
          remaining -= n;
          if (remaining == 0) {
            if (phase == Phase.BODY_LENGTH) {
              return done();
            }
            phase = Phase.CHUNK_CRLF;
          }
          break;
        case BODY_EOF:
          take(in, in.remaining());
          break;
        case DONE:
          return State.DONE;
        default:
          throw new IllegalStateException(phase.name());
      }
    }
    return phase == Phase.DONE ? State.DONE : State.MORE;
  }

  /** The peer closed the connection. */
  State eof() {
    if (phase == Phase.DONE) {
      return State.DONE;
    }
    if (phase == Phase.BODY_EOF) {
      return done();
    }
    if (status < 0) {
      error = "connection closed before a status line";
    } else if (phase == Phase.HEADERS) {
      error = "connection closed inside the headers";
    } else {
      error = "connection closed inside the body";
    }
    return State.ERROR;
  }

  /** Consumes {@code n} body bytes: keeps them while wanted and under the limit, discards the rest. */
  private void take(ByteBuffer in, int n) {
    int keep = wantBody ? Math.min(maxBodyBytes - body.size(), n) : 0;
    for (int i = 0; i < keep; i++) {
      body.write(in.get());
    }
    if (wantBody && keep < n) {
      truncated = true;
    }
    in.position(in.position() + (n - keep));
  }

  private State done() {
    phase = Phase.DONE;
    return State.DONE;
  }

  private @Nullable String readLine(ByteBuffer in) {
    while (in.hasRemaining()) {
      byte b = in.get();
      if (b == '\n') {
        sawCr = false;
        String l = line.toString();
        line.setLength(0);
        return l;
      }
      if (sawCr) {
        line.append('\r');
        sawCr = false;
      }
      if (b == '\r') {
        sawCr = true;
      } else {
        line.append((char) (b & 0xFF));
      }
      if (line.length() > MAX_LINE) {
        error = "line longer than " + MAX_LINE + " bytes";
        return null;
      }
    }
    return null;
  }

  private State onLine(String l) {
    switch (phase) {
      case STATUS:
        return statusLine(l);
      case HEADERS:
        if (l.isEmpty()) {
          return endOfHeaders();
        }
        if (++headerCount > MAX_HEADERS) {
          return fail("more than " + MAX_HEADERS + " header fields");
        }
        return header(l);
      case CHUNK_SIZE:
        int semi = l.indexOf(';');
        String hex = (semi < 0 ? l : l.substring(0, semi)).trim();
        try {
          long size = Long.parseLong(hex, 16);
          if (size < 0) {
            return fail("negative chunk size");
          }
          if (size == 0) {
            phase = Phase.TRAILERS;
          } else {
            remaining = size;
            phase = Phase.CHUNK_DATA;
          }
          return State.MORE;
        } catch (NumberFormatException e) {
          return fail("bad chunk size '" + abbreviate(l) + "'");
        }
      case CHUNK_CRLF:
        if (!l.isEmpty()) {
          return fail("chunk not followed by CRLF");
        }
        phase = Phase.CHUNK_SIZE;
        return State.MORE;
      case TRAILERS:
        return l.isEmpty() ? done() : State.MORE;
      default:
        throw new IllegalStateException(phase.name());
    }
  }

  private State statusLine(String l) {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ]
    if (!l.startsWith("HTTP/1.") || l.length() < 12 || l.charAt(8) != ' ') {
      return fail("bad status line '" + abbreviate(l) + "'");
    }
    int code = 0;
    for (int i = 9; i < 12; i++) {
      char c = l.charAt(i);
      if (c < '0' || c > '9') {
        return fail("bad status line '" + abbreviate(l) + "'");
      }
      code = code * 10 + (c - '0');
    }
    if (l.length() > 12 && l.charAt(12) != ' ') {
      return fail("bad status line '" + abbreviate(l) + "'");
    }
    status = code;
    phase = Phase.HEADERS;
    return State.MORE;
  }

  private State header(String l) {
    int colon = l.indexOf(':');
    if (colon <= 0) {
      return fail("bad header line '" + abbreviate(l) + "'");
    }
    String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
    String value = l.substring(colon + 1).trim();
    if (name.equals("content-length")) {
      try {
        long n = Long.parseLong(value);
        if (n < 0 || (contentLength >= 0 && contentLength != n)) {
          return fail("bad Content-Length '" + abbreviate(value) + "'");
        }
        contentLength = n;
      } catch (NumberFormatException e) {
        return fail("bad Content-Length '" + abbreviate(value) + "'");
      }
    } else if (name.equals("transfer-encoding")) {
      chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
    }
    return State.MORE;
  }

  private State endOfHeaders() {
    if (status >= 100 && status < 200 && status != 101) {
      // An interim response (100 Continue, 103 Early Hints): the final one follows.
      status = -1;
      headerCount = 0;
      contentLength = -1;
      chunked = false;
      phase = Phase.STATUS;
      return State.MORE;
    }
    if (headRequest || status == 204 || status == 304) {
      return done();
    }
    if (chunked) {
      phase = Phase.CHUNK_SIZE;
    } else if (contentLength >= 0) {
      if (contentLength == 0) {
        return done();
      }
      remaining = contentLength;
      phase = Phase.BODY_LENGTH;
    } else {
      phase = Phase.BODY_EOF;
    }
    return State.MORE;
  }

  private State fail(String why) {
    error = why;
    return State.ERROR;
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
