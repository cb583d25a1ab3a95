package io.github.lb4j.gateway.http;

import java.time.Duration;

/**
 * How a drain of an {@link HttpProxy} ended.
 *
 * @param finished client connections that ended by themselves (a response sent with {@code
 *     Connection: close}, an idle keep-alive connection closed)
 * @param cut client connections still in a request at the deadline, closed then
 * @param elapsed the drain's duration
 * @param complete whether every connection finished before the deadline
 */
public record HttpDrainReport(long finished, long cut, Duration elapsed, boolean complete) {}
