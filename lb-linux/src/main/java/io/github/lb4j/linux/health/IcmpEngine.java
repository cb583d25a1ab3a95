package io.github.lb4j.linux.health;

import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.linux.IpSocket;
import io.github.lb4j.linux.MissingCapabilityException;
import io.github.lb4j.linux.NativeCallException;
import io.github.lb4j.linux.Poller;
import io.github.lb4j.api.Protocol;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.StandardProtocolFamily;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * ICMP echo (RFC 792, RFC 4443 §4) for every target on one socket per family and one thread (S2.1).
 *
 * <p>Each echo request carries the engine's identifier, a sequence number that indexes the probe
 * table (a slot in use is skipped, so a late reply can never complete the wrong probe), and an 8-byte
 * random cookie. A reply completes a probe only when the sequence, the cookie and the source address
 * all match; destination-unreachable and time-exceeded messages are matched through the echo header
 * they quote (RFC 792 "Internet Header + 64 bits of Original Data Datagram") and give {@link
 * HealthReason#UNREACHABLE}. This is fping's design (one raw socket, id + sequence matching, one
 * receive loop), with Linux ping sockets ({@code SOCK_DGRAM}/{@code IPPROTO_ICMP}, where the kernel
 * owns the identifier and reports ICMP errors on the error queue) used in preference when {@code
 * net.ipv4.ping_group_range} allows them.
 */
final class IcmpEngine extends ProbeEngine {

  /** How the engine opens its sockets. */
  enum Mode {
    /** Ping sockets where allowed, raw sockets otherwise. */
    AUTO,
    /** Ping sockets only. */
    PING,
    /** Raw sockets only (CAP_NET_RAW). */
    RAW
  }

  private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
  private static final ValueLayout.OfLong LONG_U = ValueLayout.JAVA_LONG_UNALIGNED;
  private static final int ECHO_HEADER = 8;
  private static final int BUFFER = 2048;

  private final Family v4;
  private final @Nullable Family v6;
  private final long cookie;
  private final int identifier;
  private final int payloadSize;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment sendBuffer;
  private final MemorySegment receiveBuffer;

  /** One socket with its probe table and send backlog. */
  private static final class Family {
    final IpSocket socket;
    final boolean ipv6;
    final Probe[] bySequence = new Probe[65536];
    final ArrayDeque<Probe> backlog = new ArrayDeque<>();
    int nextSequence;
    int slot;

    Family(IpSocket socket) {
      this.socket = socket;
      this.ipv6 = socket.family() == StandardProtocolFamily.INET6;
      this.nextSequence = ThreadLocalRandom.current().nextInt(65536);
    }
  }

