package io.github.lb4j.health.linux;

import io.github.lb4j.api.Addresses;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.api.Protocol;
import io.github.lb4j.linux.IpSocket;
import io.github.lb4j.linux.MissingCapabilityException;
import io.github.lb4j.nat.header.Checksums;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.StandardProtocolFamily;
import java.nio.ByteOrder;
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
final class IcmpEngine extends DualStackEngine {

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

  private final long cookie;
  private final int identifier;
  private final int payloadSize;

  IcmpEngine(Mode mode, int payloadSize, NanoClock clock) {
    super("lb4j-icmp-" + mode.name().toLowerCase(java.util.Locale.ROOT), clock, family -> open(mode, family));
    this.payloadSize = payloadSize;
    this.cookie = ThreadLocalRandom.current().nextLong();
    this.identifier = ThreadLocalRandom.current().nextInt(65536);
    // The payload never changes: filler bytes (as ping's) and the cookie first.
    sendBuffer.fill((byte) 0x5A);
    sendBuffer.set(LONG_U, ECHO_HEADER, cookie);
    v4.nextKey = ThreadLocalRandom.current().nextInt(65536);
    if (v6 != null) {
      v6.nextKey = ThreadLocalRandom.current().nextInt(65536);
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
    Family f = familyOf(p);
    if (f == null) {
      return;
    }
    for (int tries = 0; tries < 65536; tries++) {
      int seq = f.nextKey;
      f.nextKey = (seq + 1) & 0xFFFF;
      if (f.byKey[seq] == null) {
        f.byKey[seq] = p;
        p.key = seq;
        break;
      }
    }
    if (p.key < 0) {
      complete(p, HealthResult.unhealthy(HealthReason.IO_ERROR, 0, "65536 ICMP checks of one family already in flight"));
      return;
    }
    sendOrQueue(f, p);
  }

  /** Sends the echo request; false when the socket buffer is full. */
  @Override
  boolean send(Family f, Probe p) {
    int length = ECHO_HEADER + payloadSize;
    MemorySegment b = sendBuffer;
    b.set(ValueLayout.JAVA_BYTE, 0, (byte) (f.ipv6 ? 128 : 8));
    b.set(ValueLayout.JAVA_BYTE, 1, (byte) 0);
    b.set(BE16, 2, (short) 0);
    b.set(BE16, 4, (short) identifier);
    b.set(BE16, 6, (short) p.key);
    if (!f.ipv6) {
      b.set(BE16, 2, (short) Checksums.checksum(sendView, 0, length));
    }
    return sendTo(f, p, length);
  }

  @Override
  boolean readsErrorQueue(Family f) {
    return f.socket.isPing();
  }

  @Override
  void onError(Family f, int n) {
    if (n >= ECHO_HEADER && f.socket.errorIsIcmp()) {
      Probe p = match(f, receiveBuffer, 0, n, true);
      if (p != null && f.socket.sourceIs(p.addressBytes)) {
        complete(p, unreachable(p, f.ipv6, f.socket.errorType(), f.socket.errorCode()));
      }
    }
  }

  @Override
  void onReceive(Family f, int n) {
    if (f.ipv6) {
      onIcmp6(f, n);
    } else {
      onIcmp4(f, n);
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
        complete(p, HealthResult.healthy(roundTrip(p), "echo reply from " + Addresses.format(p.address)));
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
        complete(p, HealthResult.healthy(roundTrip(p), "echo reply from " + Addresses.format(p.address)));
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
    Probe p = f.byKey[seq];
    if (p == null || p.done) {
      return null;
    }
    if (length >= ECHO_HEADER + 8 && b.get(LONG_U, at + ECHO_HEADER) != cookie) {
      return null;
    }
    return p;
  }

  private HealthResult unreachable(Probe p, boolean ipv6, int type, int code) {
    String what;
    if (ipv6) {
      what = type == 3 ? "ICMPv6 time exceeded" : "ICMPv6 destination unreachable code " + code;
    } else {
      what = type == 11 ? "ICMP time exceeded" : "ICMP destination unreachable code " + code + unreachableName(code);
    }
    return HealthResult.unhealthy(HealthReason.UNREACHABLE, elapsed(p), what + " for " + Addresses.format(p.address));
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
    unregister(p);
  }

  @Override
  HealthResult timeoutResult(Probe p, long now) {
    return HealthResult.unhealthy(HealthReason.TIMEOUT, now - p.startNanos,
        "no echo reply from " + Addresses.format(p.address) + " within " + TimeUnit.NANOSECONDS.toMillis(p.timeoutNanos) + " ms");
  }
}
