package io.github.lb4j.gateway.http;

import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Body framing (RFC 9112 6 and 7): decides how a message's body is delimited, and copies chunked
 * bodies chunk by chunk, checking every size line and CRLF, re-emitting them in canonical form
 * (lower-case hex, no chunk extensions, RFC 9112 7.1.1 lets a recipient ignore them) so that what a
 * backend parses is exactly what the proxy parsed.
 *
 * <p>Stateless; any thread.
 */
final class Bodies {

  /** A body delimited by the end of the connection (responses only). */
  static final long UNTIL_CLOSE = -1;
  /** A chunked body. */
  static final long CHUNKED = -2;

  /** The longest chunk-size line accepted, extensions included. */
  private static final int MAX_CHUNK_LINE = 4096;

  private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

  private Bodies() {}

  /**
   * The framing of a request (RFC 9112 6.3): its Content-Length, {@link #CHUNKED}, or 0. Refuses
   * every ambiguity instead of choosing, as a smuggling defence: Transfer-Encoding with
   * Content-Length, Content-Length repeated or a list, a value that is not 1*DIGIT, a transfer coding
   * other than a single final chunked, Transfer-Encoding in HTTP/1.0.
   *
   * @throws HttpError 400, 413 or 501
   */
  static long requestLength(Head h, HttpLimits limits) {
    int te = h.count("transfer-encoding");
    int cl = h.count("content-length");
    if (te > 0) {
      if (cl > 0) {
        throw new HttpError(400, "both Transfer-Encoding and Content-Length");
      }
      if (h.minor == 0) {
        throw new HttpError(400, "Transfer-Encoding in an HTTP/1.0 request");
      }
      var codings = h.tokens("transfer-encoding");
      int n = codings.size();
      for (int i = 0; i < n; i++) {
        String c = codings.get(i);
        if (c.isEmpty()) {
          throw new HttpError(400, "empty transfer coding");
        }
        if (c.equals("chunked") && i != n - 1) {
          throw new HttpError(400, "chunked is not the final transfer coding");
        }
      }
      if (!codings.get(n - 1).equals("chunked")) {
        throw new HttpError(400, "chunked is not the final transfer coding");
      }
      if (n > 1) {
        throw new HttpError(501, "transfer coding not implemented");
      }
      return CHUNKED;
    }
    if (cl == 0) {
      return 0;
    }
    if (cl > 1) {
      throw new HttpError(400, "more than one Content-Length");
    }
    long len = parseLength(h.first("content-length"));
    if (len < 0) {
      throw new HttpError(400, "invalid Content-Length");
    }
    if (len > limits.maxBodyBytes()) {
      throw new HttpError(413, "request body too large");
    }
    return len;
  }

  /**
   * The framing of a response to a request with the given method (RFC 9112 6.3): 0 for HEAD, 1xx,
   * 204 and 304; chunked when chunked is the final coding; until close for another coding or no
   * length; else its Content-Length.
   *
   * @throws HttpError 502 for an ambiguous or invalid length (both headers, a bad or repeated value)
   */
  static long responseLength(Head h, String method) {
    int s = h.status;
    if (method.equals("HEAD") || s < 200 || s == 204 || s == 304) {
      return 0;
    }
    int te = h.count("transfer-encoding");
    int cl = h.count("content-length");
    if (te > 0) {
      if (cl > 0) {
        throw new HttpError(502, "both Transfer-Encoding and Content-Length from the backend");
      }
      var codings = h.tokens("transfer-encoding");
      if (h.minor == 1 && codings.get(codings.size() - 1).equals("chunked")) {
        if (codings.size() > 1 || codings.indexOf("chunked") != codings.size() - 1) {
          throw new HttpError(502, "transfer coding the proxy does not decode");
        }
        return CHUNKED;
      }
      return UNTIL_CLOSE;
    }
    if (cl == 0) {
      return UNTIL_CLOSE;
    }
    long len = cl == 1 ? parseLength(h.first("content-length")) : -1;
    if (len < 0) {
      throw new HttpError(502, "invalid Content-Length from the backend");
    }
    return len;
  }

