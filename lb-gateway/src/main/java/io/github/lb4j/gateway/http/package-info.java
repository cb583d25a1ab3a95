/**
 * The embeddable HTTP/1.1 reverse proxy ({@code lb proxy --mode http}): {@link
 * io.github.lb4j.gateway.http.HttpProxy} balances each request over a {@code BackendPool} (lb-pool),
 * parses requests strictly (RFC 9112), reuses backend connections, retries idempotent requests on
 * another backend and feeds live 5xx answers to outlier detection.
 */
@NullMarked
package io.github.lb4j.gateway.http;

import org.jspecify.annotations.NullMarked;
