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
   * What a socket does with the kernel's offloads ({@code PACKET_VNET_HDR}). Constants: any thread;
   * never allocate or block.
   */
  public enum OffloadMode {
    /**
     * Frames as the kernel holds them, no vnet header: a locally sent frame with an incomplete
     * checksum, a GRO/GSO super-frame truncated to the ring frame, a VLAN frame without its tag.
     */
    AS_RECEIVED,
    /**
     * Frames as on the wire (the default): partial checksums completed, super-frames cut into
     * segments, stripped VLAN tags restored; frames sent with an empty vnet header.
     */
    UNDO,
    /**
     * Partial checksums and super-frames handed out as they are with their {@link VnetHeader}
     * ({@link ReceivedFrame#vnet()}), stripped VLAN tags restored, for a forwarder that sends them on
     * with the same header ({@link #send(MemorySegment, long, int, VnetHeader)}), as the kernel's own
     * forwarding does: nothing summed or segmented in user space, one send per super-frame.
     */
    CARRY
  }

  /**
   * How to open a packet socket. An immutable value: any thread; the methods that change a setting
   * ({@link #rxRing}, {@link #fanout}, ...) allocate a new one; nothing blocks.
   */
  public static final class Options {

    private final int rxRingFrames;
    private final int txRingFrames;
    private final int frameSize;
    private final boolean promiscuous;
    private final boolean ignoreOutgoing;
    private final int receiveBufferBytes;
    private final int sendBufferBytes;
    private final Fanout fanout;
    private final int fanoutGroup;
    private final long @Nullable [] fanoutProgram;
    private final OffloadMode offloads;
    private final boolean holdFrames;
    private final int txBatch;

    private Options(int rxRingFrames, int txRingFrames, int frameSize, boolean promiscuous, boolean ignoreOutgoing,
        int receiveBufferBytes, int sendBufferBytes, Fanout fanout, int fanoutGroup, long @Nullable [] fanoutProgram,
        OffloadMode offloads, boolean holdFrames, int txBatch) {
      if (rxRingFrames < 0 || rxRingFrames > (1 << 20)) {
        throw new IllegalArgumentException("rxRingFrames must be 0..1048576, was " + rxRingFrames);
      }
      if (txRingFrames < 0 || txRingFrames > (1 << 20)) {
        throw new IllegalArgumentException("txRingFrames must be 0..1048576, was " + txRingFrames);
      }
      if (frameSize < 128 || frameSize > 65536 || frameSize % 16 != 0) {
        throw new IllegalArgumentException("frameSize must be a multiple of 16 in 128..65536, was " + frameSize);
      }
      if (fanoutGroup < 0 || fanoutGroup > 0xFFFF) {
        throw new IllegalArgumentException("fanoutGroup must be 0..65535, was " + fanoutGroup);
      }
      if (txBatch < 0 || txBatch > 1024) {
        throw new IllegalArgumentException("txBatch must be 0..1024, was " + txBatch);
      }
      this.rxRingFrames = rxRingFrames;
      this.txRingFrames = txRingFrames;
      this.frameSize = frameSize;
      this.promiscuous = promiscuous;
      this.ignoreOutgoing = ignoreOutgoing;
      this.receiveBufferBytes = receiveBufferBytes;
      this.sendBufferBytes = sendBufferBytes;
      this.fanout = java.util.Objects.requireNonNull(fanout, "fanout");
      this.fanoutGroup = fanoutGroup;
      this.fanoutProgram = fanoutProgram;
      this.offloads = java.util.Objects.requireNonNull(offloads, "offloads");
      this.holdFrames = holdFrames;
      this.txBatch = txBatch;
    }

    /**
     * No rings, not promiscuous, outgoing frames ignored, default buffers, 2048-byte ring frames,
     * offloads undone ({@link OffloadMode#UNDO}), frames released when the handler returns, each
     * send leaving at once.
     *
     * @return the defaults
     */
    public static Options defaults() {
      return new Options(0, 0, 2048, false, true, 0, 0, Fanout.NONE, 0, null, OffloadMode.UNDO, false, 0);
    }

    private Options with(int rx, int tx, int size, boolean promisc, boolean ignore, int rcvbuf, int sndbuf, Fanout mode, int group,
        long @Nullable [] program, OffloadMode off, boolean hold, int batch) {
      return new Options(rx, tx, size, promisc, ignore, rcvbuf, sndbuf, mode, group, program, off, hold, batch);
    }

    /** {@return frames in the memory-mapped RX ring, 0 for none (copying receive)} */
    public int rxRingFrames() {
      return rxRingFrames;
    }

    /** {@return frames in the memory-mapped TX ring, 0 for none} */
    public int txRingFrames() {
      return txRingFrames;
    }

    /**
     * {@return bytes per ring frame including the kernel's header, a multiple of 16 in 128..65536}
     * A frame longer than what a ring frame holds is read whole from the socket (offloads undone or
     * carried) or truncated ({@link OffloadMode#AS_RECEIVED}).
     */
    public int frameSize() {
      return frameSize;
    }

    /** {@return whether frames addressed to other MACs are received} */
    public boolean promiscuous() {
      return promiscuous;
    }

    /** {@return whether frames sent out of the interface are skipped ({@code PACKET_IGNORE_OUTGOING}, Linux 4.20+)} */
    public boolean ignoreOutgoing() {
      return ignoreOutgoing;
    }

    /** {@return the socket receive buffer, 0 for the default (4 MiB with an RX ring and offloads undone or carried)} */
    public int receiveBufferBytes() {
      return receiveBufferBytes;
    }

    /** {@return the socket send buffer, 0 for the default (4 MiB with {@link #txBatch}, else the kernel's)} */
    public int sendBufferBytes() {
      return sendBufferBytes;
    }

    /** {@return how the sockets of a fanout group share the interface's frames, {@link Fanout#NONE} for no group} */
    public Fanout fanout() {
      return fanout;
    }

    /** {@return the fanout group id, 0..65535} */
    public int fanoutGroup() {
      return fanoutGroup;
    }

    /** {@return the classic BPF program of a {@link Fanout#CBPF} group (a copy), or null} */
    public long @Nullable [] fanoutProgram() {
      long[] p = fanoutProgram;
      return p == null ? null : p.clone();
    }

    /** {@return what the socket does with the kernel's offloads} */
    public OffloadMode offloads() {
      return offloads;
    }

    /** {@return whether frames are handed out as on the wire ({@link OffloadMode#UNDO})} */
    public boolean undoOffloads() {
      return offloads == OffloadMode.UNDO;
    }

    /** {@return whether RX ring frames stay the caller's until {@link PacketSocket#release()}} */
    public boolean holdFrames() {
      return holdFrames;
    }

    /** {@return how many sends are gathered for one {@code sendmmsg(2)} at {@link PacketSocket#flush()}, 0 for none} */
    public int txBatch() {
      return txBatch;
    }

    /**
     * Returns these options with an RX ring.
     *
     * @param frames ring frames, for example 1024
     * @param size bytes per frame (shared with the TX ring), for example 2048 for a 1500-byte MTU
     * @return the new options
     */
    public Options rxRing(int frames, int size) {
      return with(frames, txRingFrames, size, promiscuous, ignoreOutgoing, receiveBufferBytes, sendBufferBytes, fanout, fanoutGroup,
          fanoutProgram, offloads, holdFrames, txBatch);
    }

    /**
     * Returns these options with a TX ring of {@code frames} frames of {@link #frameSize()} bytes:
     * one copy into the ring per send, one {@code sendto(2)} per {@link PacketSocket#flush()}, and
     * the kernel sends from the ring's pages (a NIC reads them; a veth copies them again).
     *
     * @param frames ring frames, for example 256
     * @return the new options
     */
    public Options txRing(int frames) {
      return with(rxRingFrames, frames, frameSize, promiscuous, ignoreOutgoing, receiveBufferBytes, sendBufferBytes, fanout, fanoutGroup,
          fanoutProgram, offloads, holdFrames, txBatch);
    }

    /**
     * Returns these options with promiscuous mode on or off.
     *
     * @param on whether to receive frames for other MACs
     * @return the new options
     */
    public Options promiscuous(boolean on) {
      return with(rxRingFrames, txRingFrames, frameSize, on, ignoreOutgoing, receiveBufferBytes, sendBufferBytes, fanout, fanoutGroup,
          fanoutProgram, offloads, holdFrames, txBatch);
    }

    /**
     * Returns these options with outgoing frames skipped or received.
     *
     * @param on whether to skip frames sent out of the interface
     * @return the new options
     */
    public Options ignoreOutgoing(boolean on) {
      return with(rxRingFrames, txRingFrames, frameSize, promiscuous, on, receiveBufferBytes, sendBufferBytes, fanout, fanoutGroup,
          fanoutProgram, offloads, holdFrames, txBatch);
    }

    /**
     * Returns these options joining a fanout group: several sockets (one per worker thread) share the
     * interface's frames, spread by {@code mode} ({@code PACKET_FANOUT}, packet(7)).
     *
     * @param mode how frames are spread, not {@link Fanout#NONE} nor {@link Fanout#CBPF} (which
     *     takes a program: {@link #fanout(long[], int)})
     * @param group the group id, 0..65535
     * @return the new options
     */
    public Options fanout(Fanout mode, int group) {
      if (mode == Fanout.CBPF) {
        throw new IllegalArgumentException("a CBPF fanout group needs its program: fanout(program, group)");
      }
      return with(rxRingFrames, txRingFrames, frameSize, promiscuous, ignoreOutgoing, receiveBufferBytes, sendBufferBytes, mode, group,
          null, offloads, holdFrames, txBatch);
    }

    /**
     * Returns these options joining a fanout group whose frames a classic BPF program spreads
     * ({@code PACKET_FANOUT_CBPF} with {@code PACKET_FANOUT_DATA}, Linux 4.3+): the program runs on
     * each frame with the packet's data starting at its network header ({@code SKF_AD_*} extensions
     * such as the protocol and the interface index are available) and returns the member's index,
     * taken modulo the group's size, in the order the members joined.
     *
     * @param program the instructions, packed with {@link Bpf#insn}, 1..4096
     * @param group the group id, 0..65535
     * @return the new options
     */
    public Options fanout(long[] program, int group) {
      if (program.length == 0 || program.length > 4096) {
        throw new IllegalArgumentException("BPF program must have 1..4096 instructions, had " + program.length);
      }
      return with(rxRingFrames, txRingFrames, frameSize, promiscuous, ignoreOutgoing, receiveBufferBytes, sendBufferBytes, Fanout.CBPF,
          group, program.clone(), offloads, holdFrames, txBatch);
    }

    /**
     * Returns these options with the interface's offloads undone on receive or not. Off, frames come
     * as the kernel holds them ({@link OffloadMode#AS_RECEIVED}).
     *
     * @param on whether to hand out frames as on the wire
     * @return the new options
     */
    public Options undoOffloads(boolean on) {
      return offloads(on ? OffloadMode.UNDO : OffloadMode.AS_RECEIVED);
    }

    /**
     * Returns these options with another offload mode.
     *
     * @param mode what to do with the kernel's offloads
     * @return the new options
     */
    public Options offloads(OffloadMode mode) {
      return with(rxRingFrames, txRingFrames, frameSize, promiscuous, ignoreOutgoing, receiveBufferBytes, sendBufferBytes, fanout, fanoutGroup,
          fanoutProgram, mode, holdFrames, txBatch);
    }

    /**
     * Returns these options with RX ring frames held until {@link PacketSocket#release()} instead of
     * going back to the kernel when the handler returns, so that a forwarder rewrites frames in place
     * and sends them by reference ({@link PacketSocket#sendHeld}); every ring frame then also keeps
     * {@link #HEADROOM} bytes in front of the frame ({@code PACKET_RESERVE}).
     *
     * @param on whether to hold frames
     * @return the new options
     */
    public Options holdFrames(boolean on) {
      return with(rxRingFrames, txRingFrames, frameSize, promiscuous, ignoreOutgoing, receiveBufferBytes, sendBufferBytes, fanout, fanoutGroup,
          fanoutProgram, offloads, on, txBatch);
    }

    /**
     * Returns these options with sends gathered: without a TX ring, up to {@code frames} sends wait
     * for {@link PacketSocket#flush()}, which hands them to the kernel with one {@code sendmmsg(2)}
     * (a full batch is flushed first). A send copies the frame into the batch; {@link
     * PacketSocket#sendHeld} queues it by reference.
     *
     * @param frames 1..1024, or 0 for a system call per send
     * @return the new options
     */
    public Options txBatch(int frames) {
      return with(rxRingFrames, txRingFrames, frameSize, promiscuous, ignoreOutgoing, receiveBufferBytes, sendBufferBytes, fanout, fanoutGroup,
          fanoutProgram, offloads, holdFrames, frames);
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
      return with(rxRingFrames, txRingFrames, frameSize, promiscuous, ignoreOutgoing, bytes, sendBufferBytes, fanout, fanoutGroup,
          fanoutProgram, offloads, holdFrames, txBatch);
    }

    /**
     * Returns these options with a socket send buffer of {@code bytes} ({@code SO_SNDBUFFORCE}, else
     * {@code SO_SNDBUF}): how many bytes of sent frames the kernel holds for this socket before a
     * send finds no room (a veth releases them as the receiver's IP layer takes them).
     *
     * @param bytes the buffer, positive
     * @return the new options
     */
    public Options sendBuffer(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("send buffer must be positive, was " + bytes);
      }
      return with(rxRingFrames, txRingFrames, frameSize, promiscuous, ignoreOutgoing, receiveBufferBytes, bytes, fanout, fanoutGroup,
          fanoutProgram, offloads, holdFrames, txBatch);
    }

    @Override
    public String toString() {
      return "Options[rxRing=" + rxRingFrames + ", txRing=" + txRingFrames + ", frameSize=" + frameSize + ", promiscuous=" + promiscuous
          + ", ignoreOutgoing=" + ignoreOutgoing + ", fanout=" + fanout + "/" + fanoutGroup + ", offloads=" + offloads
          + ", holdFrames=" + holdFrames + ", txBatch=" + txBatch + "]";
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
    MALFORMED_OFFLOAD,
    /** Frames handed out with their partial checksum ({@link OffloadMode#CARRY}). */
    CHECKSUMS_CARRIED,
    /** Super-frames handed out whole ({@link OffloadMode#CARRY}). */
    SUPER_FRAMES_CARRIED,
    /** Gathered sends the kernel had no room for at a flush (send buffer or device queue full): dropped. */
    SEND_NO_ROOM,
    /** Gathered sends the kernel refused at a flush (longer than the device takes, interface down): dropped. */
    SEND_FAILED
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
    QUEUE(5),
    /** By a classic BPF program's result ({@code PACKET_FANOUT_CBPF}): {@link Options#fanout(long[], int)}. */
    CBPF(6);

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

  /**
   * Bytes every frame handed out in a held RX ring frame ({@link Options#holdFrames}) or rebuilt in
   * the socket's own buffers has in front of it, free for the caller: enough for a VLAN tag and an
   * IPv6 header put in front of the frame in place.
   */
  public static final int HEADROOM = 64;

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
  /** sizeof(tpacket2_hdr) aligned + sizeof(sockaddr_ll): the first byte of a ring frame the caller may use. */
  private static final int TPACKET2_HDRLEN = 52;
  /**
   * Where the kernel puts the MAC header of a received frame with no reserve: TPACKET_ALIGN(52 + 16)
   * - 14, plus 10 with a vnet header (af_packet.c tpacket_rcv); relative to {@link #TPACKET2_HDRLEN}.
   */
  private static final int RX_MAC_BASE = 80 - 14 - TPACKET2_HDRLEN;
  private static final int DEFAULT_COPY_BUFFER = 4 << 20;
  private static final int DEFAULT_SEND_BUFFER = 4 << 20;
  private static final int MSGHDR_SIZE = 56;
  /** sizeof(struct mmsghdr): a msghdr, the unsigned msg_len, padding. */
  private static final int MMSGHDR_SIZE = 64;
  private static final int IOVEC_SIZE = 16;
  /** Bytes per frame a gathered copying send may take; longer frames leave at once. */
  private static final int BATCH_COPY_SIZE = 2048;
  private static final int AUXDATA_CONTROL_SIZE = 64;
  private static final int TPACKET2_LEN = 4;
  private static final int TPACKET2_SNAPLEN = 8;
  private static final int TPACKET2_MAC = 12;
  /** TX data starts at TPACKET2_HDRLEN - sizeof(sockaddr_ll) = 52 - 20 (af_packet.c tpacket_fill_skb). */
  private static final int TX_DATA = 32;
  private static final int BLOCK_SIZE = 1 << 16;
  private static final int STAGING_SIZE = 65536 + 64;
  private static final int ENOBUFS = 105;
  private static final int PACKET_FANOUT_FLAG_IGNORE_OUTGOING = 0x4000;
  private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
  private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle SENT;

  static {
    try {
      SENT = MethodHandles.lookup().findVarHandle(PacketSocket.class, "sent", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

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
  private final boolean vnet;
  private final boolean hold;
  private final long[] counts = new long[Counter.values().length];
  /** Each RX ring frame past its kernel header, as a segment and as a buffer (the views handed out). */
  private final MemorySegment[] slotMemory;
  private final ByteBuffer[] slotBuffer;
  /** recvmsg/sendmsg scratch: a msghdr, two iovecs, the auxdata control buffer, a vnet header. */
  private final MemorySegment message;
  private final MemorySegment iovecs;
  private final MemorySegment control;
  private final MemorySegment sendVnet;
  private final ReceivedFrame view = new ReceivedFrame();
  private final ReceivedFrame.Handler adapter;
  private final FrameHandler copier;
  // gathered sends (Options.txBatch): mmsghdr and iovec arrays, vnet headers, copies
  private final int batchCapacity;
  private final MemorySegment batchMessages;
  private final MemorySegment[] batchFrom;
  private final MemorySegment batchIovecs;
  private final MemorySegment batchVnets;
  private final MemorySegment batchCopies;
  private int batched;
  private @Nullable FrameHandler legacy;
  private MemorySegment copyTarget = MemorySegment.NULL;
  private long copyCapacity;
  private int copied;
  private int rxNext;
  private int rxHeld;
  private int txNext;
  private int txQueued;
  private long txRejected;
  private long sent;
  private long packets;
  private long drops;
  private boolean closed;

  private PacketSocket(Arena arena, MemorySegment state, int fd, NetInterface iface, MemorySegment mapping, @Nullable Ring rx, @Nullable Ring tx,
      Options options) {
    this.arena = arena;
    this.state = state;
    this.fd = fd;
    this.iface = iface;
    this.mapping = mapping;
    this.rx = rx;
    this.tx = tx;
    this.vnet = options.offloads() != OffloadMode.AS_RECEIVED;
    this.hold = options.holdFrames() && rx != null;
    this.staging = arena.allocate(STAGING_SIZE, 64);
    this.stagingBuffer = staging.asByteBuffer();
    this.pollFd = arena.allocate(8, 4);
    this.wire = vnet ? new Offloads(arena, counts, options.offloads() == OffloadMode.CARRY, view.vnet()) : null;
    this.message = arena.allocate(MSGHDR_SIZE, 8);
    this.iovecs = arena.allocate(32, 8);
    this.control = arena.allocate(AUXDATA_CONTROL_SIZE, 8);
    this.sendVnet = arena.allocate(16, 8);
    int slots = rx == null ? 0 : rx.frames();
    this.slotMemory = new MemorySegment[slots];
    this.slotBuffer = new ByteBuffer[slots];
    for (int i = 0; i < slots; i++) {
      MemorySegment m = rx.memory().asSlice(rx.offset(i) + TPACKET2_HDRLEN, rx.frameSize() - TPACKET2_HDRLEN);
      slotMemory[i] = m;
      slotBuffer[i] = m.asByteBuffer();
    }
    this.adapter = f -> {
      FrameHandler h = legacy;
      if (h != null) {
        h.onFrame(f.memory(), f.offset(), f.length());
      }
    };
    this.copier = (memory, offset, length) -> {
      int n = (int) Math.min(length, copyCapacity);
      MemorySegment.copy(memory, offset, copyTarget, 0, n);
      copied = n;
    };
    this.batchCapacity = tx == null ? options.txBatch() : 0;
    int b = Math.max(batchCapacity, 1);
    this.batchMessages = arena.allocate((long) MMSGHDR_SIZE * b, 8);
    this.batchIovecs = arena.allocate((long) IOVEC_SIZE * 2 * b, 8);
    this.batchVnets = arena.allocate(16L * b, 8);
    this.batchCopies = batchCapacity == 0 ? MemorySegment.NULL : arena.allocate((long) BATCH_COPY_SIZE * b, 64);
    this.batchFrom = new MemorySegment[b];
    for (int i = 0; i < b; i++) {
      long m = (long) MMSGHDR_SIZE * i;
      batchFrom[i] = batchMessages.asSlice(m);
      MemorySegment iov = batchIovecs.asSlice((long) IOVEC_SIZE * 2 * i, IOVEC_SIZE * 2);
      batchMessages.set(ValueLayout.ADDRESS, m + 16, iov);
      batchMessages.set(ValueLayout.JAVA_LONG, m + 24, vnet ? 2L : 1L);
      if (vnet) {
        iov.set(ValueLayout.JAVA_LONG, 0, batchVnets.address() + 16L * i);
        iov.set(ValueLayout.JAVA_LONG, 8, VnetHeader.LENGTH);
      }
    }
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
      boolean vnet = options.offloads() != OffloadMode.AS_RECEIVED;
      if (options.ignoreOutgoing()) {
        Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, LibC.PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
      }
      if (vnet) {
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
          : vnet && options.rxRingFrames() > 0 ? DEFAULT_COPY_BUFFER : 0;
      if (receiveBuffer > 0) {
        Sockets.receiveBufferSize(arena, state, fd, receiveBuffer);
      }
      int sendBuffer = options.sendBufferBytes() > 0 ? options.sendBufferBytes()
          : options.txBatch() > 0 && options.txRingFrames() == 0 ? DEFAULT_SEND_BUFFER : 0;
      if (sendBuffer > 0) {
        Sockets.sendBufferSize(state, fd, sendBuffer);
      }
      int size = options.frameSize();
      int rxBlocks = options.rxRingFrames() > 0 ? Ring.blocks(options.rxRingFrames(), size) : 0;
      int txBlocks = options.txRingFrames() > 0 ? Ring.blocks(options.txRingFrames(), size) : 0;
      if (rxBlocks + txBlocks > 0) {
        Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, LibC.PACKET_VERSION, LibC.TPACKET_V2, "PACKET_VERSION TPACKET_V2");
        if (rxBlocks > 0 && options.holdFrames()) {
          int reserve = HEADROOM - RX_MAC_BASE - (vnet ? VnetHeader.LENGTH : 0);
          Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, LibC.PACKET_RESERVE, reserve, "PACKET_RESERVE " + reserve);
        }
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
        // A group delivers through its own hook, which the member's PACKET_IGNORE_OUTGOING does not
        // reach: the group's flag does (Linux 6.9+); without it every member would receive what the
        // group sends.
        int flags = options.ignoreOutgoing() ? PACKET_FANOUT_FLAG_IGNORE_OUTGOING : 0;
        Sockets.setIntOption(arena, state, fd, LibC.SOL_PACKET, LibC.PACKET_FANOUT,
            options.fanoutGroup() | ((options.fanout().code | flags) << 16), "PACKET_FANOUT " + options.fanout() + " group " + options.fanoutGroup());
        long[] program = options.fanoutProgram();
        if (program != null) {
          // The group's one program; every member sets the same, the last one stays.
          Sockets.setFilter(state, fd, LibC.SOL_PACKET, LibC.PACKET_FANOUT_DATA, program, "PACKET_FANOUT_DATA");
        }
      }
      if (options.promiscuous()) {
        MemorySegment mreq = arena.allocate(16, 4);
        mreq.set(ValueLayout.JAVA_INT, 0, iface.index());
        mreq.set(ValueLayout.JAVA_SHORT, 4, (short) LibC.PACKET_MR_PROMISC);
        Sockets.setOption(state, fd, LibC.SOL_PACKET, LibC.PACKET_ADD_MEMBERSHIP, mreq, "PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC");
      }
      return new PacketSocket(arena, state, fd, iface, mapping, rx, tx, options);
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
    legacy = handler;
    try {
      return receive(adapter, maxFrames);
    } finally {
      legacy = null;
    }
  }

  /**
   * Hands up to {@code maxFrames} waiting frames to {@code handler} as {@link ReceivedFrame} views, in
   * arrival order: RX ring frames in place (and, with {@link Options#holdFrames}, held until {@link
   * #release()}: the ring then gives out at most its size in frames before a release), segments of a
   * super-frame and frames read whole from the socket's own buffers. Segments left over when {@code
   * maxFrames} is reached come first in the next call.
   *
   * @param handler called once per frame, on this thread
   * @param maxFrames the most frames to hand out in this call, positive
   * @return how many frames were handed out, 0 when none was waiting
   * @throws NativeCallException when reading a frame whole fails
   */
  public int receive(ReceivedFrame.Handler handler, int maxFrames) {
    int done = 0;
    Offloads w = wire;
    while (done < maxFrames) {
      if (w != null && w.nextSegment()) {
        view.vnet().clear();
        view.set(w.memory(), w.buffer(stagingBuffer), (int) w.offset(), w.length(), false);
        handler.onFrame(view);
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

  /**
   * Gives the held RX ring frames back to the kernel ({@link Options#holdFrames}), oldest first. Call
   * it once every send that refers to them was flushed. Does nothing without held frames.
   */
  public void release() {
    Ring rx = this.rx;
    int n = rxHeld;
    if (rx == null || n == 0) {
      return;
    }
    int frames = rx.frames();
    int i = rxNext - n;
    if (i < 0) {
      i += frames;
    }
    MemorySegment ring = rx.memory();
    for (int k = 0; k < n; k++) {
      INT.setRelease(ring, rx.offset(i), TP_STATUS_KERNEL);
      i = i + 1 == frames ? 0 : i + 1;
    }
    rxHeld = 0;
  }

  /**
   * Returns how many RX ring frames the caller holds ({@link Options#holdFrames}).
   *
   * @return frames taken since the last {@link #release()}
   */
  public int held() {
    return rxHeld;
  }

  /** Takes the next ring frame: 1 when handed to the handler, 0 when dropped or segmented, -1 when none waits. */
  private int fromRing(ReceivedFrame.Handler handler) {
    Ring rx = this.rx;
    if (rx == null || rxHeld == rx.frames()) {
      return -1;
    }
    MemorySegment ring = rx.memory();
    int slot = rxNext;
    long at = rx.offset(slot);
    int status = (int) INT.getAcquire(ring, at);
    if ((status & TP_STATUS_USER) == 0) {
      return -1;
    }
    try {
      int snap = ring.get(ValueLayout.JAVA_INT, at + TPACKET2_SNAPLEN);
      int mac = (ring.get(ValueLayout.JAVA_SHORT, at + TPACKET2_MAC) & 0xFFFF) - TPACKET2_HDRLEN;
      MemorySegment mem = slotMemory[slot];
      ByteBuffer buf = slotBuffer[slot];
      Offloads w = wire;
      if (w == null) {
        view.set(mem, buf, mac, snap, hold);
        handler.onFrame(view);
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
        r = w.prepare(mem, mac, snap, 0, tag);
      }
      if (r == Offloads.PLAIN) {
        MemorySegment m = w.memory();
        view.set(m, w.buffer(buf), (int) w.offset(), w.length(), hold && m == mem);
        handler.onFrame(view);
        return 1;
      }
      return 0;
    } finally {
      if (hold) {
        rxHeld++;
      } else {
        INT.setRelease(ring, at, TP_STATUS_KERNEL);
      }
      rxNext = slot + 1 == rx.frames() ? 0 : slot + 1;
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
  private int fromSocket(ReceivedFrame.Handler handler) {
    Offloads w = wire;
    if (w == null) {
      int n = receiveCopy(staging, STAGING_SIZE);
      if (n < 0) {
        return -1;
      }
      view.vnet().clear();
      view.set(staging, stagingBuffer, 0, n, false);
      handler.onFrame(view);
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
      view.set(w.memory(), w.buffer(stagingBuffer), (int) w.offset(), w.length(), false);
      handler.onFrame(view);
      return 1;
    }
    return 0;
  }

  /**
   * Returns how often undoing or carrying offloads did something, or could not, and what gathered
   * sends dropped. Any thread: a value at most a frame old.
   *
   * @param counter the counter
   * @return its value since open
   */
  public long count(Counter counter) {
    return (long) COUNTS.getOpaque(counts, counter.ordinal());
  }

  private void bump(Counter c) {
    bump(c, 1);
  }

  private void bump(Counter c, int n) {
    int i = c.ordinal();
    COUNTS.setOpaque(counts, i, counts[i] + n);
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
    int heldBefore = rxHeld;
    receive(copier, 1);
    copyTarget = MemorySegment.NULL;
    if (heldBefore == 0) {
      // the frame was copied out: nothing refers to its ring frame any more
      release();
    }
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
   * Sends one complete frame out of the interface: {@link #send(MemorySegment, long, int,
   * VnetHeader)} with nothing left to the kernel.
   *
   * @param src native memory holding the frame, Ethernet header first
   * @param offset where the frame starts in {@code src} (0 avoids creating a slice without a TX ring)
   * @param length the frame's length in bytes
   * @return {@code length}, or {@code -1} when there is no room
   * @throws IllegalArgumentException when a frame is longer than a TX ring frame holds
   * @throws NativeCallException when a send that leaves at once fails otherwise
   */
  public int send(MemorySegment src, long offset, int length) {
    return send(src, offset, length, null);
  }

  /**
   * Sends one frame out of the interface. Without a TX ring or batch the frame leaves with this
   * call; with a TX ring it is copied into the ring, and with {@link Options#txBatch} into the
   * batch, and leaves at the next {@link #flush()} (or at once if the ring or batch was full and had
   * to be flushed to make room; a frame longer than a batch slot, 2 KiB, flushes the batch and leaves
   * at once). A VLAN frame carries its tag.
   *
   * @param src native memory holding the frame, Ethernet header first
   * @param offset where the frame starts in {@code src}
   * @param length the frame's length in bytes
   * @param offloads what the kernel is to finish (a partial checksum, a super-frame to segment),
   *     offsets from the frame's first byte; {@code null} or empty for a complete frame. Needs a socket
   *     that is not {@link OffloadMode#AS_RECEIVED}
   * @return {@code length}, or {@code -1} when there is no room: the socket's send buffer or the
   *     device queue is full ({@code EAGAIN}, {@code ENOBUFS}), or every TX ring frame is still in flight
   * @throws IllegalArgumentException when a frame is longer than a TX ring frame holds, or offloads
   *     are asked of a socket without vnet headers
   * @throws NativeCallException when a send that leaves at once fails otherwise, for example {@code
   *     EMSGSIZE} for a frame longer than the MTU allows, or {@code ENETDOWN}
   */
  public int send(MemorySegment src, long offset, int length, @Nullable VnetHeader offloads) {
    checkOffloads(offloads);
    if (tx != null) {
      return enqueue(src, offset, length, offloads);
    }
    if (batchCapacity > 0) {
      if (length <= BATCH_COPY_SIZE) {
        if (batched == batchCapacity) {
          flush();
        }
        long slot = (long) BATCH_COPY_SIZE * batched;
        MemorySegment.copy(src, offset, batchCopies, slot, length);
        gather(batchCopies.address() + slot, length, offloads);
        return length;
      }
      flush();
    }
    return sendNow(src, offset, length, offloads);
  }

  /**
   * Sends a frame the caller keeps unchanged until the next {@link #flush()} (a held RX ring frame,
   * {@link ReceivedFrame#held()}): with {@link Options#txBatch} it is queued by reference, without a
   * copy, and leaves at the flush; otherwise as {@link #send(MemorySegment, long, int, VnetHeader)}.
   *
   * @param src native memory holding the frame, Ethernet header first
   * @param offset where the frame starts in {@code src}
   * @param length the frame's length in bytes
   * @param offloads what the kernel is to finish, or {@code null}
   * @return {@code length}, or {@code -1} when there is no room
   */
  public int sendHeld(MemorySegment src, long offset, int length, @Nullable VnetHeader offloads) {
    if (batchCapacity == 0) {
      return send(src, offset, length, offloads);
    }
    checkOffloads(offloads);
    if (!src.isNative()) {
      throw new IllegalArgumentException("frames are sent from native memory, " + src + " is not");
    }
    if (batched == batchCapacity) {
      flush();
    }
    gather(src.address() + offset, length, offloads);
    return length;
  }

  private void checkOffloads(@Nullable VnetHeader offloads) {
    if (!vnet && offloads != null && (offloads.needsChecksum() || offloads.isSuperFrame())) {
      throw new IllegalArgumentException("offloads need a socket with vnet headers (not AS_RECEIVED): " + offloads);
    }
  }

  /** Adds a frame at a native address to the batch; the batch has room. */
  private void gather(long address, int length, @Nullable VnetHeader offloads) {
    int i = batched++;
    long iov = (long) IOVEC_SIZE * 2 * i;
    if (vnet) {
      writeVnet(batchVnets, 16L * i, offloads);
      iov += IOVEC_SIZE;
    }
    batchIovecs.set(ValueLayout.JAVA_LONG, iov, address);
    batchIovecs.set(ValueLayout.JAVA_LONG, iov + 8, length);
  }

  private static void writeVnet(MemorySegment m, long at, @Nullable VnetHeader offloads) {
    if (offloads == null) {
      m.set(ValueLayout.JAVA_LONG, at, 0L);
      m.set(ValueLayout.JAVA_SHORT, at + 8, (short) 0);
    } else {
      offloads.write(m, at);
    }
  }

  /** Sends one frame with one system call. */
  private int sendNow(MemorySegment src, long offset, int length, @Nullable VnetHeader offloads) {
    long n;
    if (!vnet) {
      n = LibC.sendto(state, fd, offset == 0 ? src : src.asSlice(offset, length), length, 0, MemorySegment.NULL, 0);
    } else {
      if (!src.isNative()) {
        throw new IllegalArgumentException("frames are sent from native memory, " + src + " is not");
      }
      // The kernel expects a virtio_net_hdr in front of every frame: an all-zero one asks for nothing.
      writeVnet(sendVnet, 0, offloads);
      iovecs.set(ValueLayout.JAVA_LONG, 0, sendVnet.address());
      iovecs.set(ValueLayout.JAVA_LONG, 8, Offloads.VNET_HDR_LEN);
      iovecs.set(ValueLayout.JAVA_LONG, 16, src.address() + offset);
      iovecs.set(ValueLayout.JAVA_LONG, 24, length);
      message.fill((byte) 0);
      message.set(ValueLayout.ADDRESS, 16, iovecs);
      message.set(ValueLayout.JAVA_LONG, 24, 2L);
      n = LibC.sendmsg(state, fd, message, batchCapacity > 0 ? LibC.MSG_DONTWAIT : 0);
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
    addSent(1);
    return (int) n;
  }

  private void addSent(int n) {
    SENT.setOpaque(this, sent + n);
  }

  /**
   * Returns how many frames this socket handed to the kernel (each frame of a batch or ring flush,
   * each send that left at once). Any thread: a value at most a flush old.
   *
   * @return frames since open
   */
  public long framesSent() {
    return (long) SENT.getOpaque(this);
  }

  private int enqueue(MemorySegment src, long offset, int length, @Nullable VnetHeader offloads) {
    Ring tx = this.tx;
    if (tx == null) {
      throw new IllegalStateException("no TX ring");
    }
    int vnetLength = wire == null ? 0 : Offloads.VNET_HDR_LEN;
    if (length > tx.frameSize() - TX_DATA - vnetLength) {
      throw new IllegalArgumentException("frame of " + length + " bytes exceeds the TX ring's " + (tx.frameSize() - TX_DATA - vnetLength));
    }
    MemorySegment ring = tx.memory();
    long at = tx.offset(txNext);
    if (!txFrameFree(ring, at)) {
      flush();
      if (!txFrameFree(ring, at)) {
        return -1;
      }
    }
    if (vnetLength > 0) {
      writeVnet(ring, at + TX_DATA, offloads);
    }
    MemorySegment.copy(src, offset, ring, at + TX_DATA + vnetLength, length);
    ring.set(ValueLayout.JAVA_INT, at + TPACKET2_LEN, length + vnetLength);
    ring.set(ValueLayout.JAVA_INT, at + TPACKET2_SNAPLEN, length + vnetLength);
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
   * Hands every queued frame to the kernel: the TX ring's with one {@code sendto(2)}, the batch's
   * ({@link Options#txBatch}) with {@code sendmmsg(2)}; does nothing when nothing is queued. Does not
   * wait for the frames to leave.
   *
   * @return how many frames were handed over. With a TX ring, {@code -1} when the kernel had no
   *     room ({@code EAGAIN}, {@code ENOBUFS}: they stay queued for the next flush). With a batch,
   *     frames the kernel had no room for or refused are dropped and counted ({@link
   *     Counter#SEND_NO_ROOM}, {@link Counter#SEND_FAILED}), so that the caller may release what they
   *     referred to
   * @throws NativeCallException when the TX ring's {@code sendto(2)} fails otherwise
   */
  public int flush() {
    if (batched > 0) {
      return flushBatch();
    }
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
    addSent(queued);
    return queued;
  }

  private int flushBatch() {
    int total = batched;
    int i = 0;
    int done = 0;
    while (i < total) {
      int n = LibC.sendmmsg(state, fd, batchFrom[i], total - i, LibC.MSG_DONTWAIT);
      if (n > 0) {
        done += n;
        i += n;
        continue;
      }
      int errno = LibC.errno(state);
      if (errno == LibC.EINTR) {
        continue;
      }
      if (errno == LibC.EAGAIN || errno == ENOBUFS) {
        bump(Counter.SEND_NO_ROOM, total - i);
        break;
      }
      // this one frame is refused (EMSGSIZE, ENETDOWN, a bad vnet header): skip it
      bump(Counter.SEND_FAILED);
      i++;
    }
    batched = 0;
    addSent(done);
    return done;
  }

  /**
   * Returns how many sends are gathered and wait for {@link #flush()}.
   *
   * @return frames in the batch, or in the TX ring not yet flushed
   */
  public int queued() {
    return batched + txQueued;
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
