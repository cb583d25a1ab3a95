package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * Writes complete, checksummed Ethernet frames (TCP, UDP, ICMP echo, ARP, neighbor solicitation)
 * for traces, tests, benchmarks and the gateway's demo. Fields are set fluently and kept between
 * frames; each {@code write*} method lays one frame out at an offset and returns its length.
 *
 * <pre>
 * int n = new FrameBuilder().macs(lbMac, clientMac).ipv4(client, vip).ports(40000, 80)
 *     .tcpFlags(TcpFlyweight.SYN).writeTcp(buffer, 64);
 * </pre>
 *
 * <p>Not the packet path: one thread; never allocates after construction; never blocks. The
 * caller provides a buffer large enough (a frame is at most 14 + 4 + 60 + 8 + 8 + 60 + payload
 * bytes).
 */
public final class FrameBuilder {

  private long destinationMac;
  private long sourceMac;
  private int vlan = -1;
  private boolean ipv6;
  private int source4;
  private int destination4;
  private long srcHigh;
  private long srcLow;
  private long dstHigh;
  private long dstLow;
  private int ttl = 64;
  private int dscpEcn;
  private int identification = 1;
  private int flags = 2;
  private int fragmentOffset;
  private int ipv4OptionsWords;
  private boolean hopByHop;
  private boolean v6Fragment;
  private boolean v6MoreFragments;
  private int sourcePort;
  private int destinationPort;
  private int tcpFlags = TcpFlyweight.ACK;
  private long sequence = 1;
  private long acknowledgment;
  private int tcpOptionsWords;
  private int payload;
  private boolean udpChecksum = true;

  /** Creates a builder for IPv4 with TTL 64, DF set and no payload. */
  public FrameBuilder() {
    super();
  }

  /**
   * Sets the MAC addresses.
   *
   * @param destination the destination MAC (low 48 bits)
   * @param source the source MAC
   * @return this builder
   */
  public FrameBuilder macs(long destination, long source) {
    this.destinationMac = destination;
    this.sourceMac = source;
    return this;
  }

  /**
   * Adds an 802.1Q tag, or removes it.
   *
   * @param vlanIdentifier 0..4095, or -1 for untagged
   * @return this builder
   */
  public FrameBuilder vlan(int vlanIdentifier) {
    this.vlan = vlanIdentifier;
    return this;
  }

  /**
   * Selects IPv4 with these addresses.
   *
   * @param source source address
   * @param destination destination address
   * @return this builder
   */
  public FrameBuilder ipv4(int source, int destination) {
    this.ipv6 = false;
    this.source4 = source;
    this.destination4 = destination;
    return this;
  }

  /**
   * Selects IPv6 with these addresses.
   *
   * @param sourceHigh bits 127..64 of the source
   * @param sourceLow bits 63..0 of the source
   * @param destinationHigh bits 127..64 of the destination
   * @param destinationLow bits 63..0 of the destination
   * @return this builder
   */
  public FrameBuilder ipv6(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow) {
    this.ipv6 = true;
    this.srcHigh = sourceHigh;
    this.srcLow = sourceLow;
    this.dstHigh = destinationHigh;
    this.dstLow = destinationLow;
    return this;
  }

  /**
   * Sets TTL or hop limit.
   *
   * @param value 0..255
   * @return this builder
   */
  public FrameBuilder ttl(int value) {
    this.ttl = value;
    return this;
  }

  /**
   * Sets the DSCP/ECN octet (IPv4) or traffic class (IPv6).
   *
   * @param value 0..255
   * @return this builder
   */
  public FrameBuilder dscpEcn(int value) {
    this.dscpEcn = value;
    return this;
  }

  /**
   * Sets IPv4 identification, flags and fragment offset.
   *
   * @param id identification
   * @param ipFlags the three flag bits (DF = 2, MF = 1)
   * @param offset8 fragment offset in 8-octet units
   * @return this builder
   */
  public FrameBuilder fragment(int id, int ipFlags, int offset8) {
    this.identification = id;
    this.flags = ipFlags;
    this.fragmentOffset = offset8;
    return this;
  }

