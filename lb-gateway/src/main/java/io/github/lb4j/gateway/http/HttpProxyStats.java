package io.github.lb4j.gateway.http;

/**
 * Counters of an {@link HttpProxy} since it started; a snapshot, read without a lock (each count is
 * exact, the set is not one instant).
 *
 * @param accepted client connections accepted
 * @param active client connections open now
 * @param requests requests received with a valid head
 * @param forwarded responses relayed from a backend
 * @param clientErrors requests refused by the proxy itself (400, 408, 413, 414, 417, 431, 501, 505)
 * @param backendErrors requests the proxy answered 502, 503 or 504 itself
 * @param retries requests sent again to another backend (or on a fresh connection)
 * @param backendConnects connections opened to backends
 * @param backendReuses requests sent on a pooled keep-alive connection
 * @param idleBackendConnections idle pooled backend connections now
 */
public record HttpProxyStats(long accepted, long active, long requests, long forwarded, long clientErrors,
    long backendErrors, long retries, long backendConnects, long backendReuses, int idleBackendConnections) {}
