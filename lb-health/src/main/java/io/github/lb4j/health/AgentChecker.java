package io.github.lb4j.health;

import io.github.lb4j.api.HealthChecker;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * HAProxy's agent check (configuration manual, "agent-check", "agent-send", "agent-port"): a TCP
 * connection to an agent running beside the backend, which answers one line saying how the
 * backend wants to be treated (weight, connection limit, drain, maintenance, up or down). Created
 * by name {@code agent} through {@link io.github.lb4j.api.HealthCheckers#create}; cast the checker
 * to this type for the typed answer of {@link #query}, which a pool applies; {@link #check} gives
 * its {@link AgentReport#result()} only.
 *
 * <p>Options: {@code send}, bytes written once connected (HAProxy {@code agent-send}; escapes
 * {@code \r \n \t \0 \\ \xHH}), default none; {@code max-line-bytes}, the longest line accepted,
 * 16..65536, default 1024. The agent's address and port are the check target.
 *
 * <p>Thread-safe as every {@link HealthChecker}: any thread may start queries, concurrently; they
 * share the checkers' event loop, never block, and complete within the timeout.
 */
public interface AgentChecker extends HealthChecker {

  /**
   * Connects to the agent, sends the {@code send} option if any, and reads one line.
   *
   * @param target the agent's address and port
   * @param timeout how long the whole query may take, positive
   * @return a future that completes normally with what the agent said, or with the connection
   *     failure ({@link AgentReport#answered()} false)
   */
  CompletableFuture<AgentReport> query(InetSocketAddress target, Duration timeout);
}
