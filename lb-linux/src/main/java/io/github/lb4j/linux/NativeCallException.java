package io.github.lb4j.linux;

/**
 * A libc call failed: the message names the call with its arguments and the errno by its symbolic
 * name and description, for example {@code "socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) failed: EPERM
 * (Operation not permitted)"}.
 *
 * <p>Unchecked, because a failing socket or ioctl call in lb-linux is a configuration or privilege
 * problem the caller cannot retry around; outcomes of the traffic itself (a frame that did not fit,
 * a send that would block) are return values, not exceptions. Immutable; any thread may use it.
 * Allocated once per failed call (with its message); never blocks.
 */
public class NativeCallException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The call with its arguments. */
  private final String call;
  /** The errno value. */
  private final int errno;
  /** The symbolic errno name. */
  private final String errnoName;

  NativeCallException(String call, int errno, String errnoName, String message) {
    super(message);
    this.call = call;
    this.errno = errno;
    this.errnoName = errnoName;
  }

  static NativeCallException of(String call, int errno) {
    String name = LibC.errnoName(errno);
    return new NativeCallException(call, errno, name, describe(call, errno, name));
  }

  static String describe(String call, int errno, String name) {
    String text = LibC.errnoDescription(errno);
    return call + " failed: " + name + (text.isEmpty() ? "" : " (" + text + ")");
  }

  /**
   * Returns the call with its arguments, for example {@code "bind(AF_PACKET, ifindex 7)"}.
   *
   * @return the call that failed
   */
  public String call() {
    return call;
  }

  /**
   * Returns the errno value the call set.
   *
   * @return the errno value
   */
  public int errno() {
    return errno;
  }

  /**
   * Returns the symbolic errno name, for example {@code "EACCES"}.
   *
   * @return the errno name, or {@code "errno N"} when the C library has no name for it
   */
  public String errnoName() {
    return errnoName;
  }
}
