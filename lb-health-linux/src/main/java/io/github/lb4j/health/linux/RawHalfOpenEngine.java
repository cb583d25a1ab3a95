package io.github.lb4j.health.linux;

import io.github.lb4j.api.Addresses;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.api.Protocol;
import io.github.lb4j.linux.Bpf;
import io.github.lb4j.linux.IpSocket;
import io.github.lb4j.linux.NativeCallException;
import io.github.lb4j.nat.header.Checksums;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * TCP half-open check on raw sockets (seed S2.3): SYN, then SYN/ACK (healthy) or RST (refused), and
 * the checker answers a SYN/ACK with RST, so the server's application never sees a connection:
 * accept() never returns, and no ACK, data or FIN leaves the checker. This is the "SYN scan" of nmap
 * (nmap.org/book/synscan.html) and the half-open method of RFC 9293 §3.5.2 seen from the client.
 *
 * <p>How it works: the kernel builds the IP header; the engine writes the TCP header with an MSS
 * option and the RFC 9293 §3.1 checksum over the pseudo-header. One raw {@code IPPROTO_TCP} socket per
 * family reads every TCP segment the host receives, so a classic BPF filter keeps only SYN/ACK and
 * RST segments; a reply matches a probe by local port, the target's address and port, and an
 * acknowledgment number equal to the random initial sequence number plus one. ICMP errors about a
 * SYN (destination unreachable, administratively prohibited) reach the same raw socket's error queue
 * ({@code IP_RECVERR}, raw(7)) quoting our TCP header, and give {@link HealthReason#UNREACHABLE}.
 *
 * <p>The local port: before each SYN the engine binds an ordinary TCP socket to port 0 on the source
 * address the route chooses and holds it, unconnected and not listening, until the probe ends. The
 * kernel therefore never hands that port to a real local connection (bind conflict), and no local
 * connection can receive the SYN/ACK. Because no socket listens or is connected on that port, the
 * kernel itself answers the SYN/ACK with an RST (tcp_v4_send_reset) as soon as it arrives; the engine
 * sends its own RST (sequence = ISN + 1) as well, so a capture shows SYN, SYN/ACK, RST, RST. The
 * second RST reaches a server that has already dropped the half-open connection and is ignored.
 */
final class RawHalfOpenEngine extends DualStackEngine {

  private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
  private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
  private static final int TCP = 6;
  private static final int SYN = 0x02;
  private static final int RST = 0x04;
  private static final int ACK = 0x10;

  /** The source address and the port-holding socket of one probe. */
  private record Reservation(Socket holder, byte[] source, int localPort) {}

  RawHalfOpenEngine(NanoClock clock) {
    super("lb4j-tcp-half-open-raw", clock, RawHalfOpenEngine::open);
  }

  private static IpSocket open(StandardProtocolFamily family) {
    IpSocket s = IpSocket.raw(family, Protocol.TCP);
    try {
      s.attachFilter(synAckOrRstFilter(family == StandardProtocolFamily.INET6 ? -1 : 0));
      s.receiveBufferSize(4 << 20);
      // ICMP errors about our SYNs (host unreachable, prohibited) are queued for receiveError.
      s.receiveErrors(true);
      return s;
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /**
   * Accepts segments whose flags have RST, or both SYN and ACK. IPv4 raw sockets see the IP header
   * first (ipHeaderAt 0: X = its length); IPv6 raw sockets start at the TCP header (ipHeaderAt -1).
   */
  static long[] synAckOrRstFilter(int ipHeaderAt) {
    if (ipHeaderAt < 0) {
      return new long[] {
        Bpf.insn(Bpf.LD_B_ABS, 0, 0, 13),
        Bpf.insn(Bpf.JSET_K, 2, 0, RST),
        Bpf.insn(Bpf.AND_K, 0, 0, SYN | ACK),
        Bpf.insn(Bpf.JEQ_K, 0, 1, SYN | ACK),
        Bpf.insn(Bpf.RET_K, 0, 0, 0xFFFF),
        Bpf.insn(Bpf.RET_K, 0, 0, 0),
      };
    }
    return new long[] {
      Bpf.insn(Bpf.LDX_B_MSH, 0, 0, 0),
      Bpf.insn(Bpf.LD_B_IND, 0, 0, 13),
      Bpf.insn(Bpf.JSET_K, 2, 0, RST),
      Bpf.insn(Bpf.AND_K, 0, 0, SYN | ACK),
      Bpf.insn(Bpf.JEQ_K, 0, 1, SYN | ACK),
      Bpf.insn(Bpf.RET_K, 0, 0, 0xFFFF),
      Bpf.insn(Bpf.RET_K, 0, 0, 0),
    };
  }

  @Override
  void start(Probe p) {
    Family f = familyOf(p);
    if (f == null) {
      return;
    }
    Reservation r;
    try {
      r = reserve(f, p);
    } catch (IOException e) {
      complete(p, HealthResult.unhealthy(HealthReason.UNREACHABLE, elapsed(p), "no route to " + Addresses.format(p.address) + ": " + e.getMessage()));
      return;
    }
    if (r == null) {
      complete(p, HealthResult.unhealthy(HealthReason.IO_ERROR, elapsed(p), "no free local port for the SYN"));
      return;
    }
    p.resource = r;
    p.key = r.localPort();
    p.sequence = ThreadLocalRandom.current().nextInt();
    f.byKey[p.key] = p;
    sendOrQueue(f, p);
  }

  private static @Nullable Reservation reserve(Family f, Probe p) throws IOException {
    InetAddress source;
    try (DatagramChannel route = DatagramChannel.open(f.ipv6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET)) {
      route.connect(new InetSocketAddress(p.address, p.port));
      source = ((InetSocketAddress) route.getLocalAddress()).getAddress();
    }
    for (int tries = 0; tries < 8; tries++) {
      Socket holder = new Socket();
      try {
        holder.bind(new InetSocketAddress(source, 0));
      } catch (IOException e) {
        holder.close();
        throw e;
      }
      int port = holder.getLocalPort();
      if (f.byKey[port] == null) {
        return new Reservation(holder, source.getAddress(), port);
      }
      holder.close();
    }
    return null;
  }

  /** Sends the SYN; false when the socket buffer is full. */
  @Override
  boolean send(Family f, Probe p) {
    int length = writeTcp((Reservation) p.resource, p, p.sequence, SYN, 64240, true);
    return sendTo(f, p, length);
  }

  private int writeTcp(Reservation r, Probe p, int seq, int flags, int window, boolean mss) {
    MemorySegment b = sendBuffer;
    int length = mss ? 24 : 20;
    b.set(BE16, 0, (short) r.localPort());
    b.set(BE16, 2, (short) p.port);
    b.set(BE32, 4, seq);
    b.set(BE32, 8, 0);
    b.set(ValueLayout.JAVA_BYTE, 12, (byte) ((length / 4) << 4));
    b.set(ValueLayout.JAVA_BYTE, 13, (byte) flags);
    b.set(BE16, 14, (short) window);
    b.set(BE16, 16, (short) 0);
    b.set(BE16, 18, (short) 0);
    if (mss) {
      b.set(ValueLayout.JAVA_BYTE, 20, (byte) 2);
      b.set(ValueLayout.JAVA_BYTE, 21, (byte) 4);
      b.set(BE16, 22, (short) (p.ipv6() ? 1440 : 1460));
    }
    b.set(BE16, 16, (short) tcpChecksum(r.source(), p.addressBytes, length));
    return length;
  }

  /** RFC 9293 §3.1 (IPv4) and RFC 8200 §8.1 (IPv6): the segment's sum over the pseudo-header. */
  private int tcpChecksum(byte[] source, byte[] destination, int length) {
    long pseudo = source.length == 4
        ? Checksums.pseudoHeaderV4(word32(source, 0), word32(destination, 0), TCP, length)
        : Checksums.pseudoHeaderV6(word64(source, 0), word64(source, 8), word64(destination, 0), word64(destination, 8),
            TCP, length);
    return ~Checksums.fold(Checksums.sum(sendView, 0, length, pseudo)) & 0xFFFF;
  }

  private static int word32(byte[] b, int at) {
    return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
  }

  private static long word64(byte[] b, int at) {
    return (long) word32(b, at) << 32 | (word32(b, at + 4) & 0xFFFF_FFFFL);
  }

  @Override
  boolean readsErrorQueue(Family f) {
    return true;
  }

  /** An ICMP error quoting one of our SYNs: the queued bytes are the TCP header we sent. */
  @Override
  void onError(Family f, int n) {
    if (n < 20 || !f.socket.errorIsIcmp()) {
      return;
    }
    MemorySegment b = receiveBuffer;
    int localPort = b.get(BE16, 0) & 0xFFFF;
    int remotePort = b.get(BE16, 2) & 0xFFFF;
    Probe p = f.byKey[localPort];
    if (p == null || p.done || p.port != remotePort || b.get(BE32, 4) != p.sequence || !f.socket.sourceIs(p.addressBytes)) {
      return;
    }
    String what = (f.ipv6 ? "ICMPv6 type " : "ICMP type ") + f.socket.errorType() + " code " + f.socket.errorCode();
    complete(p, HealthResult.unhealthy(HealthReason.UNREACHABLE, elapsed(p),
        what + " for the SYN to " + Addresses.format(p.address, p.port)));
  }

  /** A SYN/ACK or RST that the socket filter let through. */
  @Override
  void onReceive(Family f, int n) {
    MemorySegment b = receiveBuffer;
    int tcp = 0;
    if (!f.ipv6) {
      if (n < 20) {
        return;
      }
      tcp = (b.get(ValueLayout.JAVA_BYTE, 0) & 0x0F) * 4;
    }
    if (n - tcp < 20) {
      return;
    }
    int remotePort = b.get(BE16, tcp) & 0xFFFF;
    int localPort = b.get(BE16, tcp + 2) & 0xFFFF;
    Probe p = f.byKey[localPort];
    if (p == null || p.done || p.port != remotePort) {
      return;
    }
    boolean fromTarget = f.ipv6 ? f.socket.sourceIs(p.addressBytes) : sameBytes(b, 12, p.addressBytes);
    int ack = b.get(BE32, tcp + 8);
    int flags = b.get(ValueLayout.JAVA_BYTE, tcp + 13) & 0xFF;
    if (!fromTarget || (flags & ACK) == 0 || ack != p.sequence + 1) {
      return;
    }
    String target = Addresses.format(p.address, p.port);
    if ((flags & RST) != 0) {
      complete(p, HealthResult.unhealthy(HealthReason.REFUSED, elapsed(p), "RST from " + target));
    } else if ((flags & SYN) != 0) {
      long rtt = roundTrip(p);
      Reservation r = (Reservation) p.resource;
      int length = writeTcp(r, p, p.sequence + 1, RST, 0, false);
      try {
        f.socket.sendTo(sendBuffer, length, p.address);
      } catch (NativeCallException e) {
        // The kernel's own RST for the unowned port still closes the server's half-open connection.
      }
      complete(p, HealthResult.healthy(rtt, "SYN/ACK from " + target + ", answered with RST"));
    }
  }

  @Override
  void release(Probe p) {
    unregister(p);
    if (p.resource instanceof Reservation r) {
      try {
        r.holder().close();
      } catch (IOException e) {
        // Closing an unconnected socket cannot lose data; nothing to report.
      }
    }
  }

  @Override
  HealthResult timeoutResult(Probe p, long now) {
    return HealthResult.unhealthy(HealthReason.TIMEOUT, now - p.startNanos, "no SYN/ACK or RST from "
        + Addresses.format(p.address, p.port) + " within " + TimeUnit.NANOSECONDS.toMillis(p.timeoutNanos) + " ms");
  }
}
