package io.github.lb4j.linux;

/**
 * An independent reading of a frame for the tests: parses Ethernet (with one optional 802.1Q tag),
 * IPv4 or IPv6 and TCP or UDP byte by byte and verifies every checksum with a plain RFC 1071 sum,
 * sharing no code with {@link Offloads}.
 */
final class WireCheck {

  final int vlan;
  final boolean ipv6;
  final int protocol;
  final int sourcePort;
  final int destinationPort;
  final long sequence;
  final int tcpFlags;
  final int ipIdentification;
  final byte[] payload;
  final boolean ipChecksumOk;
  final boolean l4ChecksumOk;
  final int l4Checksum;
  /** Whether the frame holds less than its IP header says (a super-frame cut short by a ring). */
  final boolean truncated;

  private WireCheck(int vlan, boolean ipv6, int protocol, int sourcePort, int destinationPort, long sequence, int tcpFlags,
      int ipIdentification, byte[] payload, boolean ipChecksumOk, boolean l4ChecksumOk, int l4Checksum, boolean truncated) {
    this.vlan = vlan;
    this.ipv6 = ipv6;
    this.protocol = protocol;
    this.sourcePort = sourcePort;
    this.destinationPort = destinationPort;
    this.sequence = sequence;
    this.tcpFlags = tcpFlags;
    this.ipIdentification = ipIdentification;
    this.payload = payload;
    this.ipChecksumOk = ipChecksumOk;
    this.l4ChecksumOk = l4ChecksumOk;
    this.l4Checksum = l4Checksum;
    this.truncated = truncated;
  }

  static int u16(byte[] b, int at) {
    return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
  }

  static long u32(byte[] b, int at) {
    return ((long) u16(b, at) << 16) | u16(b, at + 2);
  }

  /** RFC 1071, one byte at a time. */
  static int onesComplementSum(byte[] b, int from, int to, long start) {
    long s = start;
    for (int i = from; i < to; i += 2) {
      int hi = b[i] & 0xFF;
      int lo = i + 1 < to ? b[i + 1] & 0xFF : 0;
      s += hi << 8 | lo;
    }
    while ((s >> 16) != 0) {
      s = (s & 0xFFFF) + (s >> 16);
    }
    return (int) s;
  }

  /** Parses an IPv4 or IPv6 TCP/UDP frame; null for anything else. */
  static WireCheck of(byte[] f) {
    int type = u16(f, 12);
    int l3 = 14;
    int vlan = -1;
    if (type == 0x8100) {
      vlan = u16(f, 14) & 0x0FFF;
      type = u16(f, 16);
      l3 = 18;
    }
    boolean v6;
    int protocol;
    int l4;
    int end;
    boolean ipOk = true;
    int id = -1;
    long pseudo = 0;
    if (type == 0x0800) {
      v6 = false;
      int ihl = (f[l3] & 0x0F) * 4;
      protocol = f[l3 + 9] & 0xFF;
      end = l3 + u16(f, l3 + 2);
      id = u16(f, l3 + 4);
      ipOk = onesComplementSum(f, l3, l3 + ihl, 0) == 0xFFFF;
      l4 = l3 + ihl;
      for (int i = 12; i < 20; i += 2) {
        pseudo += u16(f, l3 + i);
      }
    } else if (type == 0x86DD) {
      v6 = true;
      protocol = f[l3 + 6] & 0xFF;
      end = l3 + 40 + u16(f, l3 + 4);
      l4 = l3 + 40;
      for (int i = 8; i < 40; i += 2) {
        pseudo += u16(f, l3 + i);
      }
    } else {
      return null;
    }
    if (protocol != 6 && protocol != 17) {
      return null;
    }
    pseudo += protocol + (end - l4);
    boolean truncated = end > f.length;
    end = Math.min(end, f.length);
    boolean l4Ok = !truncated && onesComplementSum(f, l4, end, pseudo) == 0xFFFF;
    int headers = protocol == 6 ? ((f[l4 + 12] & 0xF0) >> 2) : 8;
    byte[] payload = java.util.Arrays.copyOfRange(f, l4 + headers, end);
    return new WireCheck(vlan, v6, protocol, u16(f, l4), u16(f, l4 + 2), protocol == 6 ? u32(f, l4 + 4) : 0,
        protocol == 6 ? f[l4 + 13] & 0xFF : 0, id, payload, ipOk, l4Ok, u16(f, l4 + (protocol == 6 ? 16 : 6)), truncated);
  }
}
