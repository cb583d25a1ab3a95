package io.github.lb4j.api;

import org.jspecify.annotations.Nullable;

/**
 * The result of {@link NatTranslator#translate} as one {@code int}, so the packet path returns it
 * without allocating (as Aeron's {@code Publication.offer} returns negative codes).
 *
 * <pre>
 *  31                16 15           8 7            0
 * +--------------------+--------------+--------------+
 * |  port / next hop   | drop reason  |    action    |
 * +--------------------+--------------+--------------+
 * </pre>
 *
 * <ul>
 *   <li>{@link #FORWARD}: send the rewritten frame out of port {@link #port(int)} (0..65535, the
 *       caller's numbering of its interfaces or next hops);
 *   <li>{@link #REPLY}: the translator turned the frame into an answer (ARP reply, ICMP echo reply,
 *       ICMP error): send it back where it came from;
 *   <li>{@link #DROP}: discard it; {@link #reason(int)} says why.
 * </ul>
 *
 * <p>Static and stateless: any thread; never allocates, never blocks.
 */
public final class Verdict {

  /** Action code: discard the frame. */
  public static final int DROP = 0;
  /** Action code: send the frame out of a port. */
  public static final int FORWARD = 1;
  /** Action code: send the frame back out of the port it came in on. */
  public static final int REPLY = 2;

  private Verdict() {}

  /**
   * Encodes "forward out of this port".
   *
   * @param port 0..65535
   * @return the verdict
   */
  public static int forward(int port) {
    return ((port & 0xFFFF) << 16) | FORWARD;
  }

  /**
   * Returns the verdict "send back where it came from".
   *
   * @return the verdict "send back where it came from"
   */
  public static int reply() {
    return REPLY;
  }

  /**
   * Encodes "drop for this reason".
   *
   * @param reason the reason
   * @return the verdict
   */
  public static int drop(DropReason reason) {
    return (reason.code() << 8) | DROP;
  }

  /**
   * Extracts the action.
   *
   * @param verdict a verdict
   * @return {@link #DROP}, {@link #FORWARD} or {@link #REPLY}
   */
  public static int action(int verdict) {
    return verdict & 0xFF;
  }

  /**
   * Extracts the port of a forward verdict.
   *
   * @param verdict a verdict
   * @return 0..65535
   */
  public static int port(int verdict) {
    return verdict >>> 16;
  }

  /**
   * Extracts the reason of a drop verdict.
   *
   * @param verdict a verdict
   * @return the reason, or {@code null} when the verdict is not a drop
   */
  public static @Nullable DropReason reason(int verdict) {
    return action(verdict) == DROP ? DropReason.ofCode((verdict >>> 8) & 0xFF) : null;
  }

  /**
   * Formats a verdict for logs and traces (allocates).
   *
   * @param verdict a verdict
   * @return for example {@code "forward(2)"} or {@code "drop(NO_FLOW)"}
   */
  public static String toString(int verdict) {
    switch (action(verdict)) {
      case FORWARD:
        return "forward(" + port(verdict) + ")";
      case REPLY:
        return "reply";
      case DROP:
        return "drop(" + reason(verdict) + ")";
      default:
        return "unknown(0x" + Integer.toHexString(verdict) + ")";
    }
  }
}
