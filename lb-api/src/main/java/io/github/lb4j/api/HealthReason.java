package io.github.lb4j.api;

/**
 * Why a health check gave its verdict.
 *
 * <p>Any thread may use it; it never allocates and never blocks.
 */
public enum HealthReason {
  /** The check passed. */
  OK,
  /** No answer within the timeout (connect, reply, or a response that trickled too slowly). */
  TIMEOUT,
  /** The target refused the connection (TCP RST to the SYN, ICMP port unreachable for UDP). */
  REFUSED,
  /** The connection was reset after it was established. */
  RESET,
  /** No route or host unreachable (ICMP destination unreachable, ENETUNREACH, EHOSTUNREACH). */
  UNREACHABLE,
  /** The server answered with a status the check does not accept (for example HTTP 503). */
  UNEXPECTED_STATUS,
  /** The response body did not contain, match or avoid the configured content. */
  CONTENT_MISMATCH,
  /** The server answered something else than expected (a script's expect step, a UDP reply). */
  UNEXPECTED_REPLY,
  /** The server broke the protocol (a malformed HTTP status line, a connection closed mid-response). */
  PROTOCOL_ERROR,
  /** The TLS handshake failed (untrusted certificate, no common cipher, ...). */
  TLS_ERROR,
  /** A local I/O failure that fits no other reason; the detail says which. */
  IO_ERROR,
  /** The checker was closed before the check completed. */
  CLOSED,
  /** Passive outlier detection ejected the backend from real traffic outcomes (consecutive failures, low success rate). */
  OUTLIER_EJECTED
}
