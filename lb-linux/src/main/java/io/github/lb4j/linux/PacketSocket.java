package io.github.lb4j.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * An {@code AF_PACKET} socket ({@code packet(7)}) bound to one interface: whole Ethernet frames in
 * and out, for a userspace datapath.
 *
 * <p>Receiving either copies each frame out of the kernel with {@code recvfrom(2)}, or, with {@link
 * Options#rxRing}, reads frames in place from a memory-mapped {@code TPACKET_V2} RX ring shared with
 * the kernel ({@code Documentation/networking/packet_mmap.rst}): one {@code poll(2)} wakes the reader
 * for a whole batch, and {@link #receive(FrameHandler, int)} hands out each frame without a system
 * call or a copy. Sending is one {@code sendto(2)} per frame; the frame must carry its Ethernet
 * header. Frames this socket (or any other on the host) sends out of the interface are not received
 * back unless {@link Options#ignoreOutgoing} is turned off.
 *
 * <p>Privileges: {@code CAP_NET_RAW}, otherwise {@link #open} throws {@link
 * MissingCapabilityException}. Promiscuous mode is a {@code PACKET_MR_PROMISC} membership, which the
 * kernel counts and drops when the socket closes.
 *
 * <p>Not thread-safe: one worker thread owns a socket (open it there or hand it over safely). After
 * {@link #open}, receiving and sending never allocate and never block; {@link #poll} blocks up to
 * its timeout. {@link #close()} unmaps the ring, closes the descriptor and frees the socket's {@link
 * Arena}.
 */
public final class PacketSocket implements AutoCloseable {

  /**
   * How to open a packet socket.
   *
   * @param rxRingFrames frames in the memory-mapped RX ring, 0 for no ring (copying receive)
   * @param frameSize bytes per ring frame including the 64-byte kernel header, a multiple of 16
   *     between 128 and 65536; frames longer than {@code frameSize - 64} are truncated
   * @param promiscuous whether to receive frames addressed to other MACs
   * @param ignoreOutgoing whether to skip frames sent out of the interface ({@code
   *     PACKET_IGNORE_OUTGOING}, Linux 4.20+)
   * @param receiveBufferBytes socket receive buffer for copying receive, 0 for the kernel default
   */
  public record Options(int rxRingFrames, int frameSize, boolean promiscuous, boolean ignoreOutgoing, int receiveBufferBytes) {

    /** Checks the values; see the record components. */
    public Options {
      if (rxRingFrames < 0 || rxRingFrames > (1 << 20)) {
        throw new IllegalArgumentException("rxRingFrames must be 0..1048576, was " + rxRingFrames);
      }
      if (frameSize < 128 || frameSize > 65536 || frameSize % 16 != 0) {
        throw new IllegalArgumentException("frameSize must be a multiple of 16 in 128..65536, was " + frameSize);
      }
      if (receiveBufferBytes < 0) {
        throw new IllegalArgumentException("receiveBufferBytes must be >= 0, was " + receiveBufferBytes);
      }
    }

    /**
     * No ring, not promiscuous, outgoing frames ignored, default buffers, 2048-byte frames.
     *
     * @return the defaults
     */
    public static Options defaults() {
      return new Options(0, 2048, false, true, 0);
    }

    /**
     * Returns these options with an RX ring.
     *
     * @param frames ring frames, for example 1024
     * @param size bytes per frame, for example 2048 for a 1500-byte MTU
     * @return the new options
     */
    public Options rxRing(int frames, int size) {
      return new Options(frames, size, promiscuous, ignoreOutgoing, receiveBufferBytes);
    }

    /**
     * Returns these options with promiscuous mode on or off.
     *
     * @param on whether to receive frames for other MACs
     * @return the new options
     */
    public Options promiscuous(boolean on) {
      return new Options(rxRingFrames, frameSize, on, ignoreOutgoing, receiveBufferBytes);
    }

    /**
     * Returns these options with outgoing frames skipped or received.
     *
     * @param on whether to skip frames sent out of the interface
     * @return the new options
     */
    public Options ignoreOutgoing(boolean on) {
      return new Options(rxRingFrames, frameSize, promiscuous, on, receiveBufferBytes);
    }
  }

  /**
   * Kernel counters of a packet socket ({@code PACKET_STATISTICS}), cumulative since open.
   *
   * @param packets frames the socket accepted
   * @param drops frames lost because the ring or buffer was full
   */
  public record Statistics(long packets, long drops) {}

  private static final int TP_STATUS_KERNEL = 0;
  private static final int TP_STATUS_USER = 1;
  private static final int TPACKET2_SNAPLEN = 8;
  private static final int TPACKET2_MAC = 12;
  private static final int BLOCK_SIZE = 1 << 16;
  private static final int STAGING_SIZE = 65536 + 64;
  private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

  private final Arena arena;
  private final MemorySegment state;
  private final int fd;
  private final NetInterface iface;
  private final MemorySegment staging;
  private final ByteBuffer stagingBuffer;
  private final MemorySegment pollFd;
  private final MemorySegment ring;
  private final int frameSize;
  private final int framesPerBlock;
  private final int frameCount;
  private int nextFrame;
  private long packets;
  private long drops;
  private boolean closed;

  private PacketSocket(Arena arena, MemorySegment state, int fd, NetInterface iface, MemorySegment ring, int frameSize, int framesPerBlock, int frameCount) {
    this.arena = arena;
    this.state = state;
    this.fd = fd;
    this.iface = iface;
    this.ring = ring;
    this.frameSize = frameSize;
    this.framesPerBlock = framesPerBlock;
    this.frameCount = frameCount;
    this.staging = arena.allocate(STAGING_SIZE, 64);
    this.stagingBuffer = staging.asByteBuffer();
    this.pollFd = arena.allocate(8, 4);
  }

  /**
   * Opens a packet socket bound to {@code iface} for every EtherType.
   *
   * @param iface the interface
   * @param options ring, promiscuous mode, outgoing frames
   * @return the open, non-blocking socket
   * @throws MissingCapabilityException without {@code CAP_NET_RAW}
   * @throws NativeCallException when a call fails, naming it
   */
  // The mmap'ed ring comes back as a zero-length address; reinterpret gives it the length we mapped.
  @SuppressWarnings("restricted")
  public static PacketSocket open(NetInterface iface, Options options) {
    Arena arena = Arena.ofShared();
    MemorySegment state = LibC.captureState(arena);
    // Protocol 0 receives nothing until bind(), so no frame of another interface slips in meanwhile.
    int fd = LibC.socket(state, LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);
    if (fd < 0) {
      int errno = LibC.errno(state);
      arena.close();
      if (errno == LibC.EPERM || errno == LibC.EACCES) {
        throw new MissingCapabilityException("socket(AF_PACKET, SOCK_RAW)", errno, IpSocket.rawRemedy());
      }
      throw NativeCallException.of("socket(AF_PACKET, SOCK_RAW)", errno);
    }
    MemorySegment ring = MemorySegment.NULL;
    try {
      int framesPerBlock = 0;
      int frameCount = 0;
      if (options.ignoreOutgoing()) {
        Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, LibC.PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
      }
      if (options.receiveBufferBytes() > 0) {
        Sockets.receiveBufferSize(arena, state, fd, options.receiveBufferBytes());
      }
      if (options.rxRingFrames() > 0) {
        Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, LibC.PACKET_VERSION, LibC.TPACKET_V2, "PACKET_VERSION TPACKET_V2");
        framesPerBlock = BLOCK_SIZE / options.frameSize();
        int blocks = (options.rxRingFrames() + framesPerBlock - 1) / framesPerBlock;
        frameCount = blocks * framesPerBlock;
        MemorySegment req = arena.allocate(16, 4);
        req.set(ValueLayout.JAVA_INT, 0, BLOCK_SIZE);
        req.set(ValueLayout.JAVA_INT, 4, blocks);
        req.set(ValueLayout.JAVA_INT, 8, options.frameSize());
        req.set(ValueLayout.JAVA_INT, 12, frameCount);
        Sockets.setOption(state, fd, LibC.SOL_PACKET, LibC.PACKET_RX_RING, req, "PACKET_RX_RING " + frameCount + " x " + options.frameSize());
        long length = (long) BLOCK_SIZE * blocks;
        MemorySegment mapped = LibC.mmap(state, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd);
        if (mapped.address() == -1L) {
          throw LibC.fail("mmap(PACKET_RX_RING, " + length + " bytes)", state);
        }
        ring = mapped.reinterpret(length);
      }
      MemorySegment sll = arena.allocate(20, 4);
      sll.set(ValueLayout.JAVA_SHORT, 0, (short) LibC.AF_PACKET);
      sll.set(ValueLayout.JAVA_SHORT, 2, Short.reverseBytes((short) LibC.ETH_P_ALL));
      sll.set(ValueLayout.JAVA_INT, 4, iface.index());
      if (LibC.bind(state, fd, sll, 20) < 0) {
        throw LibC.fail("bind(AF_PACKET, " + iface + ")", state);
      }
      if (options.promiscuous()) {
        MemorySegment mreq = arena.allocate(16, 4);
        mreq.set(ValueLayout.JAVA_INT, 0, iface.index());
        mreq.set(ValueLayout.JAVA_SHORT, 4, (short) LibC.PACKET_MR_PROMISC);
        Sockets.setOption(state, fd, LibC.SOL_PACKET, LibC.PACKET_ADD_MEMBERSHIP, mreq, "PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC");
      }
      return new PacketSocket(arena, state, fd, iface, ring, options.frameSize(), framesPerBlock, frameCount);
    } catch (RuntimeException | Error e) {
      if (!ring.equals(MemorySegment.NULL)) {
        LibC.munmap(state, ring, ring.byteSize());
      }
      LibC.close(state, fd);
      arena.close();
      throw e;
    }
  }

  /**
   * Returns the interface the socket is bound to.
   *
   * @return the interface
   */
  public NetInterface netInterface() {
    return iface;
  }

  /**
   * Returns the file descriptor, for {@link Poller#add}.
   *
   * @return the descriptor; meaningless after {@link #close()}
   */
  public int fd() {
    return fd;
  }

  /**
   * Tells whether receiving reads a memory-mapped RX ring.
   *
   * @return {@code true} when opened with {@link Options#rxRing}
   */
  public boolean hasRxRing() {
    return frameCount > 0;
  }

  /**
   * Attaches a classic BPF filter, so that the kernel drops unwanted frames before the ring.
   *
   * @param program the instructions, packed with {@link Bpf#insn}
   * @throws NativeCallException when the kernel rejects the program
   */
  public void attachFilter(long[] program) {
    Sockets.attachFilter(state, fd, program);
  }

  /**
   * Waits until a frame can be received or the timeout passes.
   *
   * @param timeoutMillis how long to wait; 0 returns at once, negative waits without limit
   * @return {@code true} when a frame is ready
   */
  public boolean poll(int timeoutMillis) {
    if (hasRxRing() && frameReady()) {
      return true;
    }
    pollFd.set(ValueLayout.JAVA_INT, 0, fd);
    pollFd.set(ValueLayout.JAVA_SHORT, 4, LibC.POLLIN);
    pollFd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
    int n = LibC.poll(state, pollFd, 1, timeoutMillis);
    if (n < 0) {
      if (LibC.errno(state) == LibC.EINTR) {
        return false;
      }
      throw LibC.fail("poll(" + iface + ")", state);
    }
    return n > 0 && (pollFd.get(ValueLayout.JAVA_SHORT, 6) & LibC.POLLIN) != 0;
  }

  private long frameOffset(int index) {
    return (long) (index / framesPerBlock) * BLOCK_SIZE + (long) (index % framesPerBlock) * frameSize;
  }

  private boolean frameReady() {
    return ((int) INT.getAcquire(ring, frameOffset(nextFrame)) & TP_STATUS_USER) != 0;
  }

  /**
   * Hands up to {@code maxFrames} waiting frames to {@code handler}, in arrival order, without copying
   * them when the socket has an RX ring.
   *
   * @param handler called once per frame, on this thread
   * @param maxFrames the most frames to hand out in this call, positive
   * @return how many frames were handed out, 0 when none was waiting
   */
  public int receive(FrameHandler handler, int maxFrames) {
    int done = 0;
    if (!hasRxRing()) {
      while (done < maxFrames) {
        int n = receive(staging);
        if (n < 0) {
          break;
        }
        handler.onFrame(staging, 0, n);
        done++;
      }
      return done;
    }
    while (done < maxFrames) {
      long at = frameOffset(nextFrame);
      int status = (int) INT.getAcquire(ring, at);
      if ((status & TP_STATUS_USER) == 0) {
        break;
      }
      int snap = ring.get(ValueLayout.JAVA_INT, at + TPACKET2_SNAPLEN);
      int mac = ring.get(ValueLayout.JAVA_SHORT, at + TPACKET2_MAC) & 0xFFFF;
      try {
        handler.onFrame(ring, at + mac, snap);
      } finally {
        INT.setRelease(ring, at, TP_STATUS_KERNEL);
        nextFrame = nextFrame + 1 == frameCount ? 0 : nextFrame + 1;
      }
      done++;
    }
    return done;
  }

  /**
   * Copies the next waiting frame into {@code dst}.
   *
   * @param dst native memory for the frame; a longer frame is truncated to its size
   * @return the number of bytes stored, or {@code -1} when no frame is waiting
   */
  public int receive(MemorySegment dst) {
    return receive(dst, dst.byteSize());
  }

  private int receive(MemorySegment dst, long capacity) {
    if (hasRxRing()) {
      long at = frameOffset(nextFrame);
      int status = (int) INT.getAcquire(ring, at);
      if ((status & TP_STATUS_USER) == 0) {
        return -1;
      }
      int snap = ring.get(ValueLayout.JAVA_INT, at + TPACKET2_SNAPLEN);
      int mac = ring.get(ValueLayout.JAVA_SHORT, at + TPACKET2_MAC) & 0xFFFF;
      int n = (int) Math.min(snap, capacity);
      MemorySegment.copy(ring, at + mac, dst, 0, n);
      INT.setRelease(ring, at, TP_STATUS_KERNEL);
      nextFrame = nextFrame + 1 == frameCount ? 0 : nextFrame + 1;
      return n;
    }
    long n = LibC.recvfrom(state, fd, dst, capacity, LibC.MSG_DONTWAIT, MemorySegment.NULL, MemorySegment.NULL);
    if (n < 0) {
      int errno = LibC.errno(state);
      if (errno == LibC.EAGAIN || errno == LibC.EINTR) {
        return -1;
      }
      throw NativeCallException.of("recvfrom(AF_PACKET, " + iface + ")", errno);
    }
    return (int) n;
  }

  /**
   * Copies the next waiting frame into {@code dst} at its position and advances the position.
   *
   * @param dst heap or direct buffer with room for the frame; a longer frame is truncated
   * @return the number of bytes stored, or {@code -1} when no frame is waiting
   */
  public int receive(ByteBuffer dst) {
    int n = receive(staging, Math.min(STAGING_SIZE, dst.remaining()));
    if (n > 0) {
      stagingBuffer.clear().limit(n);
      dst.put(stagingBuffer);
    }
    return n;
  }

  /**
   * Sends one frame out of the interface.
   *
   * @param src native memory holding the frame, Ethernet header first
   * @param offset where the frame starts in {@code src} (0 avoids creating a slice)
   * @param length the frame's length in bytes
   * @return {@code length}, or {@code -1} when the socket's send buffer is full or the device queue
   *     dropped it ({@code EAGAIN}, {@code ENOBUFS})
   * @throws NativeCallException when {@code sendto(2)} fails otherwise, for example {@code EMSGSIZE}
   *     for a frame longer than the MTU allows, or {@code ENETDOWN}
   */
  public int send(MemorySegment src, long offset, int length) {
    long n = LibC.sendto(state, fd, offset == 0 ? src : src.asSlice(offset, length), length, 0, MemorySegment.NULL, 0);
    if (n < 0) {
      int errno = LibC.errno(state);
      if (errno == LibC.EAGAIN || errno == 105 || errno == LibC.EINTR) {
        return -1;
      }
      throw NativeCallException.of("sendto(AF_PACKET, " + iface + ", " + length + " bytes)", errno);
    }
    return (int) n;
  }

  /**
   * Sends the bytes between {@code src}'s position and limit as one frame, advancing the position
   * when sent.
   *
   * @param src heap or direct buffer holding the frame, Ethernet header first
   * @return the frame length, or {@code -1} when the frame was not sent (buffer full)
   */
  public int send(ByteBuffer src) {
    int length = src.remaining();
    if (length > STAGING_SIZE) {
      throw new IllegalArgumentException("frame of " + length + " bytes is longer than " + STAGING_SIZE);
    }
    int at = src.position();
    stagingBuffer.clear();
    stagingBuffer.put(src);
    int n = send(staging, 0, length);
    if (n < 0) {
      src.position(at);
    }
    return n;
  }

  /**
   * Reads the kernel's counters; the kernel resets them on each read, this method accumulates.
   *
   * @return frames accepted and dropped since open
   */
  public Statistics statistics() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment stats = a.allocate(8, 4);
      MemorySegment len = a.allocateFrom(ValueLayout.JAVA_INT, 8);
      if (LibC.getsockopt(state, fd, LibC.SOL_PACKET, LibC.PACKET_STATISTICS, stats, len) < 0) {
        throw LibC.fail("getsockopt(PACKET_STATISTICS)", state);
      }
      packets += stats.get(ValueLayout.JAVA_INT, 0) & 0xFFFF_FFFFL;
      drops += stats.get(ValueLayout.JAVA_INT, 4) & 0xFFFF_FFFFL;
      return new Statistics(packets, drops);
    }
  }

  /** Unmaps the ring, closes the descriptor and frees the native memory. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (hasRxRing()) {
      LibC.munmap(state, ring, ring.byteSize());
    }
    LibC.close(state, fd);
    arena.close();
  }

  @Override
  public String toString() {
    return "packet socket on " + iface + (hasRxRing() ? " with a " + frameCount + "-frame RX ring" : "");
  }
}
