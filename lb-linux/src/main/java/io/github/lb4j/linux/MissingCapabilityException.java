package io.github.lb4j.linux;

/**
 * A call failed with {@code EPERM} or {@code EACCES} because the process lacks a privilege: {@code
 * CAP_NET_RAW} for raw and packet sockets, {@code CAP_NET_ADMIN} for some interface settings, or
 * membership of {@code net.ipv4.ping_group_range} for ping sockets. The message says which and what to
 * do about it, for example run as root, {@code setcap cap_net_raw+ep} on the java binary, or widen the
 * ping group range with sysctl.
 *
 * <p>Immutable; any thread may use it. Allocated once per failed call (with its message); never blocks.
 */
public final class MissingCapabilityException extends NativeCallException {

  private static final long serialVersionUID = 1L;

  /** What the operator can do to grant the missing privilege. */
  private final String remedy;

  MissingCapabilityException(String call, int errno, String remedy) {
    super(call, errno, LibC.errnoName(errno), describe(call, errno, LibC.errnoName(errno)) + "; " + remedy);
    this.remedy = remedy;
  }

  /**
   * Returns what the operator can do to grant the missing privilege.
   *
   * @return one sentence naming the capability or sysctl and how to grant it
   */
  public String remedy() {
    return remedy;
  }
}