  IcmpEngine(Mode mode, int payloadSize, NanoClock clock) {
    super("lb4j-icmp-" + mode.name().toLowerCase(java.util.Locale.ROOT), 2, clock);
    this.payloadSize = payloadSize;
    this.cookie = ThreadLocalRandom.current().nextLong();
    this.identifier = ThreadLocalRandom.current().nextInt(65536);
    this.sendBuffer = arena.allocate(BUFFER, 8);
    this.receiveBuffer = arena.allocate(BUFFER, 8);
    // The payload never changes: filler bytes (as ping's) and the cookie first.
    sendBuffer.fill((byte) 0x5A);
    sendBuffer.set(LONG_U, ECHO_HEADER, cookie);
    Family four = null;
    Family six = null;
    try {
      four = new Family(open(mode, StandardProtocolFamily.INET));
      try {
        six = new Family(open(mode, StandardProtocolFamily.INET6));
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

  private static IpSocket open(Mode mode, StandardProtocolFamily family) {
    IpSocket s;
    if (mode == Mode.RAW) {
      s = raw(family);
    } else if (mode == Mode.PING) {
      s = IpSocket.ping(family);
    } else {
      try {
        s = IpSocket.ping(family);
      } catch (MissingCapabilityException pingDenied) {
        try {
          s = raw(family);
        } catch (MissingCapabilityException rawDenied) {
          throw new UnsupportedOperationException("icmp needs ping sockets or raw sockets, and neither is allowed: "
              + pingDenied.getMessage() + "; and " + rawDenied.getMessage(), rawDenied);
        }
      }
    }
    try {
      s.receiveBufferSize(4 << 20);
      if (s.isPing()) {
        s.receiveErrors(true);
      }
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private static IpSocket raw(StandardProtocolFamily family) {
    IpSocket s = IpSocket.raw(family, family == StandardProtocolFamily.INET ? Protocol.ICMP : Protocol.ICMPV6);
    try {
      if (family == StandardProtocolFamily.INET) {
        s.icmpFilter(0, 3, 11);
      } else {
        s.icmp6Filter(129, 1, 3);
      }
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** Tells whether the sockets are ping sockets. */
  boolean usesPingSockets() {
    return v4.socket.isPing();
  }

  @Override
  void start(Probe p) {
    Family f = p.ipv6() ? v6 : v4;
    if (f == null) {
      complete(p, HealthResult.unhealthy(HealthReason.IO_ERROR, 0, "IPv6 is not available on this host"));
      return;
    }
    for (int tries = 0; tries < 65536; tries++) {
      int seq = f.nextSequence;
      f.nextSequence = (seq + 1) & 0xFFFF;
      if (f.bySequence[seq] == null) {
        f.bySequence[seq] = p;
        p.key = seq;
        break;
      }
    }
    if (p.key < 0) {
      complete(p, HealthResult.unhealthy(HealthReason.IO_ERROR, 0, "65536 ICMP checks of one family already in flight"));
      return;
    }
    if (!f.backlog.isEmpty() || !send(f, p)) {
      f.backlog.add(p);
      poller.interest(f.slot, Poller.IN | Poller.OUT);
    }
  }

  /** Sends the echo request; false when the socket buffer is full. */
  private boolean send(Family f, Probe p) {
    int length = ECHO_HEADER + payloadSize;
    MemorySegment b = sendBuffer;
    b.set(ValueLayout.JAVA_BYTE, 0, (byte) (f.ipv6 ? 128 : 8));
    b.set(ValueLayout.JAVA_BYTE, 1, (byte) 0);
    b.set(BE16, 2, (short) 0);
    b.set(BE16, 4, (short) identifier);
    b.set(BE16, 6, (short) p.key);
    if (!f.ipv6) {
      b.set(BE16, 2, (short) InternetChecksum.of(b, 0, length));
    }
    p.sentNanos = clock.nanoTime();
    try {
      return f.socket.sendTo(b, length, p.address) >= 0;
    } catch (NativeCallException e) {
      HealthReason reason = e.errno() == 101 || e.errno() == 113 ? HealthReason.UNREACHABLE : HealthReason.IO_ERROR;
      complete(p, HealthResult.unhealthy(reason, elapsed(p), "sendto: " + e.errnoName()));
      return true;
    }
  }

  @Override
  void onReady() {
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
    if ((ops & Poller.ERR) != 0 && f.socket.isPing()) {
      int n;
      while ((n = f.socket.receiveError(receiveBuffer)) >= 0) {
        if (n >= ECHO_HEADER && f.socket.errorIsIcmp()) {
          Probe p = match(f, receiveBuffer, 0, n, true);
          if (p != null && f.socket.sourceIs(p.addressBytes)) {
            complete(p, unreachable(p, f.ipv6, f.socket.errorType(), f.socket.errorCode()));
          }
        }
      }
    }
    if ((ops & (Poller.IN | Poller.ERR)) != 0) {
      int n;
      while ((n = f.socket.receive(receiveBuffer)) >= 0) {
        if (f.ipv6) {
          onIcmp6(f, n);
        } else {
          onIcmp4(f, n);
        }
      }
    }
  }

  private void onIcmp4(Family f, int n) {
    MemorySegment b = receiveBuffer;
    int at = 0;
    if (!f.socket.isPing()) {
      if (n < 20) {
        return;
      }
      at = (b.get(ValueLayout.JAVA_BYTE, 0) & 0x0F) * 4;
    }
    if (n - at < ECHO_HEADER) {
      return;
    }
    int type = b.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    if (type == 0) {
      Probe p = match(f, b, at, n - at, false);
      if (p != null && f.socket.sourceIs(p.addressBytes)) {
        complete(p, HealthResult.healthy(roundTrip(p), "echo reply from " + p.address.getHostAddress()));
      }
    } else if ((type == 3 || type == 11) && !f.socket.isPing()) {
      int inner = at + ECHO_HEADER;
      if (n - inner < 20 + ECHO_HEADER || (b.get(ValueLayout.JAVA_BYTE, inner + 9) & 0xFF) != 1) {
        return;
      }
      int innerIcmp = inner + (b.get(ValueLayout.JAVA_BYTE, inner) & 0x0F) * 4;
      Probe p = match(f, b, innerIcmp, n - innerIcmp, true);
      if (p != null && sameBytes(b, inner + 16, p.addressBytes)) {
        complete(p, unreachable(p, false, type, b.get(ValueLayout.JAVA_BYTE, at + 1) & 0xFF));
      }
    }
  }

  private void onIcmp6(Family f, int n) {
    MemorySegment b = receiveBuffer;
    if (n < ECHO_HEADER) {
      return;
    }
    int type = b.get(ValueLayout.JAVA_BYTE, 0) & 0xFF;
    if (type == 129) {
      Probe p = match(f, b, 0, n, false);
      if (p != null && f.socket.sourceIs(p.addressBytes)) {
        complete(p, HealthResult.healthy(roundTrip(p), "echo reply from " + p.address.getHostAddress()));
      }
    } else if ((type == 1 || type == 3) && !f.socket.isPing()) {
      int inner = ECHO_HEADER;
      if (n - inner < 40 + ECHO_HEADER || (b.get(ValueLayout.JAVA_BYTE, inner + 6) & 0xFF) != 58) {
        return;
      }
      Probe p = match(f, b, inner + 40, n - inner - 40, true);
      if (p != null && sameBytes(b, inner + 24, p.addressBytes)) {
        complete(p, unreachable(p, true, type, b.get(ValueLayout.JAVA_BYTE, 1) & 0xFF));
      }
    }
  }

  /**
   * Finds the probe an echo header at {@code at} belongs to: our identifier (raw sockets; the kernel
   * filters for ping sockets), a live sequence, and the cookie when the payload is quoted in full.
   */
  private @Nullable Probe match(Family f, MemorySegment b, int at, int length, boolean quotedRequest) {
    if (quotedRequest) {
      int type = b.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
      if (type != (f.ipv6 ? 128 : 8)) {
        return null;
      }
    }
    if (!f.socket.isPing() && (b.get(BE16, at + 4) & 0xFFFF) != identifier) {
      return null;
    }
    int seq = b.get(BE16, at + 6) & 0xFFFF;
    Probe p = f.bySequence[seq];
    if (p == null || p.done) {
      return null;
    }
    if (length >= ECHO_HEADER + 8 && b.get(LONG_U, at + ECHO_HEADER) != cookie) {
      return null;
    }
    return p;
  }

  private static boolean sameBytes(MemorySegment b, int at, byte[] address) {
    for (int i = 0; i < address.length; i++) {
      if (b.get(ValueLayout.JAVA_BYTE, at + i) != address[i]) {
        return false;
      }
    }
    return true;
  }

  private HealthResult unreachable(Probe p, boolean ipv6, int type, int code) {
    String what;
    if (ipv6) {
      what = type == 3 ? "ICMPv6 time exceeded" : "ICMPv6 destination unreachable code " + code;
    } else {
      what = type == 11 ? "ICMP time exceeded" : "ICMP destination unreachable code " + code + unreachableName(code);
    }
    return HealthResult.unhealthy(HealthReason.UNREACHABLE, elapsed(p), what + " for " + p.address.getHostAddress());
  }

  private static String unreachableName(int code) {
    return switch (code) {
      case 0 -> " (net unreachable)";
      case 1 -> " (host unreachable)";
      case 3 -> " (port unreachable)";
      case 9, 10, 13 -> " (administratively prohibited)";
      default -> "";
    };
  }

  @Override
  void release(Probe p) {
    if (p.key >= 0) {
      Family f = p.ipv6() ? v6 : v4;
      if (f != null && f.bySequence[p.key] == p) {
        f.bySequence[p.key] = null;
      }
    }
  }

  @Override
  HealthResult timeoutResult(Probe p, long now) {
    return HealthResult.unhealthy(HealthReason.TIMEOUT, now - p.startNanos,
        "no echo reply from " + p.address.getHostAddress() + " within " + TimeUnit.NANOSECONDS.toMillis(p.timeoutNanos) + " ms");
  }

  @Override
  void closeResources() {
    v4.socket.close();
    if (v6 != null) {
      v6.socket.close();
    }
    arena.close();
  }
}
