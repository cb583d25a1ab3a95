package io.github.lb4j.health.linux;

import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.linux.IpSocket;
import io.github.lb4j.linux.MissingCapabilityException;
import io.github.lb4j.linux.NativeCallException;
import io.github.lb4j.linux.Poller;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A {@link ProbeEngine} with one socket per address family (IPv6 optional: a host without IPv6 still
 * checks IPv4 targets), a table of probes by 16-bit key per family, and a send backlog per socket for
 * when the socket buffer is full. Subclasses write and parse the packets; this class owns the
 * sockets, the buffers and the backlog/receive loop. Engine thread only, except the constructor.
 */
abstract class DualStackEngine extends ProbeEngine {

  private static final int BUFFER = 2048;

  /** One socket with its probe table (by key: ICMP sequence, local TCP port) and send backlog. */
  static final class Family {
    final IpSocket socket;
    final boolean ipv6;
    final Probe[] byKey = new Probe[65536];
    final ArrayDeque<Probe> backlog = new ArrayDeque<>();
    int nextKey;
    int slot;

    Family(IpSocket socket) {
      this.socket = socket;
      this.ipv6 = socket.family() == StandardProtocolFamily.INET6;
    }
  }

  final Family v4;
  final @Nullable Family v6;
  final Arena arena = Arena.ofShared();
  final MemorySegment sendBuffer;
  /** {@link #sendBuffer} as a big-endian buffer, for lb-nat's {@code Checksums}. */
  final ByteBuffer sendView;
  final MemorySegment receiveBuffer;

  /**
   * Opens the IPv4 socket (failure is fatal) and the IPv6 one (a missing capability is fatal, any
   * other native failure means no IPv6 on this host); closes what was opened when anything fails.
   */
  DualStackEngine(String threadName, NanoClock clock, Function<StandardProtocolFamily, IpSocket> open) {
    super(threadName, 2, clock);
    Family four = null;
    Family six = null;
    try {
      this.sendBuffer = arena.allocate(BUFFER, 8);
      this.sendView = sendBuffer.asByteBuffer();
      this.receiveBuffer = arena.allocate(BUFFER, 8);
      four = new Family(open.apply(StandardProtocolFamily.INET));
      try {
        six = new Family(open.apply(StandardProtocolFamily.INET6));
      } catch (MissingCapabilityException e) {
        throw e;
      } catch (NativeCallException e) {
        six = null;
      }
    } catch (RuntimeException e) {
      if (four != null) {
        four.socket.close();
      }
      poller.close();
      arena.close();
      throw e;
    }
    this.v4 = four;
    this.v6 = six;
    v4.slot = poller.add(v4.socket.fd(), Poller.IN);
    if (v6 != null) {
      v6.slot = poller.add(v6.socket.fd(), Poller.IN);
    }
  }

  /** The probe's family, or null after completing the probe when the host has no IPv6. */
  final @Nullable Family familyOf(Probe p) {
    Family f = p.ipv6() ? v6 : v4;
    if (f == null) {
      complete(p, HealthResult.unhealthy(HealthReason.IO_ERROR, 0, "IPv6 is not available on this host"));
    }
    return f;
  }

  /** Sends the probe's first packet now, or queues it behind earlier ones until the socket is writable. */
  final void sendOrQueue(Family f, Probe p) {
    if (!f.backlog.isEmpty() || !send(f, p)) {
      f.backlog.add(p);
      poller.interest(f.slot, Poller.IN | Poller.OUT);
    }
  }

  /**
   * Sends {@code length} bytes of the send buffer to the probe's target; false when the socket buffer
   * is full. A send error completes the probe (and counts as sent, so it leaves the backlog).
   */
  final boolean sendTo(Family f, Probe p, int length) {
    p.sentNanos = clock.nanoTime();
    try {
      return f.socket.sendTo(sendBuffer, length, p.address) >= 0;
    } catch (NativeCallException e) {
      // ENETUNREACH (101) and EHOSTUNREACH (113) say the target cannot be reached from here.
      HealthReason reason = e.errno() == 101 || e.errno() == 113 ? HealthReason.UNREACHABLE : HealthReason.IO_ERROR;
      complete(p, HealthResult.unhealthy(reason, elapsed(p), "sendto: " + e.errnoName()));
      return true;
    }
  }

  @Override
  final void onReady() {
    drain(v4);
    if (v6 != null) {
      drain(v6);
    }
  }

  private void drain(Family f) {
    int ops = poller.readyOps(f.slot);
    if ((ops & Poller.OUT) != 0) {
      Probe p;
      while ((p = f.backlog.peek()) != null) {
        if (p.done) {
          f.backlog.poll();
          continue;
        }
        if (!send(f, p)) {
          break;
        }
        f.backlog.poll();
      }
      if (f.backlog.isEmpty()) {
        poller.interest(f.slot, Poller.IN);
      }
    }
    if ((ops & Poller.ERR) != 0 && readsErrorQueue(f)) {
      int n;
      while ((n = f.socket.receiveError(receiveBuffer)) >= 0) {
        onError(f, n);
      }
    }
    if ((ops & (Poller.IN | Poller.ERR)) != 0) {
      int n;
      while ((n = f.socket.receive(receiveBuffer)) >= 0) {
        onReceive(f, n);
      }
    }
  }

  /** Frees the probe's slot in its family's table. */
  final void unregister(Probe p) {
    if (p.key >= 0) {
      Family f = p.ipv6() ? v6 : v4;
      if (f != null && f.byKey[p.key] == p) {
        f.byKey[p.key] = null;
      }
    }
  }

  static boolean sameBytes(MemorySegment b, int at, byte[] address) {
    for (int i = 0; i < address.length; i++) {
      if (b.get(ValueLayout.JAVA_BYTE, at + i) != address[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  final void closeResources() {
    v4.socket.close();
    if (v6 != null) {
      v6.socket.close();
    }
    arena.close();
  }

  /** Writes the probe's first packet and sends it with {@link #sendTo}; false when the buffer is full. */
  abstract boolean send(Family f, Probe p);

  /** Whether this family's socket has an error queue ({@code IP_RECVERR}) worth reading. */
  abstract boolean readsErrorQueue(Family f);

  /** One entry of the error queue, {@code n} bytes in the receive buffer. */
  abstract void onError(Family f, int n);

  /** One packet, {@code n} bytes in the receive buffer. */
  abstract void onReceive(Family f, int n);
}