  /**
   * Adds IPv4 options (NOP-padded, ending with End of Option List).
   *
   * @param words 0..10 32-bit words
   * @return this builder
   */
  public FrameBuilder ipv4Options(int words) {
    this.ipv4OptionsWords = words;
    return this;
  }

  /**
   * Adds IPv6 extension headers: an empty hop-by-hop header and/or a fragment header.
   *
   * @param hopByHopHeader whether to add an 8-byte hop-by-hop header (PadN)
   * @param fragmentHeader whether to add a fragment header (offset from {@link #fragment}, M flag from flags bit 0)
   * @return this builder
   */
  public FrameBuilder ipv6Extensions(boolean hopByHopHeader, boolean fragmentHeader) {
    this.hopByHop = hopByHopHeader;
    this.v6Fragment = fragmentHeader;
    this.v6MoreFragments = (flags & 1) != 0;
    return this;
  }

  /**
   * Sets the ports (or the echo identifier as source port).
   *
   * @param source source port
   * @param destination destination port
   * @return this builder
   */
  public FrameBuilder ports(int source, int destination) {
    this.sourcePort = source;
    this.destinationPort = destination;
    return this;
  }

  /**
   * Sets the TCP control bits.
   *
   * @param value for example {@code TcpFlyweight.SYN}
   * @return this builder
   */
  public FrameBuilder tcpFlags(int value) {
    this.tcpFlags = value;
    return this;
  }

  /**
   * Sets TCP sequence and acknowledgment numbers.
   *
   * @param seq sequence number
   * @param ack acknowledgment number
   * @return this builder
   */
  public FrameBuilder sequence(long seq, long ack) {
    this.sequence = seq;
    this.acknowledgment = ack;
    return this;
  }

  /**
   * Adds TCP options (NOPs).
   *
   * @param words 0..10 32-bit words
   * @return this builder
   */
  public FrameBuilder tcpOptions(int words) {
    this.tcpOptionsWords = words;
    return this;
  }

  /**
   * Sets the payload length; payload bytes count up from 0.
   *
   * @param bytes 0 or more
   * @return this builder
   */
  public FrameBuilder payload(int bytes) {
    this.payload = bytes;
    return this;
  }

  /**
   * Chooses whether a UDP-over-IPv4 checksum is computed or left 0 ("none").
   *
   * @param compute whether to compute it
   * @return this builder
   */
  public FrameBuilder udpChecksum(boolean compute) {
    this.udpChecksum = compute;
    return this;
  }

  /**
   * Writes a TCP segment.
   *
   * @param b the buffer
   * @param offset where the frame starts
   * @return the frame length
   */
  public int writeTcp(ByteBuffer b, int offset) {
    int hl = TcpFlyweight.MIN_HEADER_LENGTH + 4 * tcpOptionsWords;
    int l4 = writeIp(b, offset, 6, hl + payload);
    b.putShort(l4, (short) sourcePort);
    b.putShort(l4 + 2, (short) destinationPort);
    b.putInt(l4 + 4, (int) sequence);
    b.putInt(l4 + 8, (int) acknowledgment);
    b.put(l4 + 12, (byte) ((hl / 4) << 4));
    b.put(l4 + 13, (byte) tcpFlags);
    b.putShort(l4 + 14, (short) 64240);
    b.putInt(l4 + 16, 0);
    for (int i = 0; i < 4 * tcpOptionsWords; i++) {
      b.put(l4 + 20 + i, (byte) 1);
    }
    fillPayload(b, l4 + hl);
    return finishTransport(b, offset, l4, hl + payload, 6, TcpFlyweight.CHECKSUM_OFFSET);
  }

  /**
   * Writes a UDP datagram.
   *
   * @param b the buffer
   * @param offset where the frame starts
   * @return the frame length
   */
  public int writeUdp(ByteBuffer b, int offset) {
    int len = UdpFlyweight.HEADER_LENGTH + payload;
    int l4 = writeIp(b, offset, 17, len);
    b.putShort(l4, (short) sourcePort);
    b.putShort(l4 + 2, (short) destinationPort);
    b.putShort(l4 + 4, (short) len);
    b.putShort(l4 + 6, (short) 0);
    fillPayload(b, l4 + 8);
    if (!ipv6 && !udpChecksum) {
      return l4 + len - offset;
    }
    int n = finishTransport(b, offset, l4, len, 17, UdpFlyweight.CHECKSUM_OFFSET);
    if ((b.getShort(l4 + 6) & 0xFFFF) == 0) {
      b.putShort(l4 + 6, (short) 0xFFFF);
    }
    return n;
  }

