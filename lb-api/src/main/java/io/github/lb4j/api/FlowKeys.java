package io.github.lb4j.api;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Conversions between {@link InetAddress} and the two-{@code long} form of {@link FlowKey}. */
final class FlowKeys {

  static final long V4_MAPPED_PREFIX = 0x0000_FFFF_0000_0000L;

  private FlowKeys() {}

  static long high(InetAddress a) {
    if (a instanceof Inet4Address) {
      return 0L;
    }
    byte[] b = a.getAddress();
    return readLong(b, 0);
  }

  static long low(InetAddress a) {
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      return V4_MAPPED_PREFIX | (readInt(b) & 0xFFFF_FFFFL);
    }
    return readLong(b, 8);
  }

  static InetAddress toInetAddress(boolean ipv6, long high, long low) {
    try {
      if (!ipv6) {
        int v = (int) low;
        return InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
      }
      byte[] b = new byte[16];
      for (int i = 0; i < 8; i++) {
        b[i] = (byte) (high >>> (56 - 8 * i));
        b[8 + i] = (byte) (low >>> (56 - 8 * i));
      }
      return Inet6Address.getByAddress(null, b, -1);
    } catch (UnknownHostException e) {
      throw new AssertionError("a 4 or 16 byte address is always valid", e);
    }
  }

  static String format(boolean ipv6, long high, long low, int port) {
    return Addresses.format(toInetAddress(ipv6, high, low), port);
  }

  private static long readLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xFF);
    }
    return v;
  }

  private static int readInt(byte[] b) {
    return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
  }
}
