package io.github.lb4j.nat.header;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.FlowKey;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Classifies one Ethernet frame once: link, network and transport offsets, protocol, fragment
 * fields, TCP flags, ICMP type, and the flow key. The parser itself is the packet-path {@link
 * FlowKey}: after a successful {@link #parse} its accessors describe the frame's flow (IPv4 addresses
 * in their IPv4-mapped form), with no allocation.
 *
 * <p>Every length field is checked against the frame before anything behind it is read: {@link
 * #parse} reads only bytes inside {@code [offset, offset + length)}, and returns {@link #OK} or the
 * {@link DropReason#code()} of the problem ({@code TRUNCATED} when the frame ends before a header it
 * announces, {@code MALFORMED} for a field that contradicts itself, {@code UNSUPPORTED} for an
 * EtherType or buffer order the packet core does not handle). It never throws for frame contents.
 * After {@code OK}, every header up to {@link #l4Offset()} plus the fixed part of the transport
 * header ({@link #l4HeaderLength()}) lies inside the frame, so flyweights may be wrapped there.
 *
 * <p>IPv6 extension headers (hop-by-hop, routing, destination options, authentication, fragment)
 * are walked to reach the transport header (RFC 8200 §4). A non-first fragment (IPv4 offset &gt; 0,
 * or IPv6 fragment offset &gt; 0) has no transport header: {@link #l4HeaderLength()} is 0 and the
 * ports are 0. Ethernet padding after the IP packet is excluded: {@link #l3End()} is where the IP
 * packet ends.
 *
 * <p>The common frame of an established flow (untagged Ethernet, IPv4 without options, not a
 * fragment, TCP) takes a fast path: four wide reads and one test decide that the frame is such a
 * frame and fill every field; anything else, errors included, takes the general path. Both leave the
 * same fields (see {@link #parse}).
 *
 * <p>For ICMP errors, {@link #parseQuoted()} classifies the quoted packet into the {@code inner*}
 * fields (RFC 792: the IP header and at least 8 bytes of the transport header).
 *
 * <p>One thread per parser (the datapath worker); never allocates; never blocks.
 */
public final class FrameParser implements FlowKey {

  /** Result of a successful parse. */
  public static final int OK = 0;

  private static final long V4_MAPPED = 0x0000_FFFF_0000_0000L;
  /** The shortest frame the fast path takes: Ethernet, IPv4 and TCP headers without options. */
  private static final int FAST_MIN_LENGTH =
      EthernetFlyweight.HEADER_LENGTH + Ipv4Flyweight.MIN_HEADER_LENGTH + TcpFlyweight.MIN_HEADER_LENGTH;

  private ByteBuffer buffer = ByteBuffer.allocate(0);
  private int frameOffset;
  private int frameEnd;
  private int etherType;
  private boolean tagged;
  private int l3Offset;
  private int l3End;
  private int l4Offset;
  private int l4HeaderLength;
  private int protocol;
  private boolean ipv6;
  private boolean fragment;
  private boolean firstFragment;
  private boolean sourceRouted;
  private int fragmentIdentification;
  private int tcpFlags;
  private int icmpType;
  private int icmpCode;
  private long srcHigh;
  private long srcLow;
  private long dstHigh;
  private long dstLow;
  private int srcPort;
  private int dstPort;

  private int innerL3Offset;
  private int innerL4Offset;
  private int innerProtocol;
  private long innerSrcHigh;
  private long innerSrcLow;
  private long innerDstHigh;
  private long innerDstLow;
  private int innerSrcPort;
  private int innerDstPort;

  /** Creates a parser; it allocates nothing afterwards. */
  public FrameParser() {
    super();
  }

  /**
   * Parses a frame.
   *
   * @param buffer the buffer, big-endian
   * @param offset the frame's first byte (its Ethernet header)
   * @param length the frame's length
   * @return {@link #OK} or a {@link DropReason#code()}
   */
  public int parse(ByteBuffer buffer, int offset, int length) {
    if (length >= FAST_MIN_LENGTH && buffer.order() == ByteOrder.BIG_ENDIAN && parseIpv4Tcp(buffer, offset, length)) {
      return OK;
    }
    return parseGeneral(buffer, offset, length);
  }

  /**
   * The fast path of {@link #parse}, for the frame a balancer sees most: untagged Ethernet, IPv4
   * without options and not a fragment, TCP with a data offset that fits the packet. Its fields are
   * taken from four wide reads and one short, and a single test decides whether the frame is such a
   * frame; any other frame (a VLAN tag, options, a fragment, another protocol, IPv6, a length that
   * does not add up) is left to {@link #parseGeneral}, which then decides everything, errors
   * included. When it accepts a frame every check of the general path holds (version 4 and IHL 5,
   * {@code total >= 20 + tcpHeader}, {@code total <= length - 14}, {@code tcpHeader >= 20}), so both
   * paths leave the same fields; {@code FrameParserFastPathTest} compares them over random frames.
   * Reads only bytes 12 to 47 of a frame of at least {@value #FAST_MIN_LENGTH} bytes.
   *
   * @return whether the frame was such a frame and is now parsed
   */
  private boolean parseIpv4Tcp(ByteBuffer b, int offset, int length) {
    // EtherType | version, IHL | DSCP, ECN | total length | identification
    long head = b.getLong(offset + 12);
    // flags, fragment offset | TTL | protocol
    int fragmentAndProtocol = b.getInt(offset + 20);
    // TCP data offset, reserved bits and flags
    int offsetAndFlags = b.getShort(offset + 46);
    int total = (int) (head >>> 16) & 0xFFFF;
    int tcpHeader = (offsetAndFlags >>> 10) & 0x3C;
    if ((head >>> 40) != 0x08_00_45L || (fragmentAndProtocol & 0x3FFF_00FF) != 6 || tcpHeader < TcpFlyweight.MIN_HEADER_LENGTH
        || total < Ipv4Flyweight.MIN_HEADER_LENGTH + tcpHeader || total > length - EthernetFlyweight.HEADER_LENGTH) {
      return false;
    }
    long addresses = b.getLong(offset + 26);
    int ports = b.getInt(offset + 34);
    int l3 = offset + EthernetFlyweight.HEADER_LENGTH;
    this.buffer = b;
    this.frameOffset = offset;
    this.frameEnd = offset + length;
    this.etherType = EthernetFlyweight.ETHER_TYPE_IPV4;
    this.tagged = false;
    this.l3Offset = l3;
    this.l3End = l3 + total;
    this.l4Offset = l3 + Ipv4Flyweight.MIN_HEADER_LENGTH;
    this.l4HeaderLength = tcpHeader;
    this.protocol = 6;
    this.ipv6 = false;
    this.fragment = false;
    this.firstFragment = false;
    this.sourceRouted = false;
    this.fragmentIdentification = 0;
    this.tcpFlags = offsetAndFlags & 0xFF;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.srcHigh = 0;
    this.dstHigh = 0;
    this.srcLow = V4_MAPPED | addresses >>> 32;
    this.dstLow = V4_MAPPED | (addresses & 0xFFFF_FFFFL);
    this.srcPort = ports >>> 16;
    this.dstPort = ports & 0xFFFF;
    return true;
  }

  /**
   * The general path of {@link #parse}, which takes it for every frame its fast path does not
   * accept: every EtherType, tag, option, extension header and error. Tests call it to compare.
   *
   * @param buffer the buffer, big-endian
   * @param offset the frame's first byte (its Ethernet header)
   * @param length the frame's length
   * @return {@link #OK} or a {@link DropReason#code()}
   */
  int parseGeneral(ByteBuffer buffer, int offset, int length) {
    this.buffer = buffer;
    this.frameOffset = offset;
    this.frameEnd = offset + length;
    this.protocol = 0;
    this.ipv6 = false;
    this.fragment = false;
    this.firstFragment = false;
    this.sourceRouted = false;
    this.fragmentIdentification = 0;
    this.tcpFlags = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.srcPort = 0;
    this.dstPort = 0;
    this.l4HeaderLength = 0;
    if (buffer.order() != ByteOrder.BIG_ENDIAN) {
      return DropReason.UNSUPPORTED.code();
    }
    if (length < EthernetFlyweight.HEADER_LENGTH) {
      return DropReason.TRUNCATED.code();
    }
    int type = buffer.getShort(offset + EthernetFlyweight.ETHER_TYPE_OFFSET) & 0xFFFF;
    int l3 = offset + EthernetFlyweight.HEADER_LENGTH;
    tagged = type == EthernetFlyweight.TPID_8021Q;
    if (tagged) {
      if (length < EthernetFlyweight.TAGGED_HEADER_LENGTH) {
        return DropReason.TRUNCATED.code();
      }
      type = buffer.getShort(offset + EthernetFlyweight.TAGGED_ETHER_TYPE_OFFSET) & 0xFFFF;
      l3 += 4;
    }
    this.etherType = type;
    this.l3Offset = l3;
    this.l3End = frameEnd;
    this.l4Offset = l3;
    switch (type) {
      case EthernetFlyweight.ETHER_TYPE_IPV4:
        return parseIpv4(l3);
      case EthernetFlyweight.ETHER_TYPE_IPV6:
        return parseIpv6(l3);
      case EthernetFlyweight.ETHER_TYPE_ARP:
        return parseArp(l3);
      default:
        return DropReason.UNSUPPORTED.code();
    }
  }

  private int parseArp(int l3) {
    if (frameEnd - l3 < ArpFlyweight.LENGTH) {
      return DropReason.TRUNCATED.code();
    }
    if ((buffer.getShort(l3) & 0xFFFF) != ArpFlyweight.HARDWARE_TYPE_ETHERNET
        || (buffer.getShort(l3 + 2) & 0xFFFF) != EthernetFlyweight.ETHER_TYPE_IPV4
        || buffer.get(l3 + 4) != 6 || buffer.get(l3 + 5) != 4) {
      return DropReason.MALFORMED.code();
    }
    l3End = l3 + ArpFlyweight.LENGTH;
    l4Offset = l3End;
    srcHigh = 0;
    dstHigh = 0;
    srcLow = V4_MAPPED | (buffer.getInt(l3 + ArpFlyweight.SENDER_PROTOCOL_ADDRESS_OFFSET) & 0xFFFF_FFFFL);
    dstLow = V4_MAPPED | (buffer.getInt(l3 + ArpFlyweight.TARGET_PROTOCOL_ADDRESS_OFFSET) & 0xFFFF_FFFFL);
    return OK;
  }

  private int parseIpv4(int l3) {
    int available = frameEnd - l3;
    if (available < Ipv4Flyweight.MIN_HEADER_LENGTH) {
      return DropReason.TRUNCATED.code();
    }
    // The fixed header in three loads rather than one per field: each ByteBuffer access carries its
    // own index check and byte swap, which cost more than the shifts that take the fields apart.
    // w0: version and IHL, DSCP and ECN, total length, identification, flags and fragment offset;
    // w1: TTL, protocol, header checksum, source address.
    long w0 = buffer.getLong(l3);
    long w1 = buffer.getLong(l3 + 8);
    int vihl = (int) (w0 >>> 56);
    int ihl = (vihl & 0x0F) << 2;
    if ((vihl >>> 4) != 4 || ihl < Ipv4Flyweight.MIN_HEADER_LENGTH) {
      return DropReason.MALFORMED.code();
    }
    int total = (int) (w0 >>> 32) & 0xFFFF;
    if (total < ihl) {
      return DropReason.MALFORMED.code();
    }
    if (ihl > available || total > available) {
      return DropReason.TRUNCATED.code();
    }
    l3End = l3 + total;
    if (ihl > Ipv4Flyweight.MIN_HEADER_LENGTH && !scanOptions(l3 + Ipv4Flyweight.MIN_HEADER_LENGTH, l3 + ihl)) {
      return DropReason.MALFORMED.code();
    }
    protocol = (int) (w1 >>> 48) & 0xFF;
    srcHigh = 0;
    dstHigh = 0;
    srcLow = V4_MAPPED | (w1 & 0xFFFF_FFFFL);
    dstLow = V4_MAPPED | (buffer.getInt(l3 + Ipv4Flyweight.DESTINATION_ADDRESS_OFFSET) & 0xFFFF_FFFFL);
    int frag = (int) w0 & 0xFFFF;
    int fragOffset = frag & 0x1FFF;
    l4Offset = l3 + ihl;
    if ((frag & Ipv4Flyweight.FLAG_MORE_FRAGMENTS) != 0 || fragOffset != 0) {
      fragment = true;
      firstFragment = fragOffset == 0;
      fragmentIdentification = (int) (w0 >>> 16) & 0xFFFF;
      if (!firstFragment) {
        return OK;
      }
    }
    return parseTransport(l4Offset, l3End);
  }

  /**
   * Walks the IPv4 options (RFC 791 §3.1): false when an option's length runs past the header or is
   * below 2; notes a loose or strict source route (types 131, 137).
   */
  private boolean scanOptions(int at, int end) {
    while (at < end) {
      int type = buffer.get(at) & 0xFF;
      if (type == 0) {
        return true;
      }
      if (type == 1) {
        at++;
        continue;
      }
      if (at + 1 >= end) {
        return false;
      }
      int len = buffer.get(at + 1) & 0xFF;
      if (len < 2 || at + len > end) {
        return false;
      }
      if (type == 131 || type == 137) {
        sourceRouted = true;
      }
      at += len;
    }
    return true;
  }

  private int parseIpv6(int l3) {
    ipv6 = true;
    int available = frameEnd - l3;
    if (available < Ipv6Flyweight.HEADER_LENGTH) {
      return DropReason.TRUNCATED.code();
    }
    if (((buffer.get(l3) & 0xFF) >>> 4) != 6) {
      return DropReason.MALFORMED.code();
    }
    int payload = buffer.getShort(l3 + Ipv6Flyweight.PAYLOAD_LENGTH_OFFSET) & 0xFFFF;
    if (payload == 0) {
      // A jumbogram (RFC 2675) or an empty payload: neither carries a flow this core balances.
      return DropReason.UNSUPPORTED.code();
    }
    if (Ipv6Flyweight.HEADER_LENGTH + payload > available) {
      return DropReason.TRUNCATED.code();
    }
    l3End = l3 + Ipv6Flyweight.HEADER_LENGTH + payload;
    srcHigh = buffer.getLong(l3 + Ipv6Flyweight.SOURCE_ADDRESS_OFFSET);
    srcLow = buffer.getLong(l3 + Ipv6Flyweight.SOURCE_ADDRESS_OFFSET + 8);
    dstHigh = buffer.getLong(l3 + Ipv6Flyweight.DESTINATION_ADDRESS_OFFSET);
    dstLow = buffer.getLong(l3 + Ipv6Flyweight.DESTINATION_ADDRESS_OFFSET + 8);
    int next = buffer.get(l3 + Ipv6Flyweight.NEXT_HEADER_OFFSET) & 0xFF;
    int at = l3 + Ipv6Flyweight.HEADER_LENGTH;
    for (;;) {
      switch (next) {
        case Ipv6Flyweight.NEXT_HEADER_HOP_BY_HOP:
        case Ipv6Flyweight.NEXT_HEADER_ROUTING:
        case Ipv6Flyweight.NEXT_HEADER_DESTINATION_OPTIONS:
        case Ipv6Flyweight.NEXT_HEADER_AUTHENTICATION: {
          // RFC 8200 §4.3: the hop-by-hop options header may only follow the IPv6 header itself
          if (next == Ipv6Flyweight.NEXT_HEADER_HOP_BY_HOP && at != l3 + Ipv6Flyweight.HEADER_LENGTH) {
            return DropReason.MALFORMED.code();
          }
          if (l3End - at < 8) {
            return DropReason.TRUNCATED.code();
          }
          if (next == Ipv6Flyweight.NEXT_HEADER_ROUTING && (buffer.get(at + 3) & 0xFF) != 0) {
            sourceRouted = true;
          }
          int len = buffer.get(at + 1) & 0xFF;
          int bytes = next == Ipv6Flyweight.NEXT_HEADER_AUTHENTICATION ? (len + 2) << 2 : (len + 1) << 3;
          if (l3End - at < bytes) {
            return DropReason.TRUNCATED.code();
          }
          next = buffer.get(at) & 0xFF;
          at += bytes;
          break;
        }
        case Ipv6Flyweight.NEXT_HEADER_FRAGMENT: {
          if (l3End - at < Ipv6FragmentFlyweight.LENGTH) {
            return DropReason.TRUNCATED.code();
          }
          int word = buffer.getShort(at + Ipv6FragmentFlyweight.FRAGMENT_OFFSET_OFFSET) & 0xFFFF;
          int fragOffset = word >>> 3;
          fragment = true;
          firstFragment = fragOffset == 0;
          fragmentIdentification = buffer.getInt(at + Ipv6FragmentFlyweight.IDENTIFICATION_OFFSET);
          next = buffer.get(at) & 0xFF;
          at += Ipv6FragmentFlyweight.LENGTH;
          if (!firstFragment) {
            protocol = next;
            l4Offset = at;
            return OK;
          }
          break;
        }
        default:
          protocol = next;
          l4Offset = at;
          return parseTransport(at, l3End);
      }
    }
  }

  private int parseTransport(int l4, int end) {
    // TCP in a method of its own, small enough for the JIT to inline into the packet path (the whole
    // switch is too big for a hot method to be inlined, which cost a call per packet)
    return protocol == 6 ? parseTcp(l4, end) : parseOtherTransport(l4, end);
  }

  private int parseTcp(int l4, int end) {
    int available = end - l4;
    if (available < TcpFlyweight.MIN_HEADER_LENGTH) {
      return DropReason.TRUNCATED.code();
    }
    // data offset and flags are the two bytes at 12
    int offsetAndFlags = buffer.getShort(l4 + TcpFlyweight.DATA_OFFSET_OFFSET);
    int hl = ((offsetAndFlags >>> 12) & 0x0F) << 2;
    if (hl < TcpFlyweight.MIN_HEADER_LENGTH) {
      return DropReason.MALFORMED.code();
    }
    if (hl > available) {
      return DropReason.TRUNCATED.code();
    }
    int ports = buffer.getInt(l4);
    srcPort = ports >>> 16;
    dstPort = ports & 0xFFFF;
    tcpFlags = offsetAndFlags & 0xFF;
    l4HeaderLength = hl;
    return OK;
  }

  private int parseOtherTransport(int l4, int end) {
    int available = end - l4;
    switch (protocol) {
      case 17: {
        if (available < UdpFlyweight.HEADER_LENGTH) {
          return DropReason.TRUNCATED.code();
        }
        int ulen = buffer.getShort(l4 + UdpFlyweight.LENGTH_OFFSET) & 0xFFFF;
        if (!fragment && (ulen < UdpFlyweight.HEADER_LENGTH || ulen > available)) {
          return DropReason.MALFORMED.code();
        }
        int ports = buffer.getInt(l4);
        srcPort = ports >>> 16;
        dstPort = ports & 0xFFFF;
        l4HeaderLength = UdpFlyweight.HEADER_LENGTH;
        return OK;
      }
      case 1:
      case 58: {
        if ((protocol == 1) == ipv6) {
          return DropReason.MALFORMED.code();
        }
        if (available < Icmpv4Flyweight.HEADER_LENGTH) {
          return DropReason.TRUNCATED.code();
        }
        icmpType = buffer.get(l4) & 0xFF;
        icmpCode = buffer.get(l4 + 1) & 0xFF;
        if (isEcho(icmpType)) {
          srcPort = buffer.getShort(l4 + Icmpv4Flyweight.IDENTIFIER_OFFSET) & 0xFFFF;
        }
        l4HeaderLength = Icmpv4Flyweight.HEADER_LENGTH;
        return OK;
      }
      default:
        return OK;
    }
  }

  private boolean isEcho(int type) {
    return ipv6
        ? type == Icmpv6Flyweight.TYPE_ECHO_REQUEST || type == Icmpv6Flyweight.TYPE_ECHO_REPLY
        : type == Icmpv4Flyweight.TYPE_ECHO_REQUEST || type == Icmpv4Flyweight.TYPE_ECHO_REPLY;
  }

  /**
   * Classifies the packet quoted by an ICMP error (after a successful {@link #parse} of an ICMPv4
   * or ICMPv6 error) into the {@code inner*} accessors: the quoted IP header must be complete and at
   * least the first 8 bytes of its transport header present (the ports and, for TCP, the sequence
   * number; RFC 792, RFC 4443 §2.4). Reads only inside the outer IP packet.
   *
   * @return {@link #OK} or a {@link DropReason#code()}
   */
  public int parseQuoted() {
    if (icmpType < 0) {
      return DropReason.MALFORMED.code();
    }
    int in = l4Offset + Icmpv4Flyweight.HEADER_LENGTH;
    int available = l3End - in;
    innerL3Offset = in;
    innerSrcPort = 0;
    innerDstPort = 0;
    int l4;
    if (!ipv6) {
      if (available < Ipv4Flyweight.MIN_HEADER_LENGTH) {
        return DropReason.TRUNCATED.code();
      }
      int vihl = buffer.get(in) & 0xFF;
      int ihl = (vihl & 0x0F) << 2;
      if ((vihl >>> 4) != 4 || ihl < Ipv4Flyweight.MIN_HEADER_LENGTH) {
        return DropReason.MALFORMED.code();
      }
      if (ihl > available) {
        return DropReason.TRUNCATED.code();
      }
      innerProtocol = buffer.get(in + Ipv4Flyweight.PROTOCOL_OFFSET) & 0xFF;
      innerSrcHigh = 0;
      innerDstHigh = 0;
      innerSrcLow = V4_MAPPED | (buffer.getInt(in + Ipv4Flyweight.SOURCE_ADDRESS_OFFSET) & 0xFFFF_FFFFL);
      innerDstLow = V4_MAPPED | (buffer.getInt(in + Ipv4Flyweight.DESTINATION_ADDRESS_OFFSET) & 0xFFFF_FFFFL);
      l4 = in + ihl;
    } else {
      if (available < Ipv6Flyweight.HEADER_LENGTH) {
        return DropReason.TRUNCATED.code();
      }
      if (((buffer.get(in) & 0xFF) >>> 4) != 6) {
        return DropReason.MALFORMED.code();
      }
      innerProtocol = buffer.get(in + Ipv6Flyweight.NEXT_HEADER_OFFSET) & 0xFF;
      innerSrcHigh = buffer.getLong(in + Ipv6Flyweight.SOURCE_ADDRESS_OFFSET);
      innerSrcLow = buffer.getLong(in + Ipv6Flyweight.SOURCE_ADDRESS_OFFSET + 8);
      innerDstHigh = buffer.getLong(in + Ipv6Flyweight.DESTINATION_ADDRESS_OFFSET);
      innerDstLow = buffer.getLong(in + Ipv6Flyweight.DESTINATION_ADDRESS_OFFSET + 8);
      l4 = quotedTransport(in + Ipv6Flyweight.HEADER_LENGTH);
      if (l4 < 0) {
        return -l4;
      }
    }
    innerL4Offset = l4;
    if (innerProtocol == 6 || innerProtocol == 17) {
      if (l3End - l4 < 8) {
        return DropReason.TRUNCATED.code();
      }
      int ports = buffer.getInt(l4);
      innerSrcPort = ports >>> 16;
      innerDstPort = ports & 0xFFFF;
      return OK;
    }
    if (innerProtocol == 1 || innerProtocol == 58) {
      if (l3End - l4 < 8) {
        return DropReason.TRUNCATED.code();
      }
      innerSrcPort = buffer.getShort(l4 + Icmpv4Flyweight.IDENTIFIER_OFFSET) & 0xFFFF;
      return OK;
    }
    return DropReason.UNSUPPORTED.code();
  }

  /**
   * Walks the quoted IPv6 packet's extension headers to its transport header (a packet too big
   * about a fragmented datagram quotes its fragment header), setting {@code innerProtocol}.
   *
   * @return the transport header's offset, or minus a drop reason code
   */
  private int quotedTransport(int at) {
    for (;;) {
      switch (innerProtocol) {
        case Ipv6Flyweight.NEXT_HEADER_HOP_BY_HOP:
        case Ipv6Flyweight.NEXT_HEADER_ROUTING:
        case Ipv6Flyweight.NEXT_HEADER_DESTINATION_OPTIONS:
        case Ipv6Flyweight.NEXT_HEADER_AUTHENTICATION:
        case Ipv6Flyweight.NEXT_HEADER_FRAGMENT: {
          if (l3End - at < 8) {
            return -DropReason.TRUNCATED.code();
          }
          int bytes;
          if (innerProtocol == Ipv6Flyweight.NEXT_HEADER_FRAGMENT) {
            if ((buffer.getShort(at + Ipv6FragmentFlyweight.FRAGMENT_OFFSET_OFFSET) & 0xFFF8) != 0) {
              return -DropReason.UNSUPPORTED.code(); // a later fragment quotes no ports
            }
            bytes = Ipv6FragmentFlyweight.LENGTH;
          } else {
            int len = buffer.get(at + 1) & 0xFF;
            bytes = innerProtocol == Ipv6Flyweight.NEXT_HEADER_AUTHENTICATION ? (len + 2) << 2 : (len + 1) << 3;
          }
          innerProtocol = buffer.get(at) & 0xFF;
          at += bytes;
          if (at > l3End) {
            return -DropReason.TRUNCATED.code();
          }
          break;
        }
        default:
          return at;
      }
    }
  }

  /** {@return the buffer of the last frame} */
  public ByteBuffer buffer() {
    return buffer;
  }

  /** {@return the first byte of the frame (its Ethernet header)} */
  public int frameOffset() {
    return frameOffset;
  }

  /** {@return one past the last byte of the frame} */
  public int frameEnd() {
    return frameEnd;
  }

  /** {@return the EtherType of the payload (after an 802.1Q tag)} */
  public int etherType() {
    return etherType;
  }

  /** {@return whether the frame carries an 802.1Q tag} */
  public boolean tagged() {
    return tagged;
  }

  /** {@return the first byte of the network header (IP or ARP)} */
  public int l3Offset() {
    return l3Offset;
  }

  /** {@return one past the last byte of the IP packet (Ethernet padding excluded)} */
  public int l3End() {
    return l3End;
  }

  /** {@return the first byte of the transport header (after IPv6 extension headers)} */
  public int l4Offset() {
    return l4Offset;
  }

  /** {@return the transport length, {@code l3End() - l4Offset()}} */
  public int l4Length() {
    return l3End - l4Offset;
  }

  /** {@return the validated transport header length (0 for non-first fragments and unknown protocols)} */
  public int l4HeaderLength() {
    return l4HeaderLength;
  }

  /** {@return whether the packet is an IP fragment} */
  public boolean fragment() {
    return fragment;
  }

  /** {@return whether the packet is the first fragment (it carries the transport header)} */
  public boolean firstFragment() {
    return firstFragment;
  }

  /**
   * {@return whether the packet is source-routed: an IPv4 loose or strict source route option, or an
   * IPv6 routing header with segments left; its destination address is then not the final one,
   * which the transport checksum covers (RFC 9293 §3.1, RFC 8200 §8.1)}
   */
  public boolean sourceRouted() {
    return sourceRouted;
  }

  /** {@return the fragment identification (IPv4 16 bits, IPv6 32 bits)} */
  public int fragmentIdentification() {
    return fragmentIdentification;
  }

  /** {@return the TCP control bits, 0 for other protocols} */
  public int tcpFlags() {
    return tcpFlags;
  }

  /** {@return the ICMP or ICMPv6 type, -1 for other protocols} */
  public int icmpType() {
    return icmpType;
  }

  /** {@return the ICMP or ICMPv6 code, -1 for other protocols} */
  public int icmpCode() {
    return icmpCode;
  }

  /** {@return whether the packet is an ICMP or ICMPv6 error that quotes another packet} */
  public boolean icmpError() {
    return icmpType >= 0 && (ipv6 ? Icmpv6Flyweight.isError(icmpType) : Icmpv4Flyweight.isError(icmpType));
  }

  @Override
  public int protocolNumber() {
    return protocol;
  }

  @Override
  public boolean isIpv6() {
    return ipv6;
  }

  @Override
  public long sourceAddressHigh() {
    return srcHigh;
  }

  @Override
  public long sourceAddressLow() {
    return srcLow;
  }

  @Override
  public long destinationAddressHigh() {
    return dstHigh;
  }

  @Override
  public long destinationAddressLow() {
    return dstLow;
  }

  @Override
  public int sourcePort() {
    return srcPort;
  }

  @Override
  public int destinationPort() {
    return dstPort;
  }

  /** {@return the quoted packet's IP header offset, after {@link #parseQuoted()}} */
  public int innerL3Offset() {
    return innerL3Offset;
  }

  /** {@return the quoted packet's transport header offset} */
  public int innerL4Offset() {
    return innerL4Offset;
  }

  /** {@return the quoted packet's protocol} */
  public int innerProtocol() {
    return innerProtocol;
  }

  /** {@return bits 127..64 of the quoted source (0 for IPv4)} */
  public long innerSourceAddressHigh() {
    return innerSrcHigh;
  }

  /** {@return bits 63..0 of the quoted source (IPv4-mapped for IPv4)} */
  public long innerSourceAddressLow() {
    return innerSrcLow;
  }

  /** {@return bits 127..64 of the quoted destination} */
  public long innerDestinationAddressHigh() {
    return innerDstHigh;
  }

  /** {@return bits 63..0 of the quoted destination} */
  public long innerDestinationAddressLow() {
    return innerDstLow;
  }

  /** {@return the quoted source port (echo identifier for ICMP)} */
  public int innerSourcePort() {
    return innerSrcPort;
  }

  /** {@return the quoted destination port} */
  public int innerDestinationPort() {
    return innerDstPort;
  }

  @Override
  public String toString() {
    return "FrameParser[etherType=0x" + Integer.toHexString(etherType) + ", protocol=" + protocol
        + ", l3=" + l3Offset + ", l4=" + l4Offset + ", end=" + l3End + "]";
  }
}
