package io.github.lb4j.linux;

import io.github.lb4j.api.Protocol;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A raw IPv4/IPv6 socket ({@code SOCK_RAW}) or a Linux ping socket ({@code SOCK_DGRAM} with {@code
 * IPPROTO_ICMP} or {@code IPPROTO_ICMPV6}), non-blocking, with the options the health checkers need.
 *
 * <p>What each kind delivers ({@code ip(7)}, {@code raw(7)}, {@code icmp(7)}):
 *
 * <ul>
 *   <li>raw IPv4: {@link #receive} returns the IPv4 header followed by the payload; {@link #sendTo}
 *       takes the payload only (the kernel builds the IPv4 header unless {@code IP_HDRINCL} is set);
 *   <li>raw IPv6: both directions carry the payload only; for ICMPv6 the kernel fills the checksum;
 *   <li>ping (both families): the ICMP message only; the kernel sets the identifier to the socket's
 *       "port", fills the checksum and delivers only the echo replies that match it. ICMP errors about
 *       sent echoes arrive on the error queue ({@link #receiveError}) once {@link #receiveErrors} is on.
 * </ul>
 *
 * <p>Privileges: raw sockets need {@code CAP_NET_RAW}; ping sockets need the process's group inside
 * {@code net.ipv4.ping_group_range} (the same sysctl governs IPv6). Without them {@link #raw} and
 * {@link #ping} throw {@link MissingCapabilityException} saying what to grant.
 *
 * <p>Not thread-safe: one thread at a time uses a socket (the checkers keep each socket on their one
 * I/O thread). {@link #sendTo} and {@link #receive} do not block (they return {@code -1} when they
 * would) and do not allocate apart from {@link #sendTo(MemorySegment, int, InetAddress)} reading the
 * address bytes and {@link #source()}. {@link #poll} blocks up to its timeout. Every native resource
 * (the descriptor and the socket's own {@link Arena}) is released by {@link #close()}.
 */
public final class IpSocket implements AutoCloseable {

  private static final int CONTROL_SIZE = 512;
  private static final int MSGHDR_SIZE = 56;
  private static final int IOVEC_SIZE = 16;
  private static final int SO_EE_ORIGIN_ICMP = 2;
  private static final int SO_EE_ORIGIN_ICMP6 = 3;

  private final Arena arena;
  private final int fd;
  private final StandardProtocolFamily family;
  private final Protocol protocol;
  private final boolean ping;
  private final MemorySegment state;
  private final MemorySegment address;
  private final MemorySegment addressLength;
  private final MemorySegment sendAddress;
  private final MemorySegment message;
  private final MemorySegment iovec;
  private final MemorySegment control;
  private final MemorySegment pollFd;
  private int errorOrigin;
  private int errorType;
  private int errorCode;
  private int errorErrno;
  private boolean closed;

  private IpSocket(Arena arena, int fd, StandardProtocolFamily family, Protocol protocol, boolean ping, MemorySegment state) {
    this.arena = arena;
    this.fd = fd;
    this.family = family;
    this.protocol = protocol;
    this.ping = ping;
    this.state = state;
    this.address = arena.allocate(SocketAddresses.SOCKADDR_STORAGE_SIZE, 8);
    this.addressLength = arena.allocate(ValueLayout.JAVA_INT);
    this.sendAddress = arena.allocate(SocketAddresses.SOCKADDR_STORAGE_SIZE, 8);
    this.message = arena.allocate(MSGHDR_SIZE, 8);
    this.iovec = arena.allocate(IOVEC_SIZE, 8);
    this.control = arena.allocate(CONTROL_SIZE, 8);
    this.pollFd = arena.allocate(8, 4);
  }

  /**
   * Opens a raw socket for one IP protocol.
   *
   * @param family {@link StandardProtocolFamily#INET} or {@link StandardProtocolFamily#INET6}
   * @param protocol the IP protocol the socket sends and receives, for example {@link Protocol#TCP}
   * @return the open, non-blocking socket
   * @throws MissingCapabilityException when the process lacks {@code CAP_NET_RAW}
   * @throws NativeCallException when {@code socket(2)} fails otherwise
   */
  public static IpSocket raw(StandardProtocolFamily family, Protocol protocol) {
    return open(family, LibC.SOCK_RAW, protocol, false);
  }

  /**
   * Opens a ping socket: {@code SOCK_DGRAM} with {@code IPPROTO_ICMP} (IPv4) or {@code IPPROTO_ICMPV6}.
   *
   * @param family {@link StandardProtocolFamily#INET} or {@link StandardProtocolFamily#INET6}
   * @return the open, non-blocking socket
   * @throws MissingCapabilityException when the process's group is outside {@code
   *     net.ipv4.ping_group_range}
   * @throws NativeCallException when {@code socket(2)} fails otherwise
   */
  public static IpSocket ping(StandardProtocolFamily family) {
    Protocol p = family == StandardProtocolFamily.INET6 ? Protocol.ICMPV6 : Protocol.ICMP;
    return open(family, LibC.SOCK_DGRAM, p, true);
  }

  private static IpSocket open(StandardProtocolFamily family, int type, Protocol protocol, boolean ping) {
    int domain = SocketAddresses.familyCode(family);
    Arena arena = Arena.ofShared();
    try {
      MemorySegment state = LibC.captureState(arena);
      int fd = LibC.socket(state, domain, type | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, protocol.number());
      if (fd < 0) {
        int errno = LibC.errno(state);
        String call = "socket(" + (domain == LibC.AF_INET ? "AF_INET" : "AF_INET6") + ", "
            + (ping ? "SOCK_DGRAM" : "SOCK_RAW") + ", IPPROTO_" + protocol + ")";
        if (errno == LibC.EPERM || errno == LibC.EACCES) {
          throw new MissingCapabilityException(call, errno, ping ? pingRemedy() : rawRemedy());
        }
        throw NativeCallException.of(call, errno);
      }
      return new IpSocket(arena, fd, family, protocol, ping, state);
    } catch (RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }

  static String rawRemedy() {
    return "raw sockets need CAP_NET_RAW: run as root, grant it to the JVM with "
        + "'setcap cap_net_raw+ep \"$JAVA_HOME/bin/java\"', or add NET_RAW to the container's capabilities";
  }

  static String pingRemedy() {
    String range;
    try {
      range = Files.readString(Path.of("/proc/sys/net/ipv4/ping_group_range")).trim().replace('\t', ' ');
    } catch (java.io.IOException | RuntimeException e) {
      range = "unreadable";
    }
    return "ping sockets need the process's group inside net.ipv4.ping_group_range (now '" + range
        + "'): allow it with 'sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"', or use raw sockets with CAP_NET_RAW";
  }

  /**
   * Returns the address family.
   *
   * @return {@link StandardProtocolFamily#INET} or {@link StandardProtocolFamily#INET6}
   */
  public StandardProtocolFamily family() {
    return family;
  }

  /**
   * Returns the IP protocol of the socket.
   *
   * @return the protocol given at open, {@link Protocol#ICMP} or {@link Protocol#ICMPV6} for ping sockets
   */
  public Protocol protocol() {
    return protocol;
  }

  /**
   * Tells whether this is a ping socket rather than a raw socket.
   *
   * @return {@code true} for a ping socket
   */
  public boolean isPing() {
    return ping;
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
   * Sets an integer socket option.
   *
   * @param level for example {@code SOL_SOCKET} (1)
   * @param name the option number, for example {@code SO_RCVBUF} (8)
   * @param value the value
   * @param label the option's C name, for the error message
   * @throws NativeCallException when {@code setsockopt(2)} fails
   */
  public void setOption(int level, int name, int value, String label) {
    Sockets.setIntOption(arena, state, fd, level, name, value, label);
  }

  /**
   * Sets a socket option whose value is a structure.
   *
   * @param level the option level
   * @param name the option number
   * @param value the bytes of the value
   * @param label the option's C name, for the error message
   * @throws NativeCallException when {@code setsockopt(2)} fails
   */
  public void setOption(int level, int name, MemorySegment value, String label) {
    Sockets.setOption(state, fd, level, name, value, label);
  }

  /**
   * Asks for a receive buffer of {@code bytes}, above {@code net.core.rmem_max} when the process has
   * {@code CAP_NET_ADMIN} ({@code SO_RCVBUFFORCE}), else capped by it.
   *
   * @param bytes the wanted size
   * @return the size the kernel granted (it doubles the request for bookkeeping)
   */
  public int receiveBufferSize(int bytes) {
    return Sockets.receiveBufferSize(arena, state, fd, bytes);
  }

  /**
   * Accepts only the given ICMPv4 types on a raw ICMP socket ({@code ICMP_FILTER}, {@code raw(7)}),
   * so that the socket does not wake for every echo request the host sees.
   *
   * @param types the ICMP types to receive, each 0..31
   * @throws IllegalStateException when this is not a raw IPv4 ICMP socket
   */
  public void icmpFilter(int... types) {
    if (ping || family != StandardProtocolFamily.INET || protocol != Protocol.ICMP) {
      throw new IllegalStateException("ICMP_FILTER applies to raw IPv4 ICMP sockets only");
    }
    int blocked = -1;
    for (int t : types) {
      if (t < 0 || t > 31) {
        throw new IllegalArgumentException("ICMP type for ICMP_FILTER must be 0..31, was " + t);
      }
      blocked &= ~(1 << t);
    }
    setOption(LibC.SOL_RAW, LibC.ICMP_FILTER, blocked, "ICMP_FILTER");
  }

  /**
   * Accepts only the given ICMPv6 types on a raw ICMPv6 socket ({@code ICMP6_FILTER}, RFC 3542 §3.2).
   *
   * @param types the ICMPv6 types to receive, each 0..255
   * @throws IllegalStateException when this is not a raw ICMPv6 socket
   */
  public void icmp6Filter(int... types) {
    if (ping || protocol != Protocol.ICMPV6) {
      throw new IllegalStateException("ICMP6_FILTER applies to raw ICMPv6 sockets only");
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment filter = a.allocate(32, 4);
      filter.fill((byte) 0xFF);
      for (int t : types) {
        if (t < 0 || t > 255) {
          throw new IllegalArgumentException("ICMPv6 type for ICMP6_FILTER must be 0..255, was " + t);
        }
        int word = t >>> 5;
        int v = filter.getAtIndex(ValueLayout.JAVA_INT, word);
        filter.setAtIndex(ValueLayout.JAVA_INT, word, v & ~(1 << (t & 31)));
      }
      setOption(LibC.IPPROTO_ICMPV6, LibC.ICMP6_FILTER, filter, "ICMP6_FILTER");
    }
  }

  /**
   * Attaches a classic BPF program ({@code SO_ATTACH_FILTER}, {@code socket(7)}) so that the kernel
   * drops what the reader does not want before it is queued.
   *
   * @param program the instructions, each packed as {@link Bpf#insn}
   * @throws NativeCallException when the kernel rejects the program
   */
  public void attachFilter(long[] program) {
    Sockets.attachFilter(state, fd, program);
  }

  /**
   * Turns the error queue on or off ({@code IP_RECVERR} / {@code IPV6_RECVERR}): ICMP errors about
   * sent datagrams are then queued for {@link #receiveError} and signalled by {@code POLLERR}.
   *
   * @param on whether to queue errors
   */
  public void receiveErrors(boolean on) {
    if (family == StandardProtocolFamily.INET) {
      setOption(LibC.IPPROTO_IP, LibC.IP_RECVERR, on ? 1 : 0, "IP_RECVERR");
    } else {
      setOption(LibC.IPPROTO_IPV6, LibC.IPV6_RECVERR, on ? 1 : 0, "IPV6_RECVERR");
    }
  }

  /**
   * Sends one datagram to {@code to} (port 0, as raw and ping sockets ignore it).
   *
   * @param data the bytes; native segments only
   * @param length how many bytes of {@code data} to send
   * @param to the destination; an IPv4 address on an IPv4 socket, an IPv6 address on an IPv6 socket
   * @return the number of bytes sent, or {@code -1} when the send buffer is full ({@code EAGAIN})
   * @throws NativeCallException when {@code sendto(2)} fails otherwise (for example {@code
   *     ENETUNREACH}: callers that treat that as a result read {@link NativeCallException#errno()})
   */
  public int sendTo(MemorySegment data, int length, InetAddress to) {
    int len = SocketAddresses.write(sendAddress, family, to, 0);
    long n = LibC.sendto(state, fd, data, length, 0, sendAddress, len);
    if (n < 0) {
      int errno = LibC.errno(state);
      if (errno == LibC.EAGAIN) {
        return -1;
      }
      throw NativeCallException.of("sendto(" + to.getHostAddress() + ", " + length + " bytes)", errno);
    }
    return (int) n;
  }

  /**
   * Receives one datagram if one is queued; its source is then available from {@link #source()}.
   *
   * @param dst where the bytes go; a datagram longer than {@code dst} is truncated
   * @return the number of bytes stored, or {@code -1} when nothing is queued
   * @throws NativeCallException when {@code recvfrom(2)} fails otherwise
   */
  public int receive(MemorySegment dst) {
    addressLength.set(ValueLayout.JAVA_INT, 0, SocketAddresses.SOCKADDR_STORAGE_SIZE);
    int n = Sockets.received(LibC.recvfrom(state, fd, dst, dst.byteSize(), LibC.MSG_DONTWAIT, address, addressLength), state);
    if (n == Sockets.RECEIVE_FAILED) {
      throw NativeCallException.of("recvfrom(fd " + fd + ")", LibC.errno(state));
    }
    return n;
  }

  /**
   * Returns the source address of the last datagram {@link #receive} returned, or for {@link
   * #receiveError} the destination of the datagram the error is about. Allocates.
   *
   * @return the address, or null when the last receive returned none
   */
  public @Nullable InetAddress source() {
    return SocketAddresses.read(address);
  }

  /**
   * Tells whether the source of the last received datagram is {@code address}, without allocating.
   *
   * @param address 4 or 16 bytes in network order
   * @return {@code true} when the family and every byte match
   */
  public boolean sourceIs(byte[] address) {
    int family = this.address.get(ValueLayout.JAVA_SHORT, 0);
    long at;
    if (family == LibC.AF_INET && address.length == 4) {
      at = 4;
    } else if (family == LibC.AF_INET6 && address.length == 16) {
      at = 8;
    } else {
      return false;
    }
    for (int i = 0; i < address.length; i++) {
      if (this.address.get(ValueLayout.JAVA_BYTE, at + i) != address[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Receives one queued error ({@code MSG_ERRQUEUE}, {@code ip(7)} {@code IP_RECVERR}): the bytes of
   * the original datagram go to {@code dst}, its destination to {@link #source()}, and the ICMP type
   * and code to {@link #errorType()} and {@link #errorCode()}.
   *
   * @param dst where the original datagram's bytes go
   * @return the number of bytes stored, or {@code -1} when no error is queued
   * @throws NativeCallException when {@code recvmsg(2)} fails otherwise
   */
  public int receiveError(MemorySegment dst) {
    message.fill((byte) 0);
    iovec.set(ValueLayout.ADDRESS, 0, dst);
    iovec.set(ValueLayout.JAVA_LONG, 8, dst.byteSize());
    message.set(ValueLayout.ADDRESS, 0, address);
    message.set(ValueLayout.JAVA_INT, 8, SocketAddresses.SOCKADDR_STORAGE_SIZE);
    message.set(ValueLayout.ADDRESS, 16, iovec);
    message.set(ValueLayout.JAVA_LONG, 24, 1L);
    message.set(ValueLayout.ADDRESS, 32, control);
    message.set(ValueLayout.JAVA_LONG, 40, CONTROL_SIZE);
    long n = LibC.recvmsg(state, fd, message, LibC.MSG_ERRQUEUE | LibC.MSG_DONTWAIT);
    if (n < 0) {
      int errno = LibC.errno(state);
      if (errno == LibC.EAGAIN || errno == LibC.EINTR) {
        return -1;
      }
      throw NativeCallException.of("recvmsg(fd " + fd + ", MSG_ERRQUEUE)", errno);
    }
    errorOrigin = 0;
    errorType = -1;
    errorCode = -1;
    errorErrno = 0;
    long controlLength = message.get(ValueLayout.JAVA_LONG, 40);
    long at = 0;
    while (at + 16 <= controlLength) {
      long cmsgLen = control.get(ValueLayout.JAVA_LONG, at);
      int level = control.get(ValueLayout.JAVA_INT, at + 8);
      int type = control.get(ValueLayout.JAVA_INT, at + 12);
      if (cmsgLen < 16) {
        break;
      }
      boolean ipErr = level == LibC.IPPROTO_IP && type == LibC.IP_RECVERR;
      boolean ip6Err = level == LibC.IPPROTO_IPV6 && type == LibC.IPV6_RECVERR;
      if ((ipErr || ip6Err) && cmsgLen >= 16 + 16) {
        errorErrno = control.get(ValueLayout.JAVA_INT, at + 16);
        errorOrigin = control.get(ValueLayout.JAVA_BYTE, at + 20) & 0xFF;
        errorType = control.get(ValueLayout.JAVA_BYTE, at + 21) & 0xFF;
        errorCode = control.get(ValueLayout.JAVA_BYTE, at + 22) & 0xFF;
      }
      at += (cmsgLen + 7) & ~7L;
    }
    return (int) n;
  }

  /**
   * Tells whether the last {@link #receiveError} was an ICMP or ICMPv6 error message.
   *
   * @return {@code true} when the error came from an ICMP message
   */
  public boolean errorIsIcmp() {
    return errorOrigin == SO_EE_ORIGIN_ICMP || errorOrigin == SO_EE_ORIGIN_ICMP6;
  }

  /**
   * Returns the ICMP type of the last {@link #receiveError}.
   *
   * @return the type, or {@code -1} when the error was not an ICMP message
   */
  public int errorType() {
    return errorType;
  }

  /**
   * Returns the ICMP code of the last {@link #receiveError}.
   *
   * @return the code, or {@code -1} when the error was not an ICMP message
   */
  public int errorCode() {
    return errorCode;
  }

  /**
   * Returns the errno the kernel attached to the last {@link #receiveError}, for example {@code
   * EHOSTUNREACH}.
   *
   * @return the errno value
   */
  public int errorErrno() {
    return errorErrno;
  }

  /**
   * Waits until the socket is readable or has a queued error, or the timeout passes.
   *
   * @param timeoutMillis how long to wait; 0 returns at once, negative waits without limit
   * @return the {@code poll(2)} revents ({@code POLLIN} 1, {@code POLLERR} 8), 0 on timeout
   */
  public int poll(int timeoutMillis) {
    int revents = Sockets.pollIn(state, pollFd, fd, timeoutMillis);
    if (revents < 0) {
      throw LibC.fail("poll(fd " + fd + ")", state);
    }
    return revents;
  }

  /** Closes the descriptor and frees the socket's native memory. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    LibC.close(state, fd);
    arena.close();
  }

  @Override
  public String toString() {
    return (ping ? "ping" : "raw") + " " + family + " " + protocol + " socket fd " + fd;
  }
}
