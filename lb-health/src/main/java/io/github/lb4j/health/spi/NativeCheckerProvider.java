package io.github.lb4j.health.spi;

import io.github.lb4j.api.HealthChecker;
import java.util.Map;
import java.util.Set;

/**
 * Supplies one health-check method that needs native sockets, implemented outside lb-health
 * (lb-health-linux, on lb-linux's FFM bindings on JDK 22+).
 *
 * <p>lb-health owns the public names: {@code HealthCheckers.create("icmp", ...)} and {@code
 * HealthCheckers.create("tcp-half-open", Map.of("way", "raw", ...))} look up the implementation
 * whose {@link #method()} is {@link #ICMP} or {@link #TCP_HALF_OPEN_RAW} and delegate to it; when
 * none is present, creation fails with an {@link UnsupportedOperationException} saying that
 * lb-health-linux on JDK 22+ is needed. The options passed to {@link #create} are the caller's, minus the {@code
 * way} option that lb-health consumed.
 *
 * <p>Implementations must be thread-safe and have a public no-argument constructor (or a public
 * static {@code provider()} method). {@link #create} may allocate and open sockets but must not
 * block on the network. The checkers they create follow the whole {@link HealthChecker} contract:
 * results are values, never exceptions, and {@code close()} releases every native resource.
 */
public interface NativeCheckerProvider {

  /** The {@link #method()} of an ICMP echo checker (seed S2.1). */
  String ICMP = "icmp";

  /** The {@link #method()} of a TCP half-open checker that sends its SYN on a raw socket (seed S2.3). */
  String TCP_HALF_OPEN_RAW = "tcp-half-open/raw";

  /**
   * Returns which method this provider implements: {@link #ICMP} or {@link #TCP_HALF_OPEN_RAW}.
   *
   * @return which method this provider implements
   */
  String method();

  /**
   * Returns one line saying what the checker does and what it needs (for example CAP_NET_RAW).
   *
   * @return one line saying what the checker does and what it needs
   */
  String description();

  /**
   * Returns the option names {@link #create} accepts.
   *
   * @return the option names {@link #create} accepts
   */
  Set<String> optionNames();

  /**
   * Creates a checker.
   *
   * @param options the caller's options without {@code way}
   * @return a new checker, to be closed by the caller
   * @throws IllegalArgumentException naming the option and value when one is unknown or invalid
   * @throws UnsupportedOperationException saying what is missing (a capability such as CAP_NET_RAW,
   *     a sysctl such as net.ipv4.ping_group_range) when this host cannot run the method
   */
  HealthChecker create(Map<String, String> options);
}
