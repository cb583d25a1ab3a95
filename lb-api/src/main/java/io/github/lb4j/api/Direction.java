package io.github.lb4j.api;

/**
 * Which way a frame travels through the balancer.
 *
 * <p>Any thread may use it; it never allocates and never blocks.
 */
public enum Direction {
  /** From a client towards the VIP: the request side, balanced to a backend. */
  CLIENT_TO_SERVER,
  /** From a backend towards a client: the reply side, in modes whose replies pass the balancer. */
  SERVER_TO_CLIENT
}
