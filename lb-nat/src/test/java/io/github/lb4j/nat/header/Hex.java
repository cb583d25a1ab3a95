package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/** Hex helpers for the header tests. */
final class Hex {

  private Hex() {}

  static String of(ByteBuffer b, int offset, int length) {
    StringBuilder sb = new StringBuilder(length * 2);
    for (int i = 0; i < length; i++) {
      sb.append(String.format("%02x", b.get(offset + i) & 0xFF));
    }
    return sb.toString();
  }

  static ByteBuffer buffer(String hex, int headroom) {
    ByteBuffer b = ByteBuffer.allocate(headroom + hex.length() / 2);
    for (int i = 0; i < hex.length() / 2; i++) {
      b.put(headroom + i, (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16));
    }
    return b;
  }

  static int v4(int a, int b, int c, int d) {
    return a << 24 | b << 16 | c << 8 | d;
  }
}