  /**
   * Writes an ICMP (IPv4) or ICMPv6 echo request or reply; the identifier is the source port.
   *
   * @param b the buffer
   * @param offset where the frame starts
   * @param request true for a request, false for a reply
   * @return the frame length
   */
  public int writeEcho(ByteBuffer b, int offset, boolean request) {
    int len = Icmpv4Flyweight.HEADER_LENGTH + payload;
    int proto = ipv6 ? 58 : 1;
    int l4 = writeIp(b, offset, proto, len);
    int type = ipv6
        ? (request ? Icmpv6Flyweight.TYPE_ECHO_REQUEST : Icmpv6Flyweight.TYPE_ECHO_REPLY)
        : (request ? Icmpv4Flyweight.TYPE_ECHO_REQUEST : Icmpv4Flyweight.TYPE_ECHO_REPLY);
    b.put(l4, (byte) type);
    b.put(l4 + 1, (byte) 0);
    b.putShort(l4 + 2, (short) 0);
    b.putShort(l4 + 4, (short) sourcePort);
    b.putShort(l4 + 6, (short) destinationPort);
    fillPayload(b, l4 + 8);
    if (ipv6) {
      return finishTransport(b, offset, l4, len, 58, 2);
    }
    b.putShort(l4 + 2, (short) Checksums.checksum(b, l4, len));
    return l4 + len - offset;
  }

  /**
   * Writes an ARP request from the source MAC and IPv4 source for the IPv4 destination; the
   * Ethernet destination is the MAC set by {@link #macs} (usually broadcast).
   *
   * @param b the buffer
   * @param offset where the frame starts
   * @return the frame length
   */
  public int writeArpRequest(ByteBuffer b, int offset) {
    int l3 = writeEthernet(b, offset, EthernetFlyweight.ETHER_TYPE_ARP);
    b.putShort(l3, (short) 1);
    b.putShort(l3 + 2, (short) EthernetFlyweight.ETHER_TYPE_IPV4);
    b.put(l3 + 4, (byte) 6);
    b.put(l3 + 5, (byte) 4);
    b.putShort(l3 + 6, (short) ArpFlyweight.OPERATION_REQUEST);
    HeaderFlyweight.u48(b, l3 + 8, sourceMac);
    b.putInt(l3 + 14, source4);
    HeaderFlyweight.u48(b, l3 + 18, 0);
    b.putInt(l3 + 24, destination4);
    return l3 + ArpFlyweight.LENGTH - offset;
  }

  /**
   * Writes a neighbor solicitation for the IPv6 destination address, from the IPv6 source, with a
   * source link-layer address option; the IP destination is the target's solicited-node multicast
   * address (RFC 4291 §2.7.1) and the hop limit 255 (RFC 4861 §7.1.1).
   *
   * @param b the buffer
   * @param offset where the frame starts
   * @return the frame length
   */
  public int writeNeighborSolicitation(ByteBuffer b, int offset) {
    long targetHigh = dstHigh;
    long targetLow = dstLow;
    long savedHigh = dstHigh;
    long savedLow = dstLow;
    int savedTtl = ttl;
    dstHigh = 0xFF02_0000_0000_0000L;
    dstLow = 0x0000_0001_FF00_0000L | (targetLow & 0xFF_FFFFL);
    ttl = 255;
    int len = 32;
    int l4 = writeIp(b, offset, 58, len);
    b.putInt(l4, Icmpv6Flyweight.TYPE_NEIGHBOR_SOLICITATION << 24);
    b.putInt(l4 + 4, 0);
    b.putLong(l4 + 8, targetHigh);
    b.putLong(l4 + 16, targetLow);
    b.put(l4 + 24, (byte) Icmpv6Flyweight.OPTION_SOURCE_LINK_LAYER_ADDRESS);
    b.put(l4 + 25, (byte) 1);
    HeaderFlyweight.u48(b, l4 + 26, sourceMac);
    int n = finishTransport(b, offset, l4, len, 58, 2);
    dstHigh = savedHigh;
    dstLow = savedLow;
    ttl = savedTtl;
    return n;
  }

