package io.github.lb4j.linux;

import java.lang.foreign.MemorySegment;

/**
 * Receives frames from {@link PacketSocket#receive(FrameHandler, int)} without copying them: with an
 * RX ring the segment is the ring itself, shared with the kernel.
 *
 * <p>Called on the thread that called {@code receive}; must not block or keep the segment: the frame
 * goes back to the kernel when the call returns. A handler that rewrites the frame in place and sends
 * it (for example with {@link PacketSocket#send(MemorySegment, long, int)}) does so inside the call.
 * Nothing is allocated per frame on the way to the handler; a handler on the packet path should not
 * allocate either.
 */
@FunctionalInterface
public interface FrameHandler {

  /**
   * Handles one frame.
   *
   * @param memory the memory holding the frame
   * @param offset where the frame's Ethernet header starts in {@code memory}
   * @param length the number of frame bytes present (may be less than the frame on the wire when the
   *     ring's frame size truncated it)
   */
  void onFrame(MemorySegment memory, long offset, int length);
}
