package io.github.lb4j.api;

import java.util.Locale;

/**
 * How the balancer forwards a flow to its real server (seed S5, S6; DESIGN.md "Forwarding modes").
 *
 * <p>Any thread may use it; it never allocates (except {@link #parse}) and never blocks.
 */
public enum ForwardingMode {
  /** S5.1: destination IP VIP to RIP and destination MAC; the reply's source goes back to the VIP. */
  TRANSPARENT("transparent", true),
  /** S5.2: destination IP rewrite, both MACs, TTL decrement; the servers' gateway is the balancer. */
  ROUTER("router", true),
  /** S5.3a: only the destination MAC changes; servers hold the VIP on loopback and reply directly. */
  DSR_L2("dsr-l2", false),
  /** S5.3b: IP-in-IP (or IPv6-in-IPv6) encapsulation to the real server, which decapsulates and replies directly. */
  DSR_IPIP("dsr-ipip", false),
  /** S5.3b: destination IP to RIP plus a DSCP value naming the VIP, restored statelessly on the server. */
  DSR_DSCP("dsr-dscp", false),
  /** S6.1b: source to a pool address and port, destination to RIP; replies reversed on both. */
  FULL_NAT("full-nat", true);

  private final String modeName;
  private final boolean repliesPassBalancer;

  ForwardingMode(String modeName, boolean repliesPassBalancer) {
    this.modeName = modeName;
    this.repliesPassBalancer = repliesPassBalancer;
  }

  /**
   * Returns the name used in configuration and on the command line, for example {@code "dsr-l2"}.
   *
   * @return the name used in configuration and on the command line, for example {@code "dsr-l2"}
   */
  public String modeName() {
    return modeName;
  }

  /**
   * Returns whether replies come back through the balancer (false for every DSR mode).
   *
   * @return whether replies come back through the balancer (false for every DSR mode)
   */
  public boolean repliesPassBalancer() {
    return repliesPassBalancer;
  }

  /**
   * Finds a mode by its {@link #modeName()}.
   *
   * @param name for example {@code "full-nat"}
   * @return the mode
   * @throws IllegalArgumentException listing the known names when {@code name} is not one
   */
  public static ForwardingMode parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (ForwardingMode m : values()) {
      if (m.modeName.equals(n)) {
        return m;
      }
    }
    StringBuilder known = new StringBuilder();
    for (ForwardingMode m : values()) {
      known.append(known.length() == 0 ? "" : ", ").append(m.modeName);
    }
    throw new IllegalArgumentException("unknown forwarding mode '" + name + "'; known: " + known);
  }
}
