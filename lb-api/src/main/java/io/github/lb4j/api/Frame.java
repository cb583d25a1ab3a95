package io.github.lb4j.api;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One link-layer frame inside a buffer, with headroom in front of it for encapsulation: the bytes
 * {@code [offset, offset + length)} of {@link #buffer()} hold the frame starting at its Ethernet
 * header; {@code [0, offset)} is headroom a translator may grow the frame into (IPIP needs 20 bytes
 * for IPv4, 40 for IPv6). Translators rewrite in place and move {@link #offset()} and {@link
 * #length()} when the frame grows or shrinks.
 *
 * <p>Mutable and reusable: one instance belongs to one thread (a datapath worker), which points it
 * at each received frame. Never allocates after construction; never blocks. Positions are absolute
 * indexes into the buffer; the buffer's own position and limit are not used.
 */
public final class Frame {

  private ByteBuffer buffer;
  private int offset;
  private int length;
  private int ingressPort;

  /**
   * Creates a frame view over a buffer.
   *
   * @param buffer the buffer, heap or direct
   * @param offset where the frame starts (also the headroom available)
   * @param length the frame's length in bytes
   * @throws IllegalArgumentException when the region does not fit the buffer
   */
  public Frame(ByteBuffer buffer, int offset, int length) {
    this.buffer = Objects.requireNonNull(buffer, "buffer");
    set(buffer, offset, length);
  }

  /**
   * Points this view at another frame. Allocation-free.
   *
   * @param buffer the buffer
   * @param offset where the frame starts
   * @param length its length
   * @return this frame
   * @throws IllegalArgumentException when the region does not fit the buffer
   */
  public Frame set(ByteBuffer buffer, int offset, int length) {
    if (offset < 0 || length < 0 || offset > buffer.capacity() - length) {
      throw new IllegalArgumentException(
          "frame [" + offset + ", " + offset + " + " + length + ") does not fit a buffer of " + buffer.capacity());
    }
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /**
   * Moves the frame's start and length within the same buffer (for example after encapsulation).
   *
   * @param offset the new start
   * @param length the new length
   * @return this frame
   * @throws IllegalArgumentException when the region does not fit the buffer
   */
  public Frame region(int offset, int length) {
    return set(buffer, offset, length);
  }

  /**
   * Returns the buffer holding the frame.
   *
   * @return the buffer holding the frame
   */
  public ByteBuffer buffer() {
    return buffer;
  }

  /**
   * Returns the index of the frame's first byte, which is also the headroom in front of it.
   *
   * @return the index of the frame's first byte, which is also the headroom in front of it
   */
  public int offset() {
    return offset;
  }

  /**
   * Returns the frame's length in bytes.
   *
   * @return the frame's length in bytes
   */
  public int length() {
    return length;
  }

  /**
   * Returns the bytes free after the frame, up to the buffer's capacity.
   *
   * @return the bytes free after the frame, up to the buffer's capacity
   */
  public int tailroom() {
    return buffer.capacity() - offset - length;
  }

  /**
   * Returns the port (interface) the frame arrived on, in the caller's numbering.
   *
   * @return the port (interface) the frame arrived on, in the caller's numbering
   */
  public int ingressPort() {
    return ingressPort;
  }

  /**
   * Sets the port the frame arrived on.
   *
   * @param port the caller's interface number
   * @return this frame
   */
  public Frame ingressPort(int port) {
    this.ingressPort = port;
    return this;
  }

  @Override
  public String toString() {
    return "Frame[offset=" + offset + ", length=" + length + ", port=" + ingressPort + "]";
  }
}
