package io.github.lb4j.nat.header;

import java.nio.ByteBuffer;

/**
 * An ARP packet for IPv4 over Ethernet (RFC 826).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Hardware type (HTYPE)     |     Protocol type (PTYPE)     |
 * +---------------+---------------+-------------------------------+
 * |  HLEN (6)     |  PLEN (4)     |        Operation (OPER)       |
 * +---------------+---------------+-------------------------------+
 * |            Sender hardware address (SHA), 6 octets            |
 * +                               +-------------------------------+
 * |                               | Sender protocol address (SPA) |
 * +-------------------------------+-------------------------------+
 * |     SPA (cont.)               | Target hardware address (THA) |
 * +-------------------------------+                               +
 * |                           THA (cont.)                         |
 * +---------------------------------------------------------------+
 * |                Target protocol address (TPA)                  |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>One thread; never allocates; never blocks.
 */
public final class ArpFlyweight extends HeaderFlyweight {

  /** Offset of HTYPE. */
  public static final int HARDWARE_TYPE_OFFSET = 0;
  /** Offset of PTYPE. */
  public static final int PROTOCOL_TYPE_OFFSET = 2;
  /** Offset of HLEN. */
  public static final int HARDWARE_LENGTH_OFFSET = 4;
  /** Offset of PLEN. */
  public static final int PROTOCOL_LENGTH_OFFSET = 5;
  /** Offset of OPER. */
  public static final int OPERATION_OFFSET = 6;
  /** Offset of SHA. */
  public static final int SENDER_HARDWARE_ADDRESS_OFFSET = 8;
  /** Offset of SPA. */
  public static final int SENDER_PROTOCOL_ADDRESS_OFFSET = 14;
  /** Offset of THA. */
  public static final int TARGET_HARDWARE_ADDRESS_OFFSET = 18;
  /** Offset of TPA. */
  public static final int TARGET_PROTOCOL_ADDRESS_OFFSET = 24;
  /** Length of an Ethernet/IPv4 ARP packet. */
  public static final int LENGTH = 28;
  /** HTYPE of Ethernet. */
  public static final int HARDWARE_TYPE_ETHERNET = 1;
  /** OPER of a request. */
  public static final int OPERATION_REQUEST = 1;
  /** OPER of a reply. */
  public static final int OPERATION_REPLY = 2;

  /** Creates an unwrapped flyweight; call {@link #wrap} before use. */
  public ArpFlyweight() {
    super();
  }

  @Override
  public ArpFlyweight wrap(ByteBuffer buffer, int offset) {
    super.wrap(buffer, offset);
    return this;
  }

  /** {@return HTYPE} */
  public int hardwareType() {
    return u16(HARDWARE_TYPE_OFFSET);
  }

  /**
   * Sets HTYPE.
   *
   * @param value the hardware type
   * @return this flyweight
   */
  public ArpFlyweight hardwareType(int value) {
    u16(HARDWARE_TYPE_OFFSET, value);
    return this;
  }

  /** {@return PTYPE} */
  public int protocolType() {
    return u16(PROTOCOL_TYPE_OFFSET);
  }

  /**
   * Sets PTYPE.
   *
   * @param value the protocol type (an EtherType)
   * @return this flyweight
   */
  public ArpFlyweight protocolType(int value) {
    u16(PROTOCOL_TYPE_OFFSET, value);
    return this;
  }

  /** {@return HLEN} */
  public int hardwareLength() {
    return u8(HARDWARE_LENGTH_OFFSET);
  }

  /**
   * Sets HLEN.
   *
   * @param value the hardware address length
   * @return this flyweight
   */
  public ArpFlyweight hardwareLength(int value) {
    u8(HARDWARE_LENGTH_OFFSET, value);
    return this;
  }

  /** {@return PLEN} */
  public int protocolLength() {
    return u8(PROTOCOL_LENGTH_OFFSET);
  }

  /**
   * Sets PLEN.
   *
   * @param value the protocol address length
   * @return this flyweight
   */
  public ArpFlyweight protocolLength(int value) {
    u8(PROTOCOL_LENGTH_OFFSET, value);
    return this;
  }

  /** {@return OPER} */
  public int operation() {
    return u16(OPERATION_OFFSET);
  }

  /**
   * Sets OPER.
   *
   * @param value 1 request, 2 reply
   * @return this flyweight
   */
  public ArpFlyweight operation(int value) {
    u16(OPERATION_OFFSET, value);
    return this;
  }

  /** {@return SHA, low 48 bits} */
  public long senderHardwareAddress() {
    return u48(SENDER_HARDWARE_ADDRESS_OFFSET);
  }

  /**
   * Sets SHA.
   *
   * @param mac low 48 bits
   * @return this flyweight
   */
  public ArpFlyweight senderHardwareAddress(long mac) {
    u48(SENDER_HARDWARE_ADDRESS_OFFSET, mac);
    return this;
  }

  /** {@return SPA as 32 bits} */
  public int senderProtocolAddress() {
    return i32(SENDER_PROTOCOL_ADDRESS_OFFSET);
  }

  /**
   * Sets SPA.
   *
   * @param address 32 bits
   * @return this flyweight
   */
  public ArpFlyweight senderProtocolAddress(int address) {
    i32(SENDER_PROTOCOL_ADDRESS_OFFSET, address);
    return this;
  }

  /** {@return THA, low 48 bits} */
  public long targetHardwareAddress() {
    return u48(TARGET_HARDWARE_ADDRESS_OFFSET);
  }

  /**
   * Sets THA.
   *
   * @param mac low 48 bits
   * @return this flyweight
   */
  public ArpFlyweight targetHardwareAddress(long mac) {
    u48(TARGET_HARDWARE_ADDRESS_OFFSET, mac);
    return this;
  }

  /** {@return TPA as 32 bits} */
  public int targetProtocolAddress() {
    return i32(TARGET_PROTOCOL_ADDRESS_OFFSET);
  }

  /**
   * Sets TPA.
   *
   * @param address 32 bits
   * @return this flyweight
   */
  public ArpFlyweight targetProtocolAddress(int address) {
    i32(TARGET_PROTOCOL_ADDRESS_OFFSET, address);
    return this;
  }
}
