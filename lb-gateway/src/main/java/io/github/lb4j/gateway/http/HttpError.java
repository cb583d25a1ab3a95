package io.github.lb4j.gateway.http;

/**
 * A message the proxy refuses, with the status it answers and a fixed reason (never text taken from
 * the message, so an error page cannot reflect a client's bytes). Carries no stack trace: it is an
 * outcome of bad input, not a fault of the proxy.
 */
final class HttpError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The status to answer: 400, 408, 413, 414, 417, 431, 501 or 505. */
  final int status;

  HttpError(int status, String reason) {
    super(reason, null, false, false);
    this.status = status;
  }
}