  private int writeEthernet(ByteBuffer b, int offset, int etherType) {
    HeaderFlyweight.u48(b, offset, destinationMac);
    HeaderFlyweight.u48(b, offset + 6, sourceMac);
    if (vlan >= 0) {
      b.putShort(offset + 12, (short) EthernetFlyweight.TPID_8021Q);
      b.putShort(offset + 14, (short) (vlan & 0x0FFF));
      b.putShort(offset + 16, (short) etherType);
      return offset + EthernetFlyweight.TAGGED_HEADER_LENGTH;
    }
    b.putShort(offset + 12, (short) etherType);
    return offset + EthernetFlyweight.HEADER_LENGTH;
  }

  private int writeIp(ByteBuffer b, int offset, int protocol, int l4Length) {
    if (!ipv6) {
      int l3 = writeEthernet(b, offset, EthernetFlyweight.ETHER_TYPE_IPV4);
      int ihl = 5 + ipv4OptionsWords;
      b.putInt(l3, (0x40 | ihl) << 24 | (dscpEcn & 0xFF) << 16 | (ihl * 4 + l4Length));
      b.putInt(l3 + 4, (identification & 0xFFFF) << 16 | (flags & 7) << 13 | (fragmentOffset & 0x1FFF));
      b.putInt(l3 + 8, (ttl & 0xFF) << 24 | protocol << 16);
      b.putInt(l3 + 12, source4);
      b.putInt(l3 + 16, destination4);
      for (int i = 0; i < 4 * ipv4OptionsWords; i++) {
        b.put(l3 + 20 + i, (byte) (i == 4 * ipv4OptionsWords - 1 ? 0 : 1));
      }
      b.putShort(l3 + 10, (short) Checksums.checksum(b, l3, ihl * 4));
      return l3 + ihl * 4;
    }
    int l3 = writeEthernet(b, offset, EthernetFlyweight.ETHER_TYPE_IPV6);
    int ext = (hopByHop ? 8 : 0) + (v6Fragment ? 8 : 0);
    int first = hopByHop ? 0 : v6Fragment ? Ipv6Flyweight.NEXT_HEADER_FRAGMENT : protocol;
    b.putInt(l3, 6 << 28 | (dscpEcn & 0xFF) << 20);
    b.putInt(l3 + 4, (ext + l4Length) << 16 | first << 8 | (ttl & 0xFF));
    b.putLong(l3 + 8, srcHigh);
    b.putLong(l3 + 16, srcLow);
    b.putLong(l3 + 24, dstHigh);
    b.putLong(l3 + 32, dstLow);
    int at = l3 + 40;
    if (hopByHop) {
      b.put(at, (byte) (v6Fragment ? Ipv6Flyweight.NEXT_HEADER_FRAGMENT : protocol));
      b.put(at + 1, (byte) 0);
      b.put(at + 2, (byte) 1);
      b.put(at + 3, (byte) 4);
      b.putInt(at + 4, 0);
      at += 8;
    }
    if (v6Fragment) {
      b.put(at, (byte) protocol);
      b.put(at + 1, (byte) 0);
      b.putShort(at + 2, (short) ((fragmentOffset & 0x1FFF) << 3 | (v6MoreFragments ? 1 : 0)));
      b.putInt(at + 4, identification);
      at += 8;
    }
    return at;
  }

  private void fillPayload(ByteBuffer b, int at) {
    for (int i = 0; i < payload; i++) {
      b.put(at + i, (byte) i);
    }
  }

  private int finishTransport(ByteBuffer b, int offset, int l4, int len, int protocol, int checksumOffset) {
    b.putShort(l4 + checksumOffset, (short) 0);
    int l3 = offset + (vlan >= 0 ? EthernetFlyweight.TAGGED_HEADER_LENGTH : EthernetFlyweight.HEADER_LENGTH);
    int c = ipv6
        ? Checksums.transportChecksumV6(b, l3, l4, len, protocol)
        : Checksums.transportChecksumV4(b, l3, l4, len, protocol);
    b.putShort(l4 + checksumOffset, (short) c);
    return l4 + len - offset;
  }
}
