package io.github.lb4j.linux;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The thin binding over the libc calls lb-linux needs, one static method per call.
 *
 * <p>Every call that can fail takes a {@code state} segment first: the errno capture buffer of
 * {@link Linker.Option#captureCallState}, which the caller owns (one per socket, so the hot path does
 * not allocate). The methods return the raw C result; the callers turn {@code -1} into a {@link
 * NativeCallException} with {@link #fail}. Constants are the Linux UAPI values, identical on x86-64
 * and arm64 for everything used here.
 *
 * <p>Any thread may call it; a capture segment must not be shared by two threads at once. The calls
 * allocate nothing; the blocking ones ({@code poll}) block as their C counterparts do.
 */
// Binding libc is what this class is for: the restricted linker calls are its purpose, and the
// module is run with --enable-native-access=io.github.lb4j.linux.
@SuppressWarnings("restricted")
final class LibC {

  static final int AF_INET = 2;
  static final int AF_INET6 = 10;
  static final int AF_PACKET = 17;
  static final int SOCK_DGRAM = 2;
  static final int SOCK_RAW = 3;
  static final int SOCK_NONBLOCK = 0x800;
  static final int SOCK_CLOEXEC = 0x80000;
  static final int IPPROTO_IP = 0;
  static final int IPPROTO_ICMP = 1;
  static final int IPPROTO_TCP = 6;
  static final int IPPROTO_IPV6 = 41;
  static final int IPPROTO_ICMPV6 = 58;
  static final int SOL_SOCKET = 1;
  static final int SOL_RAW = 255;
  static final int SOL_PACKET = 263;
  static final int SO_SNDBUF = 7;
  static final int SO_RCVBUF = 8;
  static final int SO_BINDTODEVICE = 25;
  static final int SO_ATTACH_FILTER = 26;
  static final int SO_SNDBUFFORCE = 32;
  static final int SO_RCVBUFFORCE = 33;
  static final int IP_HDRINCL = 3;
  static final int IP_RECVERR = 11;
  static final int IPV6_CHECKSUM = 7;
  static final int IPV6_RECVERR = 25;
  static final int ICMP_FILTER = 1;
  static final int ICMP6_FILTER = 1;
  static final int PACKET_ADD_MEMBERSHIP = 1;
  static final int PACKET_MR_PROMISC = 1;
  static final int PACKET_RX_RING = 5;
  static final int PACKET_STATISTICS = 6;
  static final int PACKET_COPY_THRESH = 7;
  static final int PACKET_AUXDATA = 8;
  static final int PACKET_VERSION = 10;
  static final int PACKET_TX_RING = 13;
  static final int PACKET_VNET_HDR = 15;
  static final int PACKET_IGNORE_OUTGOING = 23;
  static final int TPACKET_V2 = 1;
  static final int ETH_P_ALL = 0x0003;
  static final int MSG_TRUNC = 0x20;
  static final int MSG_DONTWAIT = 0x40;
  static final int MSG_ERRQUEUE = 0x2000;
  static final short POLLIN = 0x1;
  static final short POLLOUT = 0x4;
  static final short POLLERR = 0x8;
  static final short POLLHUP = 0x10;
  static final short POLLNVAL = 0x20;
  static final int EFD_NONBLOCK = 0x800;
  static final int EFD_CLOEXEC = 0x80000;
  static final int PROT_READ = 1;
  static final int PROT_WRITE = 2;
  static final int MAP_SHARED = 1;
  static final long SIOCGIFFLAGS = 0x8913;
  static final long SIOCSIFFLAGS = 0x8914;
  static final long SIOCGIFMTU = 0x8921;
  static final long SIOCGIFHWADDR = 0x8927;
  static final long SIOCGIFINDEX = 0x8933;
  static final int IFNAMSIZ = 16;
  static final int IFREQ_SIZE = 40;

  static final int EPERM = 1;
  static final int EINTR = 4;
  static final int EAGAIN = 11;
  static final int EACCES = 13;
  static final int ENODEV = 19;
  static final int EPROTONOSUPPORT = 93;

  static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBC = LINKER.defaultLookup();
  private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
  private static final AddressLayout PTR = ValueLayout.ADDRESS;

  private static final MethodHandle SOCKET = call("socket", FunctionDescriptor.of(INT, INT, INT, INT));
  private static final MethodHandle BIND = call("bind", FunctionDescriptor.of(INT, INT, PTR, INT));
  private static final MethodHandle CONNECT = call("connect", FunctionDescriptor.of(INT, INT, PTR, INT));
  private static final MethodHandle SENDTO =
      call("sendto", FunctionDescriptor.of(LONG, INT, PTR, LONG, INT, PTR, INT));
  private static final MethodHandle RECVFROM =
      call("recvfrom", FunctionDescriptor.of(LONG, INT, PTR, LONG, INT, PTR, PTR));
  private static final MethodHandle RECVMSG = call("recvmsg", FunctionDescriptor.of(LONG, INT, PTR, INT));
  private static final MethodHandle SENDMSG = call("sendmsg", FunctionDescriptor.of(LONG, INT, PTR, INT));
  private static final MethodHandle SETSOCKOPT =
      call("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, INT));
  private static final MethodHandle GETSOCKOPT =
      call("getsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, PTR));
  private static final MethodHandle GETSOCKNAME =
      call("getsockname", FunctionDescriptor.of(INT, INT, PTR, PTR));
  private static final MethodHandle POLL = call("poll", FunctionDescriptor.of(INT, PTR, LONG, INT));
  private static final MethodHandle CLOSE = call("close", FunctionDescriptor.of(INT, INT));
  private static final MethodHandle READ = call("read", FunctionDescriptor.of(LONG, INT, PTR, LONG));
  private static final MethodHandle WRITE = call("write", FunctionDescriptor.of(LONG, INT, PTR, LONG));
  private static final MethodHandle IOCTL =
      call("ioctl", FunctionDescriptor.of(INT, INT, LONG, PTR), Linker.Option.firstVariadicArg(2));
  private static final MethodHandle IF_NAMETOINDEX = call("if_nametoindex", FunctionDescriptor.of(INT, PTR));
  private static final MethodHandle EVENTFD = call("eventfd", FunctionDescriptor.of(INT, INT, INT));
  private static final MethodHandle MMAP =
      call("mmap", FunctionDescriptor.of(PTR, PTR, LONG, INT, INT, INT, LONG));
  private static final MethodHandle MUNMAP = call("munmap", FunctionDescriptor.of(INT, PTR, LONG));
  private static final @Nullable MethodHandle STRERRORNAME_NP = plain("strerrorname_np", FunctionDescriptor.of(PTR, INT));
  private static final @Nullable MethodHandle STRERROR = plain("strerror", FunctionDescriptor.of(PTR, INT));

  private LibC() {}

  private static MethodHandle call(String name, FunctionDescriptor fd, Linker.Option... extra) {
    Linker.Option[] options = new Linker.Option[extra.length + 1];
    options[0] = ERRNO_OPTION;
    System.arraycopy(extra, 0, options, 1, extra.length);
    MemorySegment symbol =
        LIBC.find(name).orElseThrow(() -> new UnsupportedOperationException("libc has no '" + name + "'; lb-linux needs glibc or musl on Linux"));
    return LINKER.downcallHandle(symbol, fd, options);
  }

  private static @Nullable MethodHandle plain(String name, FunctionDescriptor fd) {
    Optional<MemorySegment> symbol = LIBC.find(name);
    return symbol.map(s -> LINKER.downcallHandle(s, fd)).orElse(null);
  }

  /** Allocates an errno capture segment in {@code arena}. */
  static MemorySegment captureState(Arena arena) {
    return arena.allocate(CAPTURE_LAYOUT);
  }

  /** Returns the errno the last call through {@code state} captured. */
  static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }

  /** Builds the exception for a failed call, naming it and the errno captured in {@code state}. */
  static NativeCallException fail(String call, MemorySegment state) {
    return NativeCallException.of(call, errno(state));
  }

  static int socket(MemorySegment state, int domain, int type, int protocol) {
    try {
      return (int) SOCKET.invokeExact(state, domain, type, protocol);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int bind(MemorySegment state, int fd, MemorySegment addr, int len) {
    try {
      return (int) BIND.invokeExact(state, fd, addr, len);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int connect(MemorySegment state, int fd, MemorySegment addr, int len) {
    try {
      return (int) CONNECT.invokeExact(state, fd, addr, len);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static long sendto(MemorySegment state, int fd, MemorySegment buf, long len, int flags, MemorySegment addr, int addrLen) {
    try {
      return (long) SENDTO.invokeExact(state, fd, buf, len, flags, addr, addrLen);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static long recvfrom(MemorySegment state, int fd, MemorySegment buf, long len, int flags, MemorySegment addr, MemorySegment addrLen) {
    try {
      return (long) RECVFROM.invokeExact(state, fd, buf, len, flags, addr, addrLen);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static long recvmsg(MemorySegment state, int fd, MemorySegment msghdr, int flags) {
    try {
      return (long) RECVMSG.invokeExact(state, fd, msghdr, flags);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static long sendmsg(MemorySegment state, int fd, MemorySegment msghdr, int flags) {
    try {
      return (long) SENDMSG.invokeExact(state, fd, msghdr, flags);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int setsockopt(MemorySegment state, int fd, int level, int name, MemorySegment value, int len) {
    try {
      return (int) SETSOCKOPT.invokeExact(state, fd, level, name, value, len);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int getsockopt(MemorySegment state, int fd, int level, int name, MemorySegment value, MemorySegment len) {
    try {
      return (int) GETSOCKOPT.invokeExact(state, fd, level, name, value, len);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int getsockname(MemorySegment state, int fd, MemorySegment addr, MemorySegment len) {
    try {
      return (int) GETSOCKNAME.invokeExact(state, fd, addr, len);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int poll(MemorySegment state, MemorySegment fds, long nfds, int timeoutMillis) {
    try {
      return (int) POLL.invokeExact(state, fds, nfds, timeoutMillis);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int close(MemorySegment state, int fd) {
    try {
      return (int) CLOSE.invokeExact(state, fd);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static long read(MemorySegment state, int fd, MemorySegment buf, long len) {
    try {
      return (long) READ.invokeExact(state, fd, buf, len);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static long write(MemorySegment state, int fd, MemorySegment buf, long len) {
    try {
      return (long) WRITE.invokeExact(state, fd, buf, len);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int ioctl(MemorySegment state, int fd, long request, MemorySegment arg) {
    try {
      return (int) IOCTL.invokeExact(state, fd, request, arg);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int ifNameToIndex(MemorySegment state, MemorySegment name) {
    try {
      return (int) IF_NAMETOINDEX.invokeExact(state, name);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int eventfd(MemorySegment state, int initval, int flags) {
    try {
      return (int) EVENTFD.invokeExact(state, initval, flags);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static MemorySegment mmap(MemorySegment state, long length, int prot, int flags, int fd) {
    try {
      return (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, length, prot, flags, fd, 0L);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  static int munmap(MemorySegment state, MemorySegment addr, long length) {
    try {
      return (int) MUNMAP.invokeExact(state, addr, length);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** Returns the symbolic name of an errno value ({@code "EPERM"}), or {@code "errno N"}. */
  static String errnoName(int errno) {
    MethodHandle h = STRERRORNAME_NP;
    if (h != null) {
      try {
        MemorySegment p = (MemorySegment) h.invokeExact(errno);
        if (!p.equals(MemorySegment.NULL)) {
          return p.reinterpret(64).getString(0);
        }
      } catch (Throwable t) {
        throw rethrow(t);
      }
    }
    return "errno " + errno;
  }

  /** Returns the C library's description of an errno value ({@code "Operation not permitted"}). */
  static String errnoDescription(int errno) {
    MethodHandle h = STRERROR;
    if (h == null) {
      return "";
    }
    try {
      MemorySegment p = (MemorySegment) h.invokeExact(errno);
      return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(256).getString(0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    throw new IllegalStateException("native call failed unexpectedly", t);
  }
}
