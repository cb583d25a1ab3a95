package io.github.lb4j.gateway.proxy;

/**
 * Counters of a {@link ProxyServer} since it started, read with {@link ProxyServer#stats()}.
 *
 * <p>Immutable; any thread may use it.
 *
 * @param accepted client connections accepted
 * @param active client connections open now
 * @param rejected client connections closed without a backend: none eligible, every attempt failed, or
 *     no descriptor was left for the backend connection
 * @param connectFailures backend connection attempts that failed (refused, unreachable, timed out)
 * @param retries attempts made on another backend after a failed one
 * @param connectTimeouts backend connection attempts that hit the connect timeout
 * @param idleTimeouts connections closed by the idle timeout
 * @param localShortages accepts and backend sockets that failed for the proxy's own lack of file
 *     descriptors or local ports; never counted as backend connect failures or retries
 */
public record ProxyStats(
    long accepted, long active, long rejected, long connectFailures, long retries, long connectTimeouts, long idleTimeouts,
    long localShortages) {}
