package io.github.lb4j.api;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Checks one target once (seed S2): ICMP echo, TCP connect, TCP half-open, HTTP status, content, ...
 *
 * <p>{@link #check} starts the check and returns at once; the future completes within the timeout
 * (plus scheduling slack) with a {@link HealthResult} that says healthy or not and why. It never
 * completes exceptionally for a network failure, a misbehaving server or a timeout: those are
 * results. It completes exceptionally only for a programming error (a null argument) or after
 * {@link #close()} (then with a {@link HealthReason#CLOSED} result, not an exception).
 *
 * <p>Thread-safe: any thread may start checks, concurrently, against any targets. A checker may share
 * one socket or event loop among all its checks. {@code check} does not block; it allocates the
 * future and per-check state. {@link #close()} releases every socket and thread the checker owns and
 * completes checks still running with {@link HealthReason#CLOSED}.
 *
 * <p>Create checkers by name with {@link HealthCheckers#create(String, java.util.Map)}. The {@code HealthMonitor} of {@code lb-health}
 * decides when to check and turns results into state transitions for a {@link HealthListener}.
 */
public interface HealthChecker extends AutoCloseable {

  /**
   * Returns the registry name of the method, for example {@code "tcp-half-open"}.
   *
   * @return the registry name of the method, for example {@code "tcp-half-open"}
   */
  String name();

  /**
   * Starts one check of one target.
   *
   * @param target the address and port to check (the port is ignored by ICMP)
   * @param timeout how long the whole check may take, positive
   * @return a future that completes normally with the result
   */
  CompletableFuture<HealthResult> check(InetSocketAddress target, Duration timeout);

  /** Releases every resource; checks in progress complete with {@link HealthReason#CLOSED}. Idempotent. */
  @Override
  void close();
}
