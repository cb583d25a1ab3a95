package io.github.lb4j.gateway.http;

/**
 * The size limits a message head must keep, checked while it arrives so that no client can make the
 * proxy buffer more than {@code maxRequestLine + maxHeaderBytes} per connection.
 *
 * @param maxRequestLine bytes of the request line without its CRLF; beyond it 414 (URI Too Long)
 * @param maxHeaderBytes bytes of the field lines with their CRLFs; beyond it 431
 * @param maxHeaders field lines; beyond it 431 (Request Header Fields Too Large, RFC 6585 5)
 * @param maxBodyBytes request body bytes; beyond it 413 (Content Too Large), Long.MAX_VALUE for none
 */
record HttpLimits(int maxRequestLine, int maxHeaderBytes, int maxHeaders, long maxBodyBytes) {

  /** HAProxy's and nginx's orders of magnitude: 8 KiB line, 16 KiB of fields, 100 fields, no body limit. */
  static final HttpLimits DEFAULT = new HttpLimits(8192, 16384, 100, Long.MAX_VALUE);

  HttpLimits {
    if (maxRequestLine < 16) {
      throw new IllegalArgumentException("max-request-line must be at least 16 bytes, was " + maxRequestLine);
    }
    if (maxHeaderBytes < 64) {
      throw new IllegalArgumentException("max-header-size must be at least 64 bytes, was " + maxHeaderBytes);
    }
    if (maxHeaders < 1) {
      throw new IllegalArgumentException("max-headers must be at least 1, was " + maxHeaders);
    }
    if (maxBodyBytes < 0) {
      throw new IllegalArgumentException("max-body-size must be 0 or more, was " + maxBodyBytes);
    }
  }

  /** The most bytes one head may take, with its CRLFs and a few leading empty lines. */
  int maxHeadBytes() {
    return maxRequestLine + maxHeaderBytes + 16;
  }
}
