package io.github.lb4j.linux;

import io.github.lb4j.api.MacAddress;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A network interface by name, with its index, MTU, hardware address and flags read from the kernel
 * ({@code if_nametoindex(3)} and the {@code SIOCGIF*} ioctls of {@code netdevice(7)}).
 *
 * <p>Each accessor asks the kernel again, so values follow changes (an MTU set while running).
 * Immutable; any thread may use it. Every accessor allocates a little native memory and opens and
 * closes one datagram socket for the ioctl: control plane only. None blocks.
 */
public final class NetInterface {

  /** {@code IFF_UP}: the interface is administratively up. */
  public static final int IFF_UP = 0x1;
  /** {@code IFF_LOOPBACK}. */
  public static final int IFF_LOOPBACK = 0x8;
  /** {@code IFF_RUNNING}: the link is operational. */
  public static final int IFF_RUNNING = 0x40;
  /** {@code IFF_PROMISC}: promiscuous mode set through {@link #promiscuous(boolean)}. */
  public static final int IFF_PROMISC = 0x100;

  private final String name;
  private final int index;

  private NetInterface(String name, int index) {
    this.name = name;
    this.index = index;
  }

  /**
   * Looks an interface up by name.
   *
   * @param name the interface name, for example {@code "eth0"}, at most 15 bytes
   * @return the interface
   * @throws IllegalArgumentException when the name is empty or too long
   * @throws NativeCallException naming {@code if_nametoindex} and {@code ENODEV} when there is no such
   *     interface
   */
  public static NetInterface byName(String name) {
    checkName(name);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment state = LibC.captureState(a);
      int index = LibC.ifNameToIndex(state, a.allocateFrom(name));
      if (index == 0) {
        throw LibC.fail("if_nametoindex(\"" + name + "\")", state);
      }
      return new NetInterface(name, index);
    }
  }

  private static void checkName(String name) {
    int bytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (bytes == 0 || bytes >= LibC.IFNAMSIZ || name.indexOf('/') >= 0 || name.indexOf(' ') >= 0) {
      throw new IllegalArgumentException("interface name must be 1..15 bytes without '/' or spaces, was '" + name + "'");
    }
  }

  /**
   * Returns the name.
   *
   * @return the name given to {@link #byName}
   */
  public String name() {
    return name;
  }

  /**
   * Returns the interface index, as {@code SIOCGIFINDEX} and {@code if_nametoindex} report it.
   *
   * @return the index, positive
   */
  public int index() {
    return index;
  }

  /**
   * Returns the MTU ({@code SIOCGIFMTU}).
   *
   * @return the MTU in bytes
   */
  public int mtu() {
    return ioctl(LibC.SIOCGIFMTU, "SIOCGIFMTU", null).get(ValueLayout.JAVA_INT, 16);
  }

  /**
   * Returns the hardware address ({@code SIOCGIFHWADDR}); all zeros for loopback.
   *
   * @return the MAC address
   */
  public MacAddress macAddress() {
    MemorySegment ifr = ioctl(LibC.SIOCGIFHWADDR, "SIOCGIFHWADDR", null);
    byte[] mac = new byte[6];
    MemorySegment.copy(ifr, ValueLayout.JAVA_BYTE, 18, mac, 0, 6);
    return MacAddress.of(mac);
  }

  /**
   * Returns the interface flags ({@code SIOCGIFFLAGS}): {@link #IFF_UP}, {@link #IFF_RUNNING}, ...
   * Promiscuous mode requested by packet sockets ({@link PacketSocket.Options#promiscuous(boolean)}) is counted by the
   * kernel apart from these flags and does not show in them.
   *
   * @return the flags
   */
  public int flags() {
    return ioctl(LibC.SIOCGIFFLAGS, "SIOCGIFFLAGS", null).get(ValueLayout.JAVA_SHORT, 16) & 0xFFFF;
  }

  /**
   * Sets or clears {@link #IFF_PROMISC} for the whole interface ({@code SIOCSIFFLAGS}; needs {@code
   * CAP_NET_ADMIN}). It stays set after the process exits; prefer {@link PacketSocket.Options#promiscuous(boolean)},
   * which the kernel undoes when the socket closes.
   *
   * @param on whether to set the flag
   * @throws MissingCapabilityException without {@code CAP_NET_ADMIN}
   */
  public void promiscuous(boolean on) {
    int flags = flags();
    int next = on ? flags | IFF_PROMISC : flags & ~IFF_PROMISC;
    ioctl(LibC.SIOCSIFFLAGS, "SIOCSIFFLAGS", next);
  }

  private MemorySegment ioctl(long request, String label, @org.jspecify.annotations.Nullable Integer setFlags) {
    Arena a = Arena.ofAuto();
    MemorySegment state = LibC.captureState(a);
    MemorySegment ifr = a.allocate(LibC.IFREQ_SIZE, 8);
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    MemorySegment.copy(n, 0, ifr, ValueLayout.JAVA_BYTE, 0, n.length);
    if (setFlags != null) {
      ifr.set(ValueLayout.JAVA_SHORT, 16, (short) (int) setFlags);
    }
    int fd = LibC.socket(state, LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw LibC.fail("socket(AF_INET, SOCK_DGRAM, 0)", state);
    }
    try {
      if (LibC.ioctl(state, fd, request, ifr) < 0) {
        int errno = LibC.errno(state);
        String call = "ioctl(" + label + ", \"" + name + "\")";
        if (errno == LibC.EPERM || errno == LibC.EACCES) {
          throw new MissingCapabilityException(call, errno, "changing interface flags needs CAP_NET_ADMIN: run as root or grant it with 'setcap cap_net_admin+ep \"$JAVA_HOME/bin/java\"'");
        }
        throw NativeCallException.of(call, errno);
      }
      return ifr;
    } finally {
      LibC.close(state, fd);
    }
  }

  @Override
  public boolean equals(@org.jspecify.annotations.Nullable Object o) {
    return o instanceof NetInterface i && i.index == index && i.name.equals(name);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + index;
  }

  @Override
  public String toString() {
    return name + " (index " + index + ")";
  }
}
