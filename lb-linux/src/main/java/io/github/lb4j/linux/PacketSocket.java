package io.github.lb4j.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * An {@code AF_PACKET} socket ({@code packet(7)}) bound to one interface: whole Ethernet frames in
 * and out, for a userspace datapath.
 *
 * <p>Receiving either copies each frame out of the kernel with {@code recvfrom(2)}, or, with {@link
 * Options#rxRing}, reads frames in place from a memory-mapped {@code TPACKET_V2} RX ring shared with
 * the kernel ({@code Documentation/networking/packet_mmap.rst}): one {@code poll(2)} wakes the reader
 * for a whole batch, and {@link #receive(FrameHandler, int)} hands out each frame without a system
 * call or a copy. Sending is one {@code sendto(2)} per frame, or, with {@link Options#txRing}, a copy
 * into a memory-mapped TX ring and one {@code sendto(2)} per batch at {@link #flush()}. Frames carry
 * their Ethernet header. Frames sent out of the interface (by anyone) are not received back unless
 * {@link Options#ignoreOutgoing} is turned off.
 *
 * <p>Frames are handed out as they are on the wire, whatever the interface's offloads ({@link
 * Options#undoOffloads}, on by default): the socket asks the kernel for a {@code virtio_net_hdr} per
 * frame ({@code PACKET_VNET_HDR}), completes the checksums a local sender left to the hardware
 * ({@code TP_STATUS_CSUMNOTREADY}), cuts GRO/GSO super-frames into the segments they stand for
 * (reading one that exceeds a ring frame whole through {@code PACKET_COPY_THRESH}), and puts back the
 * 802.1Q tag the kernel strips into the ring's metadata. What it did is counted ({@link #count}).
 *
 * <p>Privileges: {@code CAP_NET_RAW}, otherwise {@link #open} throws {@link
 * MissingCapabilityException}. Promiscuous mode is a {@code PACKET_MR_PROMISC} membership, which the
 * kernel counts and drops when the socket closes.
 *
 * <p>Not thread-safe: one worker thread owns a socket (open it there or hand it over safely). After
 * {@link #open}, receiving, sending and flushing never allocate and never block; {@link #poll} blocks
 * up to its timeout. {@link #close()} unmaps the rings, closes the descriptor and frees the socket's
 * {@link Arena}.
 */
public final class PacketSocket implements AutoCloseable {

  /**
   * How to open a packet socket. An immutable value: any thread; the methods that change a setting
   * ({@link #rxRing}, {@link #fanout}, ...) allocate a new one; nothing blocks.
   *
   * @param rxRingFrames frames in the memory-mapped RX ring, 0 for no ring (copying receive)
   * @param txRingFrames frames in the memory-mapped TX ring, 0 for no ring (one sendto per frame)
   * @param frameSize bytes per ring frame including the kernel's header, a multiple of 16 between 128
   *     and 65536; received frames longer than {@code frameSize - 64} are truncated, and a TX ring
   *     sends frames up to {@code frameSize - 32} bytes
   * @param promiscuous whether to receive frames addressed to other MACs
   * @param ignoreOutgoing whether to skip frames sent out of the interface ({@code
   *     PACKET_IGNORE_OUTGOING}, Linux 4.20+)
   * @param receiveBufferBytes socket receive buffer for copying receive, 0 for the kernel default
   * @param fanout how the sockets of one fanout group share the interface's frames, {@link
   *     Fanout#NONE} for no group
   * @param fanoutGroup the group id, 0..65535, shared by every socket of the group on the interface
   * @param undoOffloads whether frames are handed out as on the wire: partial checksums completed,
   *     super-frames segmented, stripped VLAN tags restored (see the class comment)
   */
  public record Options(int rxRingFrames, int txRingFrames, int frameSize, boolean promiscuous, boolean ignoreOutgoing, int receiveBufferBytes,
      Fanout fanout, int fanoutGroup, boolean undoOffloads) {

    /** Checks the values; see the record components. */
    public Options {
      if (rxRingFrames < 0 || rxRingFrames > (1 << 20)) {
        throw new IllegalArgumentException("rxRingFrames must be 0..1048576, was " + rxRingFrames);
      }
      if (txRingFrames < 0 || txRingFrames > (1 << 20)) {
        throw new IllegalArgumentException("txRingFrames must be 0..1048576, was " + txRingFrames);
      }
      if (frameSize < 128 || frameSize > 65536 || frameSize % 16 != 0) {
        throw new IllegalArgumentException("frameSize must be a multiple of 16 in 128..65536, was " + frameSize);
      }
      if (receiveBufferBytes < 0) {
        throw new IllegalArgumentException("receiveBufferBytes must be >= 0, was " + receiveBufferBytes);
      }
      java.util.Objects.requireNonNull(fanout, "fanout");
      if (fanoutGroup < 0 || fanoutGroup > 0xFFFF) {
        throw new IllegalArgumentException("fanoutGroup must be 0..65535, was " + fanoutGroup);
      }
    }

    /**
     * No rings, not promiscuous, outgoing frames ignored, default buffers, 2048-byte ring frames,
     * offloads undone.
     *
     * @return the defaults
     */
    public static Options defaults() {
      return new Options(0, 0, 2048, false, true, 0, Fanout.NONE, 0, true);
    }

    /**
     * Returns these options with an RX ring.
     *
     * @param frames ring frames, for example 1024
     * @param size bytes per frame (shared with the TX ring), for example 2048 for a 1500-byte MTU
     * @return the new options
     */
    public Options rxRing(int frames, int size) {
      return new Options(frames, txRingFrames, size, promiscuous, ignoreOutgoing, receiveBufferBytes, fanout, fanoutGroup, undoOffloads);
    }

    /**
     * Returns these options with a TX ring of {@code frames} frames of {@link #frameSize()} bytes.
     *
     * @param frames ring frames, for example 256
     * @return the new options
     */
    public Options txRing(int frames) {
      return new Options(rxRingFrames, frames, frameSize, promiscuous, ignoreOutgoing, receiveBufferBytes, fanout, fanoutGroup, undoOffloads);
    }

    /**
     * Returns these options with promiscuous mode on or off.
     *
     * @param on whether to receive frames for other MACs
     * @return the new options
     */
    public Options promiscuous(boolean on) {
      return new Options(rxRingFrames, txRingFrames, frameSize, on, ignoreOutgoing, receiveBufferBytes, fanout, fanoutGroup, undoOffloads);
    }

    /**
     * Returns these options with outgoing frames skipped or received.
     *
     * @param on whether to skip frames sent out of the interface
     * @return the new options
     */
    public Options ignoreOutgoing(boolean on) {
      return new Options(rxRingFrames, txRingFrames, frameSize, promiscuous, on, receiveBufferBytes, fanout, fanoutGroup, undoOffloads);
    }

    /**
     * Returns these options joining a fanout group: several sockets (one per worker thread) share the
     * interface's frames, spread by {@code mode} ({@code PACKET_FANOUT}, packet(7)).
     *
     * @param mode how frames are spread, not {@link Fanout#NONE}
     * @param group the group id, 0..65535
     * @return the new options
     */
    public Options fanout(Fanout mode, int group) {
      return new Options(rxRingFrames, txRingFrames, frameSize, promiscuous, ignoreOutgoing, receiveBufferBytes, mode, group, undoOffloads);
    }

    /**
     * Returns these options with the interface's offloads undone on receive or not. Off, frames come
     * as the kernel holds them: a locally sent frame with an incomplete checksum, a GRO/GSO
     * super-frame truncated to the ring frame, a VLAN frame without its tag.
     *
     * @param on whether to hand out frames as on the wire
     * @return the new options
     */
    public Options undoOffloads(boolean on) {
      return new Options(rxRingFrames, txRingFrames, frameSize, promiscuous, ignoreOutgoing, receiveBufferBytes, fanout, fanoutGroup, on);
    }

    /**
     * Returns these options with a socket receive buffer of {@code bytes} ({@code SO_RCVBUFFORCE},
     * else {@code SO_RCVBUF}): what copying receive queues, and with a ring, the super-frames read
     * whole (default 4 MiB then).
     *
     * @param bytes the buffer, positive
     * @return the new options
     */
    public Options receiveBuffer(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("receive buffer must be positive, was " + bytes);
      }
      return new Options(rxRingFrames, txRingFrames, frameSize, promiscuous, ignoreOutgoing, bytes, fanout, fanoutGroup, undoOffloads);
    }
  }

  /**
   * What undoing offloads did, and what it could not do. Read with {@link #count}: any thread; never
   * allocates or blocks.
   */
  public enum Counter {
    /** Frames whose partial checksum ({@code TP_STATUS_CSUMNOTREADY}) was completed. */
    CHECKSUMS_COMPLETED,
    /** GRO/GSO super-frames cut into segments. */
    SUPER_FRAMES,
    /** Segments handed out for those super-frames. */
    SEGMENTS,
    /** 802.1Q/802.1ad tags put back into frames. */
    VLAN_TAGS_RESTORED,
    /** Frames longer than what could be read (ring frame with no room to copy it whole, or longer than 64 KiB): dropped. */
    TRUNCATED,
    /** Super-frames of a GSO type other than TCP or UDP (L4) segmentation: dropped. */
    UNSUPPORTED_OFFLOAD,
    /** Frames whose offload offsets do not fit their headers: dropped. */
    MALFORMED_OFFLOAD
  }

  /**
   * How the sockets of a fanout group share frames ({@code PACKET_FANOUT_*}). Constants: any thread;
   * never allocate or block.
   */
  public enum Fanout {
    /** No fanout group. */
    NONE(-1),
    /** By flow hash, so each flow stays on one socket ({@code PACKET_FANOUT_HASH}). */
    HASH(0),
    /** Round robin ({@code PACKET_FANOUT_LB}). */
    ROUND_ROBIN(1),
    /** By the CPU that received the frame ({@code PACKET_FANOUT_CPU}). */
    CPU(2),
    /** By the device's receive queue ({@code PACKET_FANOUT_QM}), one socket per hardware queue. */
    QUEUE(5);

    private final int code;

    Fanout(int code) {
      this.code = code;
    }
  }

  /**
   * Kernel counters of a packet socket ({@code PACKET_STATISTICS}), cumulative since open. An
   * immutable value, allocated by each read of the counters; any thread; never blocks.
   *
   * @param packets frames the socket accepted
   * @param drops frames lost because the ring or buffer was full
   */
  public record Statistics(long packets, long drops) {}

  private static final int TP_STATUS_KERNEL = 0;
  private static final int TP_STATUS_USER = 1;
  private static final int TP_STATUS_AVAILABLE = 0;
  private static final int TP_STATUS_SEND_REQUEST = 1;
  private static final int TP_STATUS_WRONG_FORMAT = 4;
  private static final int TP_STATUS_COPY = 2;
  private static final int TP_STATUS_VLAN_VALID = 0x10;
  private static final int TP_STATUS_VLAN_TPID_VALID = 0x40;
  private static final int TPACKET2_VLAN_TCI = 24;
  private static final int TPACKET2_VLAN_TPID = 26;
  /** sizeof(tpacket2_hdr) aligned + sizeof(sockaddr_ll): the first byte a restored tag may take. */
  private static final int TPACKET2_HDRLEN = 52;
  private static final int DEFAULT_COPY_BUFFER = 4 << 20;
  private static final int MSGHDR_SIZE = 56;
  private static final int AUXDATA_CONTROL_SIZE = 64;
  private static final int TPACKET2_LEN = 4;
  private static final int TPACKET2_SNAPLEN = 8;
  private static final int TPACKET2_MAC = 12;
  /** TX data starts at TPACKET2_HDRLEN - sizeof(sockaddr_ll) = 52 - 20 (af_packet.c tpacket_fill_skb). */
  private static final int TX_DATA = 32;
  private static final int BLOCK_SIZE = 1 << 16;
  private static final int STAGING_SIZE = 65536 + 64;
  private static final int ENOBUFS = 105;
  private static final int PACKET_FANOUT = 18;
  private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
  private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

  /** One mapped ring: frames of {@code frameSize} bytes packed into 64 KiB blocks. */
  private record Ring(MemorySegment memory, int frameSize, int framesPerBlock, int frames) {

    static int blocks(int frames, int frameSize) {
      int perBlock = BLOCK_SIZE / frameSize;
      return (frames + perBlock - 1) / perBlock;
    }

    long offset(int index) {
      return (long) (index / framesPerBlock) * BLOCK_SIZE + (long) (index % framesPerBlock) * frameSize;
    }
  }

  private final Arena arena;
  private final MemorySegment state;
  private final int fd;
  private final NetInterface iface;
  private final MemorySegment staging;
  private final ByteBuffer stagingBuffer;
  private final MemorySegment pollFd;
  private final MemorySegment mapping;
  private final @Nullable Ring rx;
  private final @Nullable Ring tx;
  private final @Nullable Offloads wire;
  private final long[] counts = new long[Counter.values().length];
  /** recvmsg/sendmsg scratch: a msghdr, two iovecs, the auxdata control buffer, a zero vnet header. */
  private final MemorySegment message;
  private final MemorySegment iovecs;
  private final MemorySegment control;
  private final MemorySegment zeroVnet;
  private final FrameHandler copier;
  private MemorySegment copyTarget = MemorySegment.NULL;
  private long copyCapacity;
  private int copied;
  private int rxNext;
  private int txNext;
  private int txQueued;
  private long txRejected;
  private long packets;
  private long drops;
  private boolean closed;

  private PacketSocket(Arena arena, MemorySegment state, int fd, NetInterface iface, MemorySegment mapping, @Nullable Ring rx, @Nullable Ring tx,
      boolean undoOffloads) {
    this.arena = arena;
    this.state = state;
    this.fd = fd;
    this.iface = iface;
    this.mapping = mapping;
    this.rx = rx;
    this.tx = tx;
    this.staging = arena.allocate(STAGING_SIZE, 64);
    this.stagingBuffer = staging.asByteBuffer();
    this.pollFd = arena.allocate(8, 4);
    this.wire = undoOffloads ? new Offloads(arena, counts) : null;
    this.message = arena.allocate(MSGHDR_SIZE, 8);
    this.iovecs = arena.allocate(32, 8);
    this.control = arena.allocate(AUXDATA_CONTROL_SIZE, 8);
    this.zeroVnet = arena.allocate(16, 8);
    this.copier = (memory, offset, length) -> {
      int n = (int) Math.min(length, copyCapacity);
      MemorySegment.copy(memory, offset, copyTarget, 0, n);
      copied = n;
    };
  }

  /**
   * Opens a packet socket bound to {@code iface} for every EtherType.
   *
   * @param iface the interface (looked up in the calling thread's network namespace)
   * @param options rings, promiscuous mode, outgoing frames
   * @return the open, non-blocking socket
   * @throws MissingCapabilityException without {@code CAP_NET_RAW}
   * @throws NativeCallException when a call fails, naming it
   */
  // The mmap'ed rings come back as a zero-length address; reinterpret gives them the mapped length.
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
    MemorySegment mapping = MemorySegment.NULL;
    try {
      if (options.ignoreOutgoing()) {
        Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, LibC.PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
      }
      if (options.undoOffloads()) {
        // Before the rings: the kernel refuses PACKET_VNET_HDR on a socket that has one (EBUSY).
        Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, LibC.PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");
        if (options.rxRingFrames() > 0) {
          // A frame longer than a ring frame is then also queued whole for recvfrom (TP_STATUS_COPY).
          Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, LibC.PACKET_COPY_THRESH, 1, "PACKET_COPY_THRESH");
        } else {
          Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, LibC.PACKET_AUXDATA, 1, "PACKET_AUXDATA");
        }
      }
      int receiveBuffer = options.receiveBufferBytes() > 0 ? options.receiveBufferBytes()
          : options.undoOffloads() && options.rxRingFrames() > 0 ? DEFAULT_COPY_BUFFER : 0;
      if (receiveBuffer > 0) {
        Sockets.receiveBufferSize(arena, state, fd, receiveBuffer);
      }
      int size = options.frameSize();
      int rxBlocks = options.rxRingFrames() > 0 ? Ring.blocks(options.rxRingFrames(), size) : 0;
      int txBlocks = options.txRingFrames() > 0 ? Ring.blocks(options.txRingFrames(), size) : 0;
      if (rxBlocks + txBlocks > 0) {
        Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, LibC.PACKET_VERSION, LibC.TPACKET_V2, "PACKET_VERSION TPACKET_V2");
        if (rxBlocks > 0) {
          requestRing(arena, state, fd, LibC.PACKET_RX_RING, "PACKET_RX_RING", rxBlocks, size);
        }
        if (txBlocks > 0) {
          requestRing(arena, state, fd, LibC.PACKET_TX_RING, "PACKET_TX_RING", txBlocks, size);
        }
        long length = (long) BLOCK_SIZE * (rxBlocks + txBlocks);
        MemorySegment mapped = LibC.mmap(state, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd);
        if (mapped.address() == -1L) {
          throw LibC.fail("mmap(packet rings, " + length + " bytes)", state);
        }
        mapping = mapped.reinterpret(length);
      }
      int perBlock = BLOCK_SIZE / size;
      // The kernel maps the RX ring first and the TX ring right after it.
      long rxBytes = (long) BLOCK_SIZE * rxBlocks;
      @Nullable Ring rx = rxBlocks == 0 ? null : new Ring(mapping.asSlice(0, rxBytes), size, perBlock, rxBlocks * perBlock);
      @Nullable Ring tx = txBlocks == 0 ? null : new Ring(mapping.asSlice(rxBytes), size, perBlock, txBlocks * perBlock);
      MemorySegment sll = arena.allocate(20, 4);
      sll.set(ValueLayout.JAVA_SHORT, 0, (short) LibC.AF_PACKET);
      sll.set(ValueLayout.JAVA_SHORT, 2, Short.reverseBytes((short) LibC.ETH_P_ALL));
      sll.set(ValueLayout.JAVA_INT, 4, iface.index());
      if (LibC.bind(state, fd, sll, 20) < 0) {
        throw LibC.fail("bind(AF_PACKET, " + iface + ")", state);
      }
      if (options.fanout() != Fanout.NONE) {
        // Joining a group needs a bound socket, so this comes after bind().
        Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, PACKET_FANOUT,
            options.fanoutGroup() | (options.fanout().code << 16), "PACKET_FANOUT " + options.fanout() + " group " + options.fanoutGroup());
      }
      if (options.promiscuous()) {
        MemorySegment mreq = arena.allocate(16, 4);
        mreq.set(ValueLayout.JAVA_INT, 0, iface.index());
        mreq.set(ValueLayout.JAVA_SHORT, 4, (short) LibC.PACKET_MR_PROMISC);
        Sockets.setOption(state, fd, LibC.SOL_PACKET, LibC.PACKET_ADD_MEMBERSHIP, mreq, "PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC");
      }
      return new PacketSocket(arena, state, fd, iface, mapping, rx, tx, options.undoOffloads());
    } catch (RuntimeException | Error e) {
      if (!mapping.equals(MemorySegment.NULL)) {
        LibC.munmap(state, mapping, mapping.byteSize());
      }
      LibC.close(state, fd);
      arena.close();
      throw e;
    }
  }

  private static void requestRing(Arena arena, MemorySegment state, int fd, int option, String label, int blocks, int frameSize) {
    int frames = blocks * (BLOCK_SIZE / frameSize);
    MemorySegment req = arena.allocate(16, 4);
    req.set(ValueLayout.JAVA_INT, 0, BLOCK_SIZE);
    req.set(ValueLayout.JAVA_INT, 4, blocks);
    req.set(ValueLayout.JAVA_INT, 8, frameSize);
    req.set(ValueLayout.JAVA_INT, 12, frames);
    Sockets.setOption(state, fd, LibC.SOL_PACKET, option, req, label + " " + frames + " x " + frameSize);
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
    return rx != null;
  }

  /**
   * Tells whether sending goes through a memory-mapped TX ring (and needs {@link #flush()}).
   *
   * @return {@code true} when opened with {@link Options#txRing}
   */
  public boolean hasTxRing() {
    return tx != null;
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
    Offloads w = wire;
    if (w != null && w.pending()) {
      return true;
    }
    Ring rx = this.rx;
    if (rx != null && ((int) INT.getAcquire(rx.memory(), rx.offset(rxNext)) & TP_STATUS_USER) != 0) {
      return true;
    }
    int revents = Sockets.pollIn(state, pollFd, fd, timeoutMillis);
    if (revents < 0) {
      throw LibC.fail("poll(" + iface + ")", state);
    }
    return (revents & LibC.POLLIN) != 0;
  }

  /**
   * Hands up to {@code maxFrames} waiting frames to {@code handler}, in arrival order, without copying
   * them when the socket has an RX ring (segments of a super-frame and frames read whole are handed
   * out from the socket's own buffers). Segments of a super-frame left over when {@code maxFrames} is
   * reached come first in the next call.
   *
   * @param handler called once per frame, on this thread
   * @param maxFrames the most frames to hand out in this call, positive
   * @return how many frames were handed out, 0 when none was waiting
   * @throws NativeCallException when reading a frame whole fails
   */
  public int receive(FrameHandler handler, int maxFrames) {
    int done = 0;
    Offloads w = wire;
    while (done < maxFrames) {
      if (w != null && w.nextSegment()) {
        handler.onFrame(w.memory(), w.offset(), w.length());
        done++;
        continue;
      }
      int n = rx != null ? fromRing(handler) : fromSocket(handler);
      if (n < 0) {
        break;
      }
      done += n;
    }
    return done;
  }

  /** Takes the next ring frame: 1 when handed to the handler, 0 when dropped or segmented, -1 when none waits. */
  private int fromRing(FrameHandler handler) {
    Ring rx = this.rx;
    if (rx == null) {
      return -1;
    }
    MemorySegment ring = rx.memory();
    long at = rx.offset(rxNext);
    int status = (int) INT.getAcquire(ring, at);
    if ((status & TP_STATUS_USER) == 0) {
      return -1;
    }
    try {
      int snap = ring.get(ValueLayout.JAVA_INT, at + TPACKET2_SNAPLEN);
      int mac = ring.get(ValueLayout.JAVA_SHORT, at + TPACKET2_MAC) & 0xFFFF;
      Offloads w = wire;
      if (w == null) {
        handler.onFrame(ring, at + mac, snap);
        return 1;
      }
      int tag = tag(status, ring.get(ValueLayout.JAVA_SHORT, at + TPACKET2_VLAN_TCI), ring.get(ValueLayout.JAVA_SHORT, at + TPACKET2_VLAN_TPID));
      int r;
      if ((status & TP_STATUS_COPY) != 0) {
        // The head is in the ring; the whole frame waits in the socket's queue, in ring order.
        int n = receiveWhole(w);
        if (n < 0) {
          return 0;
        }
        r = w.prepare(w.whole(), Offloads.HEAD, n, 0, tag);
      } else if (ring.get(ValueLayout.JAVA_INT, at + TPACKET2_LEN) > snap) {
        // Longer than a ring frame and no room in the receive buffer to keep it whole.
        bump(Counter.TRUNCATED);
        return 0;
      } else {
        r = w.prepare(ring, at + mac, snap, at + TPACKET2_HDRLEN, tag);
      }
      if (r == Offloads.PLAIN) {
        handler.onFrame(w.memory(), w.offset(), w.length());
        return 1;
      }
      return 0;
    } finally {
      INT.setRelease(ring, at, TP_STATUS_KERNEL);
      rxNext = rxNext + 1 == rx.frames() ? 0 : rxNext + 1;
    }
  }

  private static int tag(int status, short tci, short tpid) {
    if ((status & TP_STATUS_VLAN_VALID) == 0) {
      return 0;
    }
    int type = (status & TP_STATUS_VLAN_TPID_VALID) != 0 && tpid != 0 ? tpid & 0xFFFF : 0x8100;
    return type << 16 | (tci & 0xFFFF);
  }

  /** Reads the next queued frame whole, behind its vnet header: its length, or -1 when it was longer than 64 KiB (counted). */
  private int receiveWhole(Offloads w) {
    MemorySegment into = w.wholeWithVnetHeader();
    long n = LibC.recvfrom(state, fd, into, into.byteSize(), LibC.MSG_DONTWAIT | LibC.MSG_TRUNC, MemorySegment.NULL, MemorySegment.NULL);
    if (n < 0) {
      int errno = LibC.errno(state);
      if (errno == LibC.EAGAIN || errno == LibC.EINTR) {
        bump(Counter.TRUNCATED);
        return -1;
      }
      throw NativeCallException.of("recvfrom(AF_PACKET, " + iface + ", whole frame)", errno);
    }
    if (n > into.byteSize()) {
      bump(Counter.TRUNCATED);
      return -1;
    }
    return (int) n - Offloads.VNET_HDR_LEN;
  }

  /** Copying receive without a ring: as {@link #fromRing}. */
  private int fromSocket(FrameHandler handler) {
    Offloads w = wire;
    if (w == null) {
      int n = receiveCopy(staging, STAGING_SIZE);
      if (n < 0) {
        return -1;
      }
      handler.onFrame(staging, 0, n);
      return 1;
    }
    MemorySegment into = w.whole();
    long base = Offloads.HEAD - Offloads.VNET_HDR_LEN;
    long capacity = into.byteSize() - base;
    iovecs.set(ValueLayout.JAVA_LONG, 0, into.address() + base);
    iovecs.set(ValueLayout.JAVA_LONG, 8, capacity);
    message.fill((byte) 0);
    message.set(ValueLayout.ADDRESS, 16, iovecs);
    message.set(ValueLayout.JAVA_LONG, 24, 1L);
    message.set(ValueLayout.ADDRESS, 32, control);
    message.set(ValueLayout.JAVA_LONG, 40, AUXDATA_CONTROL_SIZE);
    long n = LibC.recvmsg(state, fd, message, LibC.MSG_DONTWAIT | LibC.MSG_TRUNC);
    if (n < 0) {
      int errno = LibC.errno(state);
      if (errno == LibC.EAGAIN || errno == LibC.EINTR) {
        return -1;
      }
      throw NativeCallException.of("recvmsg(AF_PACKET, " + iface + ")", errno);
    }
    if (n > capacity) {
      bump(Counter.TRUNCATED);
      return 0;
    }
    int tag = 0;
    long controlLength = message.get(ValueLayout.JAVA_LONG, 40);
    // struct cmsghdr {size_t len; int level; int type;} then struct tpacket_auxdata
    if (controlLength >= 16 + 20 && control.get(ValueLayout.JAVA_INT, 8) == LibC.SOL_PACKET
        && control.get(ValueLayout.JAVA_INT, 12) == LibC.PACKET_AUXDATA) {
      tag = tag(control.get(ValueLayout.JAVA_INT, 16), control.get(ValueLayout.JAVA_SHORT, 16 + 16),
          control.get(ValueLayout.JAVA_SHORT, 16 + 18));
    }
    int r = w.prepare(into, Offloads.HEAD, (int) n - Offloads.VNET_HDR_LEN, 0, tag);
    if (r == Offloads.PLAIN) {
      handler.onFrame(w.memory(), w.offset(), w.length());
      return 1;
    }
    return 0;
  }

  /**
   * Returns how often undoing offloads did something, or could not. Any thread: a value at most a
   * frame old.
   *
   * @param counter the counter
   * @return its value since open
   */
  public long count(Counter counter) {
    return (long) COUNTS.getOpaque(counts, counter.ordinal());
  }

  private void bump(Counter c) {
    int i = c.ordinal();
    COUNTS.setOpaque(counts, i, counts[i] + 1);
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
    if (wire == null && rx == null) {
      return receiveCopy(dst, capacity);
    }
    copyTarget = dst;
    copyCapacity = capacity;
    copied = -1;
    receive(copier, 1);
    copyTarget = MemorySegment.NULL;
    return copied;
  }

  private int receiveCopy(MemorySegment dst, long capacity) {
    int n = Sockets.received(LibC.recvfrom(state, fd, dst, capacity, LibC.MSG_DONTWAIT, MemorySegment.NULL, MemorySegment.NULL), state);
    if (n == Sockets.RECEIVE_FAILED) {
      throw NativeCallException.of("recvfrom(AF_PACKET, " + iface + ")", LibC.errno(state));
    }
    return n;
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
   * Sends one frame out of the interface. Without a TX ring the frame leaves with this call; with a
   * TX ring it is copied into the ring and leaves at the next {@link #flush()} (or at once if the ring
   * was full and had to be flushed to make room). The frame is sent as it is: its checksums must be
   * complete, and a VLAN frame carries its tag.
   *
   * @param src native memory holding the frame, Ethernet header first
   * @param offset where the frame starts in {@code src} (0 avoids creating a slice without a TX ring)
   * @param length the frame's length in bytes
   * @return {@code length}, or {@code -1} when there is no room: the socket's send buffer or the
   *     device queue is full ({@code EAGAIN}, {@code ENOBUFS}), or every TX ring frame is still in flight
   * @throws IllegalArgumentException when a frame is longer than a TX ring frame holds
   * @throws NativeCallException when {@code sendto(2)} fails otherwise, for example {@code EMSGSIZE}
   *     for a frame longer than the MTU allows, or {@code ENETDOWN}
   */
  public int send(MemorySegment src, long offset, int length) {
    if (tx != null) {
      return enqueue(src, offset, length);
    }
    long n;
    if (wire == null) {
      n = LibC.sendto(state, fd, offset == 0 ? src : src.asSlice(offset, length), length, 0, MemorySegment.NULL, 0);
    } else {
      if (!src.isNative()) {
        throw new IllegalArgumentException("frames are sent from native memory, " + src + " is not");
      }
      // The kernel expects a virtio_net_hdr in front of every frame: an all-zero one asks for nothing.
      iovecs.set(ValueLayout.JAVA_LONG, 0, zeroVnet.address());
      iovecs.set(ValueLayout.JAVA_LONG, 8, Offloads.VNET_HDR_LEN);
      iovecs.set(ValueLayout.JAVA_LONG, 16, src.address() + offset);
      iovecs.set(ValueLayout.JAVA_LONG, 24, length);
      message.fill((byte) 0);
      message.set(ValueLayout.ADDRESS, 16, iovecs);
      message.set(ValueLayout.JAVA_LONG, 24, 2L);
      n = LibC.sendmsg(state, fd, message, 0);
      if (n > 0) {
        n -= Offloads.VNET_HDR_LEN;
      }
    }
    if (n < 0) {
      int errno = LibC.errno(state);
      if (errno == LibC.EAGAIN || errno == ENOBUFS || errno == LibC.EINTR) {
        return -1;
      }
      throw NativeCallException.of("sendto(AF_PACKET, " + iface + ", " + length + " bytes)", errno);
    }
    return (int) n;
  }

  private int enqueue(MemorySegment src, long offset, int length) {
    Ring tx = this.tx;
    if (tx == null) {
      throw new IllegalStateException("no TX ring");
    }
    int vnet = wire == null ? 0 : Offloads.VNET_HDR_LEN;
    if (length > tx.frameSize() - TX_DATA - vnet) {
      throw new IllegalArgumentException("frame of " + length + " bytes exceeds the TX ring's " + (tx.frameSize() - TX_DATA - vnet));
    }
    MemorySegment ring = tx.memory();
    long at = tx.offset(txNext);
    if (!txFrameFree(ring, at)) {
      flush();
      if (!txFrameFree(ring, at)) {
        return -1;
      }
    }
    if (vnet > 0) {
      ring.set(ValueLayout.JAVA_LONG, at + TX_DATA, 0L);
      ring.set(ValueLayout.JAVA_SHORT, at + TX_DATA + 8, (short) 0);
    }
    MemorySegment.copy(src, offset, ring, at + TX_DATA + vnet, length);
    ring.set(ValueLayout.JAVA_INT, at + TPACKET2_LEN, length + vnet);
    ring.set(ValueLayout.JAVA_INT, at + TPACKET2_SNAPLEN, length + vnet);
    INT.setRelease(ring, at, TP_STATUS_SEND_REQUEST);
    txNext = txNext + 1 == tx.frames() ? 0 : txNext + 1;
    txQueued++;
    return length;
  }

  private boolean txFrameFree(MemorySegment ring, long at) {
    int status = (int) INT.getAcquire(ring, at);
    if (status == TP_STATUS_WRONG_FORMAT) {
      txRejected++;
      return true;
    }
    return status == TP_STATUS_AVAILABLE;
  }

  /**
   * Hands every frame queued in the TX ring to the kernel with one {@code sendto(2)}; does nothing
   * without a TX ring or when nothing is queued. Does not wait for the frames to leave.
   *
   * @return how many frames were handed over, or {@code -1} when the kernel had no room ({@code
   *     EAGAIN}, {@code ENOBUFS}: they stay queued for the next flush)
   * @throws NativeCallException when {@code sendto(2)} fails otherwise
   */
  public int flush() {
    if (tx == null || txQueued == 0) {
      return 0;
    }
    long n = LibC.sendto(state, fd, MemorySegment.NULL, 0, LibC.MSG_DONTWAIT, MemorySegment.NULL, 0);
    if (n < 0) {
      int errno = LibC.errno(state);
      if (errno == LibC.EAGAIN || errno == ENOBUFS || errno == LibC.EINTR) {
        return -1;
      }
      throw NativeCallException.of("sendto(AF_PACKET TX ring, " + iface + ")", errno);
    }
    int queued = txQueued;
    txQueued = 0;
    return queued;
  }

  /**
   * Returns how many TX ring frames the kernel refused as malformed ({@code TP_STATUS_WRONG_FORMAT}).
   *
   * @return the count since open
   */
  public long txRejected() {
    return txRejected;
  }

  /**
   * Sends the bytes between {@code src}'s position and limit as one frame, advancing the position
   * when accepted.
   *
   * @param src heap or direct buffer holding the frame, Ethernet header first
   * @return the frame length, or {@code -1} when the frame was not accepted (no room)
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

  /** Unmaps the rings, closes the descriptor and frees the native memory. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!mapping.equals(MemorySegment.NULL)) {
      LibC.munmap(state, mapping, mapping.byteSize());
    }
    LibC.close(state, fd);
    arena.close();
  }

  @Override
  public String toString() {
    return "packet socket on " + iface + (rx != null ? ", " + rx.frames() + "-frame RX ring" : "")
        + (tx != null ? ", " + tx.frames() + "-frame TX ring" : "");
  }
}
