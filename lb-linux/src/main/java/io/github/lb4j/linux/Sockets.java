package io.github.lb4j.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Socket-option, poll and receive helpers shared by {@link IpSocket} and {@link PacketSocket}.
 *
 * <p>Stateless; any thread may call it with a capture segment it owns; nothing blocks except {@link
 * #pollIn} up to its timeout. The option helpers allocate from a short-lived confined arena (control
 * plane only); {@link #pollIn} and {@link #received} never allocate (packet path).
 */
final class Sockets {

  /** What {@link #received} returns for a failed receive. */
  static final int RECEIVE_FAILED = -2;

  private Sockets() {}

  static void setIntOption(Arena arena, MemorySegment state, int fd, int level, int name, int value, String label) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocateFrom(ValueLayout.JAVA_INT, value);
      setOption(state, fd, level, name, v, label);
    }
  }

  static void setOption(MemorySegment state, int fd, int level, int name, MemorySegment value, String label) {
    if (LibC.setsockopt(state, fd, level, name, value, (int) value.byteSize()) < 0) {
      throw LibC.fail("setsockopt(fd " + fd + ", " + label + ")", state);
    }
  }

  static int getIntOption(MemorySegment state, int fd, int level, int name, String label) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
      MemorySegment len = a.allocateFrom(ValueLayout.JAVA_INT, 4);
      if (LibC.getsockopt(state, fd, level, name, v, len) < 0) {
        throw LibC.fail("getsockopt(fd " + fd + ", " + label + ")", state);
      }
      return v.get(ValueLayout.JAVA_INT, 0);
    }
  }

  static int receiveBufferSize(Arena arena, MemorySegment state, int fd, int bytes) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocateFrom(ValueLayout.JAVA_INT, bytes);
      if (LibC.setsockopt(state, fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, v, 4) < 0) {
        setOption(state, fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, v, "SO_RCVBUF");
      }
    }
    return getIntOption(state, fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, "SO_RCVBUF");
  }

  /**
   * Polls one descriptor for {@code POLLIN} with the caller's {@code struct pollfd}: the revents, 0 on
   * timeout or {@code EINTR}, -1 when {@code poll(2)} failed otherwise (errno left in {@code state}).
   * Owning thread; no allocation.
   */
  static int pollIn(MemorySegment state, MemorySegment pollFd, int fd, int timeoutMillis) {
    pollFd.set(ValueLayout.JAVA_INT, 0, fd);
    pollFd.set(ValueLayout.JAVA_SHORT, 4, LibC.POLLIN);
    pollFd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
    int n = LibC.poll(state, pollFd, 1, timeoutMillis);
    if (n < 0) {
      return LibC.errno(state) == LibC.EINTR ? 0 : -1;
    }
    return n == 0 ? 0 : pollFd.get(ValueLayout.JAVA_SHORT, 6) & 0xFFFF;
  }

  /**
   * Turns the return of a non-blocking {@code recvfrom(2)} into a length: -1 when nothing is queued
   * ({@code EAGAIN}, {@code EINTR}), {@link #RECEIVE_FAILED} when it failed otherwise (errno left in
   * {@code state}). No allocation.
   */
  static int received(long n, MemorySegment state) {
    if (n >= 0) {
      return (int) n;
    }
    int errno = LibC.errno(state);
    return errno == LibC.EAGAIN || errno == LibC.EINTR ? -1 : RECEIVE_FAILED;
  }

  static void attachFilter(MemorySegment state, int fd, long[] program) {
    setFilter(state, fd, LibC.SOL_SOCKET, LibC.SO_ATTACH_FILTER, program, "SO_ATTACH_FILTER");
  }

  /** Sets a classic BPF program ({@code struct sock_fprog}) as a socket option: a filter, a fanout program. */
  static void setFilter(MemorySegment state, int fd, int level, int name, long[] program, String label) {
    if (program.length == 0 || program.length > 4096) {
      throw new IllegalArgumentException("BPF program must have 1..4096 instructions, had " + program.length);
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment code = a.allocate(8L * program.length, 8);
      for (int i = 0; i < program.length; i++) {
        long insn = program[i];
        code.set(ValueLayout.JAVA_SHORT, 8L * i, (short) (insn >>> 48));
        code.set(ValueLayout.JAVA_BYTE, 8L * i + 2, (byte) (insn >>> 40));
        code.set(ValueLayout.JAVA_BYTE, 8L * i + 3, (byte) (insn >>> 32));
        code.set(ValueLayout.JAVA_INT, 8L * i + 4, (int) insn);
      }
      MemorySegment fprog = a.allocate(16, 8);
      fprog.set(ValueLayout.JAVA_SHORT, 0, (short) program.length);
      fprog.set(ValueLayout.ADDRESS, 8, code);
      setOption(state, fd, level, name, fprog, label);
    }
  }

  /** Sets the send buffer ({@code SO_SNDBUFFORCE}, else {@code SO_SNDBUF} capped by {@code net.core.wmem_max}). */
  static void sendBufferSize(MemorySegment state, int fd, int bytes) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocateFrom(ValueLayout.JAVA_INT, bytes);
      if (LibC.setsockopt(state, fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, v, 4) < 0) {
        setOption(state, fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, v, "SO_SNDBUF");
      }
    }
  }
}
