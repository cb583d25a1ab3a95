package io.github.lb4j.gateway.demo;

import java.util.Locale;

/**
 * The head of one HTTP/1.1 request (RFC 9112), parsed strictly enough that a malformed or ambiguous
 * request is refused with the status the RFC names instead of being guessed at: request line {@code
 * method SP target SP HTTP/1.x} (§3), header fields {@code name ":" OWS value OWS} with no whitespace
 * before the colon and no obsolete line folding (§5.1, §5.2), {@code Host} exactly once in HTTP/1.1
 * (§3.2), and an unambiguous body length (§6): {@code Content-Length} digits only (repeated values
 * must agree), {@code Transfer-Encoding} only {@code chunked} and never together with {@code
 * Content-Length}, so that no request can be read two ways (request smuggling, §11.2).
 *
 * <p>Immutable; {@link #parse} allocates the result and never blocks.
 *
 * @param method the method token, for example {@code GET}
 * @param target the request target, for example {@code /health}
 * @param http10 whether the version is HTTP/1.0
 * @param close whether the connection ends after the answer ({@code Connection: close}, or HTTP/1.0
 *     without {@code keep-alive})
 * @param contentLength the body length announced by {@code Content-Length}, 0 when none
 * @param chunked whether the body is chunked
 */
record RequestHead(String method, String target, boolean http10, boolean close, long contentLength, boolean chunked) {

  /** The longest Content-Length accepted: 18 digits never overflow a long. */
  private static final int MAX_LENGTH_DIGITS = 18;

  /** A request that cannot be answered normally: the status to answer with and why. */
  static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;

    final int status;

    Rejected(int status, String why) {
      super(why, null, false, false);
      this.status = status;
    }
  }

  /**
   * Parses a head: the bytes before the empty line, lines ended by CRLF (or a bare LF, RFC 9112 §2.2),
   * as ISO-8859-1 text.
   *
   * @param head the request line and header fields
   * @return the request
   * @throws Rejected with 400 (malformed), 501 (a transfer coding other than chunked) or 505 (a
   *     version other than HTTP/1.0 and HTTP/1.1)
   */
  static RequestHead parse(String head) throws Rejected {
    String[] lines = head.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String l = lines[i];
      lines[i] = l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
      if (lines[i].indexOf('\r') >= 0) {
        throw new Rejected(400, "bare CR in line " + (i + 1));
      }
    }
    String[] requestLine = lines[0].split(" ", -1);
    if (requestLine.length != 3) {
      throw new Rejected(400, "request line must be 'METHOD TARGET HTTP/1.1', was '" + printable(lines[0]) + "'");
    }
    String method = requestLine[0];
    String target = requestLine[1];
    String version = requestLine[2];
    if (!isToken(method)) {
      throw new Rejected(400, "bad method '" + printable(method) + "'");
    }
    if (target.isEmpty() || !isVisible(target)) {
      throw new Rejected(400, "bad request target '" + printable(target) + "'");
    }
    if (!version.matches("HTTP/[0-9]\\.[0-9]")) {
      throw new Rejected(400, "bad HTTP version '" + printable(version) + "'");
    }
    if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
      throw new Rejected(505, version + " is not supported; use HTTP/1.1");
    }
    boolean http10 = version.equals("HTTP/1.0");
    int hosts = 0;
    long contentLength = -1;
    String transferEncoding = null;
    boolean connectionClose = false;
    boolean keepAlive = false;
    for (int i = 1; i < lines.length; i++) {
      String l = lines[i];
      if (l.isEmpty()) {
        continue;
      }
      if (l.charAt(0) == ' ' || l.charAt(0) == '\t') {
        throw new Rejected(400, "obsolete line folding in line " + (i + 1));
      }
      int colon = l.indexOf(':');
      if (colon < 0) {
        throw new Rejected(400, "header field without a colon: '" + printable(l) + "'");
      }
      String name = l.substring(0, colon);
      if (!isToken(name)) {
        throw new Rejected(400, "bad header field name '" + printable(name) + "'");
      }
      String value = l.substring(colon + 1).strip();
      if (!isFieldValue(value)) {
        throw new Rejected(400, "control character in the value of " + name);
      }
      switch (name.toLowerCase(Locale.ROOT)) {
        case "host" -> hosts++;
        case "content-length" -> contentLength = contentLength(value, contentLength);
        case "transfer-encoding" -> transferEncoding = transferEncoding == null ? value : transferEncoding + ", " + value;
        case "connection" -> {
          for (String option : value.toLowerCase(Locale.ROOT).split(",")) {
            connectionClose |= option.strip().equals("close");
            keepAlive |= option.strip().equals("keep-alive");
          }
        }
        default -> {
          // Any other field is accepted and ignored.
        }
      }
    }
    if (!http10 && hosts != 1) {
      throw new Rejected(400, hosts == 0 ? "HTTP/1.1 request without Host" : "Host given " + hosts + " times");
    }
    boolean chunked = false;
    if (transferEncoding != null) {
      if (contentLength >= 0) {
        throw new Rejected(400, "both Transfer-Encoding and Content-Length");
      }
      if (http10) {
        throw new Rejected(400, "Transfer-Encoding in an HTTP/1.0 request");
      }
      String[] codings = transferEncoding.toLowerCase(Locale.ROOT).split(",");
      if (!codings[codings.length - 1].strip().equals("chunked")) {
        throw new Rejected(400, "Transfer-Encoding must end with chunked, was '" + printable(transferEncoding) + "'");
      }
      if (codings.length > 1) {
        throw new Rejected(501, "transfer coding '" + printable(transferEncoding) + "' is not implemented; only chunked");
      }
      chunked = true;
    }
    boolean close = connectionClose || (http10 && !keepAlive);
    return new RequestHead(method, target, http10, close, Math.max(0, contentLength), chunked);
  }

  private static long contentLength(String value, long previous) throws Rejected {
    long length = -1;
    for (String part : value.split(",", -1)) {
      String p = part.strip();
      if (p.isEmpty() || p.length() > MAX_LENGTH_DIGITS || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new Rejected(400, "Content-Length must be digits, was '" + printable(value) + "'");
      }
      long n = Long.parseLong(p);
      if (length >= 0 && n != length) {
        throw new Rejected(400, "Content-Length values disagree: '" + printable(value) + "'");
      }
      length = n;
    }
    if (previous >= 0 && previous != length) {
      throw new Rejected(400, "Content-Length given twice with different values");
    }
    return length;
  }

  /** RFC 9110 §5.6.2 token: one or more tchar. */
  static boolean isToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!tchar) {
        return false;
      }
    }
    return true;
  }

  private static boolean isVisible(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= 0x20 || c == 0x7F) {
        return false;
      }
    }
    return true;
  }

  /** RFC 9110 §5.5: visible characters, SP, HTAB and obs-text; no other control character. */
  private static boolean isFieldValue(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7F) {
        return false;
      }
    }
    return true;
  }

  /** Shows control characters as escapes and shortens long text, for error messages. */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && sb.length() < 60; i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7F) {
        sb.append(c);
      } else {
        sb.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
      }
    }
    return s.length() > 60 ? sb + "..." : sb.toString();
  }
}
