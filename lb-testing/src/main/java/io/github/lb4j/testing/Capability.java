package io.github.lb4j.testing;

import java.util.Locale;

/**
 * The Linux capabilities lb4j's privileged tests ask for, with their numbers from {@code
 * linux/capability.h}.
 */
public enum Capability {
  /** Interfaces, addresses, routes, promiscuous mode, {@code SO_RCVBUFFORCE}. */
  NET_ADMIN(12),
  /** Raw and packet sockets. */
  NET_RAW(13),
  /** {@code setns(2)} and {@code ip netns}. */
  SYS_ADMIN(21);

  private final int number;

  Capability(int number) {
    this.number = number;
  }

  /**
   * Returns the bit of this capability in the sets of {@code /proc/self/status} and {@code capget(2)}.
   *
   * @return 0..63
   */
  public int number() {
    return number;
  }

  /**
   * Returns the name as the kernel and {@code capsh} print it, for example {@code CAP_NET_RAW}.
   *
   * @return the name
   */
  public String kernelName() {
    return "CAP_" + name().toUpperCase(Locale.ROOT);
  }
}
