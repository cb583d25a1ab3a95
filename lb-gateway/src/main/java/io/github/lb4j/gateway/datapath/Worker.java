package io.github.lb4j.gateway.datapath;

import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.linux.PacketSocket;
import io.github.lb4j.linux.Poller;
import io.github.lb4j.linux.ReceivedFrame;
import io.github.lb4j.linux.VnetHeader;
import io.github.lb4j.nat.PacketTranslator;
import io.github.lb4j.nat.header.EthernetFlyweight;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One datapath worker: a thread that owns one packet socket per interface (with several workers, the
 * members of each interface's fanout group that the kernel gives this worker's share of the frames),
 * its own translator (so its own flow table, written by this thread alone), and its own counters.
 *
 * <p>Its loop, per round: take up to {@link #BATCH} frames from each socket's RX ring; for each, in
 * place in the ring (no copy): find its port (take its 802.1Q tag off), its direction, translate it,
 * and queue it on the egress socket by reference; then flush each socket's queue with one {@code
 * sendmmsg(2)}, and only then give the ring frames back to the kernel. When no ring has a frame
 * waiting, it blocks in {@code poll(2)} on every socket and its wake-up descriptor. With offloads
 * carried (the default), a partial checksum or a super-frame is translated as the wire frame it
 * stands for ({@link CarriedOffloads}) and sent on with its {@code virtio_net_hdr}: the kernel, or
 * the NIC, finishes it as it would have for its own forwarding.
 *
 * <p>Threads: {@link #run} on the worker's thread; {@link #stop} and the counters from any thread.
 * Never allocates on the packet path; blocks only in {@code poll(2)}, up to 50 ms.
 */
final class Worker implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
  /** Frames taken from one socket per round. */
  static final int BATCH = 256;
  private static final int MIN_IPV4_FRAME = 14 + 20;
  private static final int TPID_8021Q = 0x8100;
  private static final int TPID_8021AD = 0x88A8;
  private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle MALFORMED;

  static {
    try {
      MALFORMED = MethodHandles.lookup().findVarHandle(Worker.class, "malformedOffloads", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final int index;
  private final Datapath.Port[] ports;
  private final PacketSocket[] sockets;
  private final PacketTranslator translator;
  private final @Nullable Neighbors neighbors;
  private final Neighbors lookups;
  private final boolean bridge;
  private final boolean vipV4;
  private final int vip4;
  private final long vipHi;
  private final long vipLo;
  private final long[] counts = new long[Datapath.Counter.values().length];
  private final Poller poller;
  private final Frame frame;
  private final VnetHeader offloads = new VnetHeader();
  private final CarriedOffloads carried = new CarriedOffloads();
  private final ReceivedFrame.Handler[] handlers;
  private volatile boolean running = true;
  /** Carried frames whose offsets do not fit their headers, as the sockets count theirs. */
  private long malformedOffloads;
  private volatile @Nullable Throwable failure;

  // the frame being handled
  private MemorySegment memory = MemorySegment.NULL;
  private ByteBuffer buffer = ByteBuffer.allocate(0);
  private boolean held;
  private int frameAt;
  private int frameLength;
  private int framePriority;

  /**
   * Creates a worker; {@link #run} starts it.
   *
   * @param index the worker's number, 0 for the one that sends the neighbour requests
   * @param ports the datapath's ports
   * @param sockets this worker's socket for each link (interface), by link number
   * @param translator this worker's translator
   * @param neighbors the neighbour table; this worker sends its requests when {@code index} is 0
   * @param bridge whether frames the translator does not balance pass to the other side (inline transparent)
   * @param vip the VIP's address bytes (4 or 16)
   */
  Worker(int index, Datapath.Port[] ports, PacketSocket[] sockets, PacketTranslator translator, Neighbors neighbors, boolean bridge,
      byte[] vip) {
    this.index = index;
    this.ports = ports;
    this.sockets = sockets;
    this.translator = translator;
    this.neighbors = index == 0 ? neighbors : null;
    this.lookups = neighbors;
    this.bridge = bridge;
    ByteBuffer rb = ByteBuffer.wrap(vip);
    this.vipV4 = vip.length == 4;
    this.vip4 = vipV4 ? rb.getInt(0) : 0;
    this.vipHi = vipV4 ? 0 : rb.getLong(0);
    this.vipLo = vipV4 ? 0 : rb.getLong(8);
    this.poller = Poller.open(sockets.length);
    for (PacketSocket s : sockets) {
      poller.add(s.fd(), Poller.IN);
    }
    this.frame = new Frame(ByteBuffer.allocate(0), 0, 0);
    this.handlers = new ReceivedFrame.Handler[sockets.length];
    for (int i = 0; i < sockets.length; i++) {
      int link = i;
      handlers[i] = f -> onFrame(link, f);
    }
  }

  int index() {
    return index;
  }

  PacketTranslator translator() {
    return translator;
  }

  PacketSocket socket(int link) {
    return sockets[link];
  }

  long count(Datapath.Counter c) {
    return (long) COUNTS.getOpaque(counts, c.ordinal());
  }

  /** Carried frames dropped because their offload offsets do not fit their headers; any thread. */
  long malformedOffloads() {
    return (long) MALFORMED.getOpaque(this);
  }

  boolean running() {
    return running;
  }

  @Nullable Throwable failure() {
    return failure;
  }

  /** Asks the loop to end after its round; any thread. */
  void stop() {
    running = false;
    poller.wakeup();
  }

  /** Closes the poller; after the thread ended. */
  void closePoller() {
    poller.close();
  }

  @Override
  public void run() {
    try {
      boolean idle = true;
      while (running) {
        Neighbors n = neighbors;
        if (n != null) {
          n.sendDue(System.nanoTime());
          flushAll();
        }
        if (idle) {
          poller.poll(50);
        }
        // timeouts and session counts follow the clock even when few frames arrive
        translator.flowTable().refreshClock();
        int got = 0;
        for (int i = 0; i < sockets.length; i++) {
          got += sockets[i].receive(handlers[i], BATCH);
        }
        flushAll();
        for (PacketSocket s : sockets) {
          s.release();
        }
        idle = got == 0 && !anyWaiting();
      }
    } catch (Throwable t) {
      failure = t;
      LOG.error("datapath worker {} stopped: {}", index, t.toString());
    } finally {
      running = false;
      // a round cut short by a failure: what was queued still leaves, then the frames go back
      try {
        flushAll();
      } catch (RuntimeException e) {
        LOG.debug("flush at stop failed: {}", e.toString());
      }
      for (PacketSocket s : sockets) {
        s.release();
      }
    }
  }

  private boolean anyWaiting() {
    for (PacketSocket s : sockets) {
      if (s.poll(0)) {
        return true;
      }
    }
    return false;
  }

  private void flushAll() {
    for (PacketSocket s : sockets) {
      if (s.queued() > 0 && s.flush() < 0) {
        bump(Datapath.Counter.TX_DROPPED);
      }
    }
  }

  // ---------------------------------------------------------------- one frame

  private void onFrame(int link, ReceivedFrame f) {
    bump(Datapath.Counter.RX_FRAMES);
    int port = admit(link, f);
    if (port < 0) {
      return;
    }
    int at = frameAt;
    int len = frameLength;
    VnetHeader v = f.vnet();
    offloads.set(v);
    if (v.needsChecksum()) {
      // offsets counted from the frame as received: the transport header has not moved
      if (!carried.enter(buffer, at, len, f.offset() + v.checksumStart(), v)) {
        MALFORMED.setOpaque(this, malformedOffloads + 1);
        return;
      }
    }
    Direction d = direction(port, at, len);
    if (d == null) {
      carried.leave(buffer);
      return;
    }
    translateAndSend(port, d, f.offset());
  }

  /** The direction of the frame at {@link #frameAt}, or null when it is for the balancer's kernel (counted). */
  private @Nullable Direction direction(int port, int at, int len) {
    Direction other = port == 0 && ports.length > 1 ? Direction.CLIENT_TO_SERVER : Direction.SERVER_TO_CLIENT;
    if (len < EthernetFlyweight.HEADER_LENGTH) {
      return Direction.CLIENT_TO_SERVER;
    }
    ByteBuffer b = buffer;
    int etherType = b.getShort(at + EthernetFlyweight.ETHER_TYPE_OFFSET) & 0xFFFF;
    if (etherType == EthernetFlyweight.ETHER_TYPE_ARP) {
      lookups.onArp(port, b, at, len);
      return Direction.CLIENT_TO_SERVER;
    }
    if (etherType == EthernetFlyweight.ETHER_TYPE_IPV4 && len >= MIN_IPV4_FRAME) {
      int dst = b.getInt(at + 14 + 16);
      if (vipV4 && dst == vip4) {
        bump(Datapath.Counter.VIP_FRAMES);
        return Direction.CLIENT_TO_SERVER;
      }
      if (isHostV4(dst)) {
        bump(Datapath.Counter.HOST_FRAMES);
        return null;
      }
      return other;
    }
    if (etherType == EthernetFlyweight.ETHER_TYPE_IPV6 && len >= 14 + 40) {
      long hi = b.getLong(at + 14 + 24);
      long lo = b.getLong(at + 14 + 32);
      int next = b.get(at + 14 + 6) & 0xFF;
      int icmpType = next == 58 && len >= 14 + 40 + 4 ? b.get(at + 14 + 40) & 0xFF : -1;
      if (icmpType == 136) {
        lookups.onIcmpv6(port, b, at, len);
      }
      if (!vipV4 && hi == vipHi && lo == vipLo) {
        bump(Datapath.Counter.VIP_FRAMES);
        return Direction.CLIENT_TO_SERVER;
      }
      if (icmpType >= 133 && icmpType <= 137) {
        return Direction.CLIENT_TO_SERVER;
      }
      if (isHostV6(hi, lo)) {
        bump(Datapath.Counter.HOST_FRAMES);
        return null;
      }
      return other;
    }
    return other;
  }

  private boolean isHostV4(int address) {
    for (Datapath.Port p : ports) {
      if (p.ipv4() == address && address != 0) {
        return true;
      }
    }
    return false;
  }

  private boolean isHostV6(long hi, long lo) {
    for (Datapath.Port p : ports) {
      if (p.v6Hi() == hi && p.v6Lo() == lo && (hi | lo) != 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * Takes the frame's 802.1Q tag off in place and finds its port: sets {@link #frameAt}, {@link
   * #frameLength} and {@link #framePriority}.
   *
   * @return the port, or -1 when no port serves its VLAN (counted)
   */
  private int admit(int link, ReceivedFrame f) {
    memory = f.memory();
    buffer = f.buffer();
    held = f.held();
    int at = f.offset();
    int length = f.length();
    int vlan = Datapath.UNTAGGED;
    int priority = 0;
    ByteBuffer b = buffer;
    int tpid = length >= EthernetFlyweight.HEADER_LENGTH ? b.getShort(at + 12) & 0xFFFF : 0;
    if (tpid == TPID_8021AD) {
      // service-tagged (QinQ) frames belong to no port
      bump(Datapath.Counter.OTHER_VLAN);
      return -1;
    }
    if (length >= EthernetFlyweight.HEADER_LENGTH + 4 && tpid == TPID_8021Q) {
      int tci = b.getShort(at + 14) & 0xFFFF;
      vlan = tci & 0x0FFF;
      priority = tci & 0xF000;
      MemorySegment.copy(memory, at, memory, at + 4, 12);
      at += 4;
      length -= 4;
      if (vlan == 0) {
        // A priority-tagged frame belongs to the untagged port (IEEE 802.1Q section 9.6).
        vlan = Datapath.UNTAGGED;
      }
    }
    for (int p = 0; p < ports.length; p++) {
      if (ports[p].link() == link && ports[p].vlan() == vlan) {
        frameAt = at;
        frameLength = length;
        framePriority = priority;
        return p;
      }
    }
    bump(Datapath.Counter.OTHER_VLAN);
    return -1;
  }

  private void translateAndSend(int port, Direction d, int receivedAt) {
    Frame f = frame.set(buffer, frameAt, frameLength).ingressPort(port);
    int v = translator.translate(f, d);
    int action = Verdict.action(v);
    if (action == Verdict.REPLY) {
      // an answer the translator wrote in the frame's place: complete, nothing to carry
      if (carried.entered()) {
        carried.abandon();
      }
      offloads.clear();
      send(ports[port], f, receivedAt);
      return;
    }
    carried.leave(buffer);
    if (action == Verdict.DROP && bridge && bridges(Verdict.reason(v))) {
      bridge(port, receivedAt);
      return;
    }
    if (action == Verdict.FORWARD) {
      int out = Verdict.port(v);
      if (out < ports.length) {
        send(ports[out], f, receivedAt);
      }
    }
  }

  /**
   * Whether an inline transparent balancer passes a frame the translator dropped for this reason to
   * the other side: frames for no VIP, replies of no tracked flow, ARP and neighbor discovery about
   * other hosts, other EtherTypes, ICMP errors about other traffic. Malformed frames are not bridged.
   * The translator drops these before it rewrites anything, so the frame is still as it came.
   */
  private static boolean bridges(@Nullable DropReason reason) {
    return reason == DropReason.NOT_FOR_VIP || reason == DropReason.NO_FLOW || reason == DropReason.POLICY
        || reason == DropReason.UNSUPPORTED || reason == DropReason.ICMP_UNMATCHED || reason == DropReason.FRAGMENT_UNMATCHED;
  }

  /**
   * Sends the frame being handled, as it came (without its tag), out of the other port (inline
   * transparent: the balancer is a bridge for what it does not balance), unless it is addressed to
   * the balancer itself or to the VIP, or is a frame bridges never forward (01:80:C2:00:00:0X, IEEE
   * 802.1D 7.12.6).
   */
  private void bridge(int port, int receivedAt) {
    int out = ports.length - 1 - port;
    if (out == port) {
      return;
    }
    ByteBuffer b = buffer;
    long dst = EthernetFlyweight.destination(b, frameAt);
    if (isOwnMac(dst) || (dst & 0xFFFF_FFFF_FFF0L) == 0x0180_C200_0000L || isForVip(b, frameAt, frameLength)) {
      return;
    }
    bump(Datapath.Counter.BRIDGED);
    send(ports[out], frame.set(b, frameAt, frameLength), receivedAt);
  }

  private boolean isOwnMac(long mac) {
    for (Datapath.Port p : ports) {
      if (p.mac() == mac) {
        return true;
      }
    }
    return false;
  }

  private boolean isForVip(ByteBuffer b, int at, int length) {
    int type = b.getShort(at + EthernetFlyweight.ETHER_TYPE_OFFSET) & 0xFFFF;
    if (type == EthernetFlyweight.ETHER_TYPE_IPV4 && length >= MIN_IPV4_FRAME) {
      return vipV4 && b.getInt(at + 14 + 16) == vip4;
    }
    return type == EthernetFlyweight.ETHER_TYPE_IPV6 && length >= 14 + 40 && !vipV4
        && b.getLong(at + 14 + 24) == vipHi && b.getLong(at + 14 + 32) == vipLo;
  }

  /**
   * Queues a frame on a port's socket, with the port's 802.1Q tag put in after the source MAC when it
   * has a VLAN (keeping the priority of the frame's own tag, if it came with one); the carried
   * offsets follow the frame's new first byte.
   */
  private void send(Datapath.Port p, Frame f, int receivedAt) {
    int off = f.offset();
    int length = f.length();
    if (p.vlan() != Datapath.UNTAGGED) {
      MemorySegment.copy(memory, off, memory, off - 4, 12);
      buffer.putShort(off + 8, (short) TPID_8021Q);
      buffer.putShort(off + 10, (short) (framePriority | p.vlan()));
      off -= 4;
      length += 4;
    }
    VnetHeader v = offloads;
    v.shift(receivedAt - off);
    PacketSocket s = sockets[p.link()];
    try {
      int n = held ? s.sendHeld(memory, off, length, v) : s.send(memory, off, length, v);
      if (n < 0) {
        bump(Datapath.Counter.TX_DROPPED);
      }
    } catch (RuntimeException e) {
      bump(Datapath.Counter.TX_ERRORS);
    }
  }

  private void bump(Datapath.Counter c) {
    add(c, 1);
  }

  private void add(Datapath.Counter c, int n) {
    int i = c.ordinal();
    COUNTS.setOpaque(counts, i, counts[i] + n);
  }
}
