package io.github.lb4j.gateway.http;

import java.nio.charset.StandardCharsets;

/**
 * Parses the lines of one message head, already split on CRLF by {@link Wire#readHead}, with RFC
 * 9112's grammar applied strictly, because every leniency here is a request-smuggling vector when
 * the proxy and a backend are lenient differently:
 *
 * <ul>
 *   <li>request-line = method SP request-target SP HTTP-version, one space each (3); the method a
 *       token, the target visible ASCII only;
 *   <li>HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (2.3); 1.x accepted, a higher 1.x
 *       handled as 1.1 (RFC 9110 6.2), any other major version 505;
 *   <li>field-line = field-name ":" OWS field-value OWS (5); no whitespace between name and colon
 *       (5.1: MUST reject with 400), no obs-fold (5.2: 400), a name made of token characters, a
 *       value of VCHAR, SP, HTAB and obs-text only: a NUL, bare CR or other control is refused (RFC
 *       9110 5.5).
 * </ul>
 *
 * <p>Stateless; any thread. Allocates the head's strings.
 */
final class HeadParser {

  private static final boolean[] TCHAR = new boolean[256];

  static {
    for (char c = '0'; c <= '9'; c++) {
      TCHAR[c] = true;
    }
    for (char c = 'a'; c <= 'z'; c++) {
      TCHAR[c] = true;
      TCHAR[c - 32] = true;
    }
    for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
      TCHAR[c] = true;
    }
  }

  private HeadParser() {}

  static boolean isTchar(int b) {
    return TCHAR[b & 0xFF];
  }

  /**
   * Parses a request head.
   *
   * @param buf the bytes
   * @param starts the start of each line
   * @param ends the end of each line, before its CRLF
   * @param lines the number of lines, 1 or more
   * @throws HttpError 400, 501 or 505
   */
  static Head request(byte[] buf, int[] starts, int[] ends, int lines) {
    Head h = new Head();
    int s = starts[0];
    int e = ends[0];
    int sp1 = -1;
    for (int i = s; i < e; i++) {
      int b = buf[i] & 0xFF;
      if (b == ' ') {
        sp1 = i;
        break;
      }
      if (!TCHAR[b]) {
        throw new HttpError(400, "invalid character in the method");
      }
    }
    if (sp1 <= s) {
      throw new HttpError(400, "malformed request line");
    }
    int sp2 = -1;
    for (int i = sp1 + 1; i < e; i++) {
      int b = buf[i] & 0xFF;
      if (b == ' ') {
        sp2 = i;
        break;
      }
      if (b <= 0x20 || b >= 0x7F) {
        throw new HttpError(400, "invalid character in the request target");
      }
    }
    if (sp2 < 0 || sp2 == sp1 + 1) {
      throw new HttpError(400, "malformed request line");
    }
    h.method = new String(buf, s, sp1 - s, StandardCharsets.ISO_8859_1);
    h.target = new String(buf, sp1 + 1, sp2 - sp1 - 1, StandardCharsets.ISO_8859_1);
    h.minor = version(buf, sp2 + 1, e, true);
    fields(h, buf, starts, ends, lines);
    return h;
  }

  /**
   * Parses a response head: status-line = HTTP-version SP 3DIGIT SP [reason-phrase]; a missing SP
   * after the code is tolerated (common, and it cannot change the framing).
   *
   * @throws HttpError 502 for anything malformed: the backend broke the protocol
   */
  static Head response(byte[] buf, int[] starts, int[] ends, int lines) {
    Head h = new Head();
    int s = starts[0];
    int e = ends[0];
    if (e - s < 12 || buf[s + 8] != ' ') {
      throw new HttpError(502, "malformed status line from the backend");
    }
    try {
      h.minor = version(buf, s, s + 8, false);
      fields(h, buf, starts, ends, lines);
    } catch (HttpError x) {
      throw new HttpError(502, "malformed response head from the backend");
    }
    int code = 0;
    for (int i = s + 9; i < s + 12; i++) {
      int d = buf[i] - '0';
      if (d < 0 || d > 9) {
        throw new HttpError(502, "malformed status code from the backend");
      }
      code = code * 10 + d;
    }
    if (code < 100) {
      throw new HttpError(502, "malformed status code from the backend");
    }
    if (e > s + 12) {
      if (buf[s + 12] != ' ') {
        throw new HttpError(502, "malformed status line from the backend");
      }
      for (int i = s + 13; i < e; i++) {
        int b = buf[i] & 0xFF;
        if ((b < 0x20 && b != '\t') || b == 0x7F) {
          throw new HttpError(502, "control character in the backend's reason phrase");
        }
      }
      h.reason = new String(buf, s + 13, e - s - 13, StandardCharsets.ISO_8859_1);
    }
    h.status = code;
    return h;
  }

  /** Parses HTTP-version in [s, e); returns the minor version to use. */
  private static int version(byte[] b, int s, int e, boolean request) {
    if (e - s != 8 || b[s] != 'H' || b[s + 1] != 'T' || b[s + 2] != 'T' || b[s + 3] != 'P' || b[s + 4] != '/'
        || b[s + 6] != '.' || !digit(b[s + 5]) || !digit(b[s + 7])) {
      throw new HttpError(400, "malformed HTTP version");
    }
    if (b[s + 5] != '1') {
      throw new HttpError(request ? 505 : 502, "HTTP version not supported");
    }
    return b[s + 7] == '0' ? 0 : 1;
  }

  private static boolean digit(byte b) {
    return b >= '0' && b <= '9';
  }

  /** Field lines 1..lines-1 into the head. */
  static void fields(Head h, byte[] buf, int[] starts, int[] ends, int lines) {
    for (int l = 1; l < lines; l++) {
      field(h, buf, starts[l], ends[l]);
    }
  }

  /** One field line [s, e) into the head; also used for chunked trailers. */
  static void field(Head h, byte[] buf, int s, int e) {
    int first = buf[s] & 0xFF;
    if (first == ' ' || first == '\t') {
      throw new HttpError(400, "obsolete line folding");
    }
    int colon = -1;
    for (int i = s; i < e; i++) {
      int b = buf[i] & 0xFF;
      if (b == ':') {
        colon = i;
        break;
      }
      if (!TCHAR[b]) {
        throw new HttpError(400, b == ' ' || b == '\t' ? "whitespace before the colon of a field" : "invalid field name");
      }
    }
    if (colon < 0) {
      throw new HttpError(400, "field line without a colon");
    }
    if (colon == s) {
      throw new HttpError(400, "empty field name");
    }
    int vs = colon + 1;
    int ve = e;
    while (vs < ve && (buf[vs] == ' ' || buf[vs] == '\t')) {
      vs++;
    }
    while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t')) {
      ve--;
    }
    for (int i = vs; i < ve; i++) {
      int b = buf[i] & 0xFF;
      if ((b < 0x20 && b != '\t') || b == 0x7F) {
        throw new HttpError(400, b == '\r' ? "bare CR in a field value" : "control character in a field value");
      }
    }
    h.add(new String(buf, s, colon - s, StandardCharsets.ISO_8859_1),
        new String(buf, vs, ve - vs, StandardCharsets.ISO_8859_1));
  }
}
