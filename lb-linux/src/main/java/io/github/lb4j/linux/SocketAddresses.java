package io.github.lb4j.linux;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import org.jspecify.annotations.Nullable;

/**
 * Encodes and decodes {@code sockaddr_in} (16 bytes) and {@code sockaddr_in6} (28 bytes) in native
 * memory. Ports and IPv4 addresses are in network order inside the structures; the family field is
 * in host order.
 *
 * <p>Stateless; any thread may call it. Encoding reads {@link InetAddress#getAddress()}, which
 * allocates a copy of the address bytes; decoding into an {@link InetAddress} allocates.
 */
final class SocketAddresses {

  static final int SOCKADDR_IN_SIZE = 16;
  static final int SOCKADDR_IN6_SIZE = 28;
  static final int SOCKADDR_STORAGE_SIZE = 128;

  private static final ValueLayout.OfShort SHORT_BE =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

  private SocketAddresses() {}

  static int familyCode(StandardProtocolFamily family) {
    return switch (family) {
      case INET -> LibC.AF_INET;
      case INET6 -> LibC.AF_INET6;
      default -> throw new IllegalArgumentException("family must be INET or INET6, was " + family);
    };
  }

  static StandardProtocolFamily familyOf(InetAddress address) {
    return address instanceof Inet4Address ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
  }

  /**
   * Writes {@code address:port} into {@code dst} (cleared first, so at least 28 bytes) as the structure of {@code family} and returns its
   * length. An IPv4 address given for an IPv6 socket is written as the v4-mapped address.
   */
  static int write(MemorySegment dst, StandardProtocolFamily family, InetAddress address, int port) {
    byte[] raw = address.getAddress();
    if (family == StandardProtocolFamily.INET) {
      if (raw.length != 4) {
        throw new IllegalArgumentException("an IPv4 socket cannot send to the IPv6 address " + address.getHostAddress());
      }
      dst.fill((byte) 0);
      dst.set(ValueLayout.JAVA_SHORT, 0, (short) LibC.AF_INET);
      dst.set(SHORT_BE, 2, (short) port);
      MemorySegment.copy(raw, 0, dst, ValueLayout.JAVA_BYTE, 4, 4);
      return SOCKADDR_IN_SIZE;
    }
    dst.fill((byte) 0);
    dst.set(ValueLayout.JAVA_SHORT, 0, (short) LibC.AF_INET6);
    dst.set(SHORT_BE, 2, (short) port);
    if (raw.length == 4) {
      dst.set(ValueLayout.JAVA_BYTE, 18, (byte) 0xFF);
      dst.set(ValueLayout.JAVA_BYTE, 19, (byte) 0xFF);
      MemorySegment.copy(raw, 0, dst, ValueLayout.JAVA_BYTE, 20, 4);
    } else {
      MemorySegment.copy(raw, 0, dst, ValueLayout.JAVA_BYTE, 8, 16);
      if (address instanceof Inet6Address a6) {
        dst.set(ValueLayout.JAVA_INT_UNALIGNED, 24, a6.getScopeId());
      }
    }
    return SOCKADDR_IN6_SIZE;
  }

  /** Reads the address of a {@code sockaddr_in} or {@code sockaddr_in6}; null for other families. */
  static @Nullable InetAddress read(MemorySegment src) {
    int family = src.get(ValueLayout.JAVA_SHORT, 0);
    byte[] raw;
    if (family == LibC.AF_INET) {
      raw = new byte[4];
      MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 4, raw, 0, 4);
    } else if (family == LibC.AF_INET6) {
      raw = new byte[16];
      MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 8, raw, 0, 16);
    } else {
      return null;
    }
    try {
      return InetAddress.getByAddress(raw);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("address of length " + raw.length, e);
    }
  }

  /** Reads the port of a {@code sockaddr_in} or {@code sockaddr_in6}. */
  static int port(MemorySegment src) {
    return src.get(SHORT_BE, 2) & 0xFFFF;
  }
}
