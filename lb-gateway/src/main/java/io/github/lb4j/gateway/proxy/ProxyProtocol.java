package io.github.lb4j.gateway.proxy;

import io.github.lb4j.api.Addresses;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Whether and how {@link ProxyServer} tells a backend who the client was: the PROXY protocol header
 * (HAProxy, "The PROXY protocol", versions 1 and 2) written once at the start of every backend
 * connection. A full proxy replaces the client's address with its own (seed S6.1b at socket level),
 * so a backend that wants the client address reads it from this header.
 *
 * <p>Any thread may use the constants. {@link #write} allocates only for version 1 (the text line).
 */
public enum ProxyProtocol {
  /** No header: the backend sees the proxy as its client. */
  NONE("none"),
  /** Version 1: one text line, {@code PROXY TCP4 src dst sport dport\r\n}. */
  V1("v1"),
  /** Version 2: the binary header, command PROXY, TCP over IPv4 or IPv6. */
  V2("v2");

  /** The 12-byte signature that opens every version 2 header. */
  static final byte[] V2_SIGNATURE = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };

  private final String configName;

  ProxyProtocol(String configName) {
    this.configName = configName;
  }

  /**
   * Returns the name used in flags and configuration files: {@code none}, {@code v1} or {@code v2}.
   *
   * @return the configuration name
   */
  public String configName() {
    return configName;
  }

  /**
   * Parses a configuration name.
   *
   * @param name {@code none}, {@code v1} or {@code v2} (case-insensitive)
   * @return the version
   * @throws IllegalArgumentException naming the value and the known names
   */
  public static ProxyProtocol parse(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (ProxyProtocol p : values()) {
      if (p.configName.equals(n)) {
        return p;
      }
    }
    throw new IllegalArgumentException("proxy-protocol must be none, v1 or v2, was '" + name + "'");
  }

  /**
   * Writes the header for one connection into {@code out} (which must have at least 108 bytes
   * free, the longest version 1 line). Writes nothing for {@link #NONE}. When the two addresses are
   * of different families (an IPv4 listener reached through an IPv4-mapped address), both are written
   * as IPv6, as HAProxy does.
   *
   * @param client the client's address and port
   * @param proxy the address and port the client connected to
   * @param out the buffer to append to, in fill mode
   */
  void write(InetSocketAddress client, InetSocketAddress proxy, ByteBuffer out) {
    if (this == NONE) {
      return;
    }
    boolean v4 = client.getAddress() instanceof Inet4Address && proxy.getAddress() instanceof Inet4Address;
    byte[] src = v4 ? client.getAddress().getAddress() : ipv6Bytes(client);
    byte[] dst = v4 ? proxy.getAddress().getAddress() : ipv6Bytes(proxy);
    if (this == V1) {
      String line = "PROXY " + (v4 ? "TCP4 " : "TCP6 ") + text(src, v4) + " " + text(dst, v4) + " "
          + client.getPort() + " " + proxy.getPort() + "\r\n";
      out.put(line.getBytes(StandardCharsets.US_ASCII));
      return;
    }
    out.put(V2_SIGNATURE);
    out.put((byte) 0x21); // version 2, command PROXY
    out.put((byte) (v4 ? 0x11 : 0x21)); // AF_INET or AF_INET6, over STREAM
    out.putShort((short) (v4 ? 12 : 36));
    out.put(src).put(dst);
    out.putShort((short) client.getPort());
    out.putShort((short) proxy.getPort());
  }

  private static byte[] ipv6Bytes(InetSocketAddress a) {
    byte[] raw = a.getAddress().getAddress();
    if (raw.length == 16) {
      return raw;
    }
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xFF;
    mapped[11] = (byte) 0xFF;
    System.arraycopy(raw, 0, mapped, 12, 4);
    return mapped;
  }

  private static String text(byte[] address, boolean v4) {
    if (v4) {
      return (address[0] & 0xFF) + "." + (address[1] & 0xFF) + "." + (address[2] & 0xFF) + "." + (address[3] & 0xFF);
    }
    try {
      // RFC 5952 text, as HAProxy writes it (inet_ntop); an IPv4-mapped address stays ::ffff:a.b.c.d.
      return Addresses.format(Inet6Address.getByAddress(null, address, -1));
    } catch (UnknownHostException e) {
      throw new AssertionError("16 bytes are always an IPv6 address", e);
    }
  }
}
