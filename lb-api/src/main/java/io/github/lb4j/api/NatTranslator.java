package io.github.lb4j.api;

/**
 * The userspace packet-rewrite core of one forwarding mode (seed S5, S6): takes one frame and the
 * direction it travels, rewrites it in place (headers, checksums incrementally, encapsulation into
 * the headroom) and returns a {@link Verdict}.
 *
 * <p>A malformed, truncated or unexpected frame is never an exception: it is a drop verdict with a
 * {@link DropReason}, counted per reason. A translator never reads or writes outside {@code
 * [0, offset + length)} of the frame's buffer (plus, for a reply it builds, the tailroom).
 *
 * <p>Threading: one thread per translator instance (a datapath worker owns its translator and flow
 * table); statistics may be read from other threads. {@link #translate} never allocates and never
 * blocks. One implementation per {@link ForwardingMode}; all share the flow table design of
 * {@code lb-nat}.
 */
public interface NatTranslator {

  /**
   * Returns the forwarding mode this translator implements.
   *
   * @return the forwarding mode this translator implements
   */
  ForwardingMode mode();

  /**
   * Translates one frame in place.
   *
   * @param frame the frame; its offset and length may change (encapsulation, replies)
   * @param direction client-to-server for requests, server-to-client for replies
   * @return a verdict built by {@link Verdict}
   */
  int translate(Frame frame, Direction direction);
}
