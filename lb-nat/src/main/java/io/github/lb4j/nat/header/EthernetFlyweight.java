package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * An Ethernet II header (IEEE 802.3 clause 3.2.6), optionally with one IEEE 802.1Q tag.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination MAC address                    |
 * +                               +-------------------------------+
 * |                               |                               |
 * +-------------------------------+                               +
 * |                      Source MAC address                       |
 * +-------------------------------+-------------------------------+
 * |   EtherType / TPID (0x8100)   |  PCP|D|   VLAN ID (802.1Q)    |   &lt;- TCI only when tagged
 * +-------------------------------+-------------------------------+
 * |   EtherType (when tagged)     |
 * +-------------------------------+
 * </pre>
 *
 * <p>MAC addresses are the low 48 bits of a {@code long}, first octet in bits 47..40, as {@link
 * io.github.lb4j.api.MacAddress#toLong()}. One thread; never allocates; never blocks.
 */
public final class EthernetFlyweight extends HeaderFlyweight {

  /** Offset of the destination MAC address. */
  public static final int DESTINATION_OFFSET = 0;
  /** Offset of the source MAC address. */
  public static final int SOURCE_OFFSET = 6;
  /** Offset of the EtherType, or of the 802.1Q TPID when tagged. */
  public static final int ETHER_TYPE_OFFSET = 12;
  /** Offset of the 802.1Q tag control information when tagged. */
  public static final int TCI_OFFSET = 14;
  /** Offset of the inner EtherType when tagged. */
  public static final int TAGGED_ETHER_TYPE_OFFSET = 16;
  /** Length of an untagged header. */
  public static final int HEADER_LENGTH = 14;
  /** Length of a header with one 802.1Q tag. */
  public static final int TAGGED_HEADER_LENGTH = 18;

  /** EtherType of IPv4 (RFC 894). */
  public static final int ETHER_TYPE_IPV4 = 0x0800;
  /** EtherType of ARP (RFC 826). */
  public static final int ETHER_TYPE_ARP = 0x0806;
  /** EtherType of IPv6 (RFC 2464). */
  public static final int ETHER_TYPE_IPV6 = 0x86DD;
  /** TPID of an IEEE 802.1Q tag. */
  public static final int TPID_8021Q = 0x8100;

  /** Creates an unwrapped flyweight; call {@link #wrap} before use. */
  public EthernetFlyweight() {
    super();
  }

  @Override
  public EthernetFlyweight wrap(ByteBuffer buffer, int offset) {
    super.wrap(buffer, offset);
    return this;
  }

  /**
   * Returns the destination MAC address.
   *
   * @return the low 48 bits
   */
  public long destination() {
    return u48(DESTINATION_OFFSET);
  }

  /**
   * Sets the destination MAC address.
   *
   * @param mac the low 48 bits
   * @return this flyweight
   */
  public EthernetFlyweight destination(long mac) {
    u48(DESTINATION_OFFSET, mac);
    return this;
  }

  /**
   * Returns the source MAC address.
   *
   * @return the low 48 bits
   */
  public long source() {
    return u48(SOURCE_OFFSET);
  }

  /**
   * Sets the source MAC address.
   *
   * @param mac the low 48 bits
   * @return this flyweight
   */
  public EthernetFlyweight source(long mac) {
    u48(SOURCE_OFFSET, mac);
    return this;
  }

  /**
   * Returns the first EtherType field (the TPID when the frame is tagged).
   *
   * @return 0..65535
   */
  public int etherType() {
    return u16(ETHER_TYPE_OFFSET);
  }

  /**
   * Sets the first EtherType field.
   *
   * @param etherType 0..65535
   * @return this flyweight
   */
  public EthernetFlyweight etherType(int etherType) {
    u16(ETHER_TYPE_OFFSET, etherType);
    return this;
  }

  /**
   * Tells whether an 802.1Q tag follows the source address.
   *
   * @return whether the TPID is 0x8100
   */
  public boolean tagged() {
    return etherType() == TPID_8021Q;
  }

  /**
   * Returns the 802.1Q priority code point; only meaningful when {@link #tagged()}.
   *
   * @return 0..7
   */
  public int priorityCodePoint() {
    return u16(TCI_OFFSET) >>> 13;
  }

  /**
   * Returns the 802.1Q drop eligible indicator; only meaningful when {@link #tagged()}.
   *
   * @return 0 or 1
   */
  public int dropEligibleIndicator() {
    return (u16(TCI_OFFSET) >>> 12) & 1;
  }

  /**
   * Returns the 802.1Q VLAN identifier; only meaningful when {@link #tagged()}.
   *
   * @return 0..4095
   */
  public int vlanIdentifier() {
    return u16(TCI_OFFSET) & 0x0FFF;
  }

  /**
   * Writes an 802.1Q tag (TPID and TCI) in front of the EtherType at {@link #TAGGED_ETHER_TYPE_OFFSET};
   * the caller has laid the frame out for a tagged header.
   *
   * @param priorityCodePoint 0..7
   * @param dropEligible 0 or 1
   * @param vlanIdentifier 0..4095
   * @return this flyweight
   */
  public EthernetFlyweight tag(int priorityCodePoint, int dropEligible, int vlanIdentifier) {
    u16(ETHER_TYPE_OFFSET, TPID_8021Q);
    u16(TCI_OFFSET, (priorityCodePoint & 7) << 13 | (dropEligible & 1) << 12 | (vlanIdentifier & 0x0FFF));
    return this;
  }

  /**
   * Returns the EtherType of the payload, after the tag if there is one.
   *
   * @return 0..65535
   */
  public int payloadEtherType() {
    return tagged() ? u16(TAGGED_ETHER_TYPE_OFFSET) : etherType();
  }

  /**
   * Sets the EtherType of the payload, after the tag if there is one.
   *
   * @param etherType 0..65535
   * @return this flyweight
   */
  public EthernetFlyweight payloadEtherType(int etherType) {
    u16(tagged() ? TAGGED_ETHER_TYPE_OFFSET : ETHER_TYPE_OFFSET, etherType);
    return this;
  }

  /**
   * Returns the header length: 14, or 18 when tagged.
   *
   * @return the header length: 14, or 18 when tagged
   */
  public int headerLength() {
    return tagged() ? TAGGED_HEADER_LENGTH : HEADER_LENGTH;
  }

  /**
   * Reads the destination MAC address of the frame at {@code offset} (hot path, no flyweight).
   *
   * @param buffer the buffer
   * @param offset the frame's first byte
   * @return the low 48 bits
   */
  public static long destination(ByteBuffer buffer, int offset) {
    return u48(buffer, offset + DESTINATION_OFFSET);
  }

  /**
   * Writes the destination MAC address of the frame at {@code offset} (hot path, no flyweight).
   *
   * @param buffer the buffer
   * @param offset the frame's first byte
   * @param mac the low 48 bits
   */
  public static void destination(ByteBuffer buffer, int offset, long mac) {
    u48(buffer, offset + DESTINATION_OFFSET, mac);
  }

  /**
   * Reads the source MAC address of the frame at {@code offset} (hot path, no flyweight).
   *
   * @param buffer the buffer
   * @param offset the frame's first byte
   * @return the low 48 bits
   */
  public static long source(ByteBuffer buffer, int offset) {
    return u48(buffer, offset + SOURCE_OFFSET);
  }

  /**
   * Writes the source MAC address of the frame at {@code offset} (hot path, no flyweight).
   *
   * @param buffer the buffer
   * @param offset the frame's first byte
   * @param mac the low 48 bits
   */
  public static void source(ByteBuffer buffer, int offset, long mac) {
    u48(buffer, offset + SOURCE_OFFSET, mac);
  }

  /**
   * Writes both MAC addresses of the frame at {@code offset} in two stores (8 and 4 bytes) instead
   * of four: the same 12 bytes as {@link #destination(ByteBuffer, int, long)} then {@link
   * #source(ByteBuffer, int, long)}, for the per-packet rewrite of the forwarding modes.
   *
   * @param buffer the buffer, big-endian
   * @param offset the frame's first byte
   * @param destination the destination's low 48 bits
   * @param source the source's low 48 bits
   */
  public static void addresses(ByteBuffer buffer, int offset, long destination, long source) {
    buffer.putLong(offset + DESTINATION_OFFSET, destination << 16 | (source >>> 32 & 0xFFFF));
    buffer.putInt(offset + SOURCE_OFFSET + 2, (int) source);
  }
}
