package io.github.lb4j.linux;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * One frame handed out by {@link PacketSocket#receive(ReceivedFrame.Handler, int)}, where it lies:
 * in the socket's RX ring or in one of its own buffers, seen both as a {@link MemorySegment} and as a
 * {@link ByteBuffer} over the same bytes with the same indexes, so that a translator working on
 * {@code ByteBuffer}s rewrites it in place and the segment sends it without a copy.
 *
 * <p>The region {@code [0, offset())} of {@link #buffer()} belongs to this frame alone: headroom the
 * frame may grow into (a VLAN tag, an IPIP header: at least {@link PacketSocket#HEADROOM} bytes with
 * an RX ring, which the socket reserves in every ring frame); {@code [offset() + length(),
 * buffer().capacity())} is tailroom.
 *
 * <p>{@link #held()}: with {@link PacketSocket.Options#holdFrames}, a frame in the RX ring stays the
 * caller's, unchanged by the kernel, until {@link PacketSocket#release()}; it may then be queued for
 * sending by reference ({@link PacketSocket#sendHeld}). A frame the socket rebuilt in its own buffers
 * (a segment of a super-frame, a frame read whole) is valid only during the handler's call.
 *
 * <p>A view the socket reuses for every frame: read it during the call; one thread; nothing
 * allocates or blocks.
 */
public final class ReceivedFrame {

  /**
   * Receives frames from {@link PacketSocket#receive(Handler, int)}, on the receiving thread. Must not
   * block or keep the view; see {@link ReceivedFrame} for how long the bytes stay.
   */
  @FunctionalInterface
  public interface Handler {

    /**
     * Handles one frame.
     *
     * @param frame the socket's view of it, valid during the call
     */
    void onFrame(ReceivedFrame frame);
  }

  private final VnetHeader vnet = new VnetHeader();
  private MemorySegment memory = MemorySegment.NULL;
  private ByteBuffer buffer = ByteBuffer.allocate(0);
  private int offset;
  private int length;
  private boolean held;

  ReceivedFrame() {}

  void set(MemorySegment memory, ByteBuffer buffer, int offset, int length, boolean held) {
    this.memory = memory;
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
    this.held = held;
  }

  /** {@return the memory holding the frame; index 0 is {@link #buffer()}'s index 0} */
  public MemorySegment memory() {
    return memory;
  }

  /** {@return the same bytes as {@link #memory()}, big-endian, position and limit unused} */
  public ByteBuffer buffer() {
    return buffer;
  }

  /** {@return where the frame's Ethernet header starts; also the headroom in front of it} */
  public int offset() {
    return offset;
  }

  /** {@return the frame's length in bytes} */
  public int length() {
    return length;
  }

  /** {@return whether the bytes stay the caller's until {@link PacketSocket#release()} (a held RX ring frame)} */
  public boolean held() {
    return held;
  }

  /**
   * {@return the frame's offloads ({@link PacketSocket.OffloadMode#CARRY}: a partial checksum, a
   * super-frame), offsets from {@link #offset()}} Empty in the other modes, where frames come
   * complete or as the kernel held them.
   */
  public VnetHeader vnet() {
    return vnet;
  }
}