  /** 1*DIGIT with at most 18 digits, or -1. */
  static long parseLength(@Nullable String v) {
    if (v == null || v.isEmpty() || v.length() > 18) {
      return -1;
    }
    long n = 0;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  /**
   * Copies a chunked body from one wire to another (to null: reads and drops it), trailer section
   * included. With dechunk the data alone is written (for an HTTP/1.0 client, which then reads to
   * the close).
   *
   * @param bad the status for a framing error: 400 for a request, 502 for a response
   * @param maxBody the most data bytes accepted (413 beyond it for a request)
   * @return the data bytes copied
   */
  static long copyChunked(Wire from, @Nullable Wire to, boolean dechunk, long idleNanos, int bad, long maxBody,
      HttpLimits limits) throws IOException {
    long total = 0;
    byte[] line = new byte[20];
    while (true) {
      long deadline = idleNanos == 0 ? 0 : System.nanoTime() + idleNanos;
      int end = from.readLine(MAX_CHUNK_LINE, deadline, bad);
      int s = from.lineStart;
      byte[] b = from.buf;
      long size = 0;
      int i = s;
      while (i < end && hex(b[i]) >= 0) {
        if (i - s == 15) {
          throw new HttpError(bad, "chunk size too large");
        }
        size = (size << 4) | hex(b[i]);
        i++;
      }
      if (i == s) {
        throw new HttpError(bad, "invalid chunk size");
      }
      // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ): only visible characters,
      // spaces and tabs may follow, and only after a ';'.
      int j = i;
      while (j < end && (b[j] == ' ' || b[j] == '\t')) {
        j++;
      }
      if (j < end && b[j] != ';') {
        throw new HttpError(bad, "invalid chunk size");
      }
      for (int k = j; k < end; k++) {
        int c = b[k] & 0xFF;
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
          throw new HttpError(bad, "control character in a chunk extension");
        }
      }
      if (total + size > maxBody) {
        throw new HttpError(bad == 400 ? 413 : bad, "request body too large");
      }
      if (size == 0) {
        copyTrailers(from, to, dechunk, deadline, bad, limits);
        return total;
      }
      total += size;
      if (to != null && !dechunk) {
        int n = 0;
        long v = size;
        do {
          line[19 - n++] = HEX[(int) (v & 15)];
          v >>>= 4;
        } while (v != 0);
        to.write(line, 20 - n, n);
        to.crlf();
      }
      from.copy(size, to, idleNanos);
      from.require(2, idleNanos == 0 ? 0 : System.nanoTime() + idleNanos);
      if (from.buf[from.pos] != '\r' || from.buf[from.pos + 1] != '\n') {
        throw new HttpError(bad, "chunk data not followed by CRLF");
      }
      from.pos += 2;
      if (to != null && !dechunk) {
        to.crlf();
      }
    }
  }

  private static void copyTrailers(Wire from, @Nullable Wire to, boolean dechunk, long deadline, int bad,
      HttpLimits limits) throws IOException {
    if (to != null && !dechunk) {
      to.writeAscii("0\r\n");
    }
    int bytes = 0;
    int count = 0;
    while (true) {
      int end = from.readLine(limits.maxHeaderBytes(), deadline, bad);
      int s = from.lineStart;
      if (end == s) {
        if (to != null && !dechunk) {
          to.crlf();
        }
        return;
      }
      bytes += end - s + 2;
      if (bytes > limits.maxHeaderBytes() || ++count > limits.maxHeaders()) {
        throw new HttpError(bad == 400 ? 431 : bad, "trailer section too large");
      }
      Head t = new Head();
      try {
        HeadParser.field(t, from.buf, s, end);
      } catch (HttpError e) {
        throw new HttpError(bad, "invalid trailer field");
      }
      String name = t.names.get(0);
      if (to != null && !dechunk && !Hop.isFraming(name)) {
        to.writeField(name, t.values.get(0));
      }
    }
  }

  private static int hex(byte c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
