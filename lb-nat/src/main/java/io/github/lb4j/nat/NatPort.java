package io.github.lb4j.nat;

import io.github.lb4j.api.MacAddress;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * One of the balancer's interfaces as a translator sees it: the number its forward verdicts name,
 * its MAC (the source of every frame sent from it), its addresses with their prefix lengths (which
 * destinations are on-link, reached by their own MAC, and the source of ICMP errors sent from it,
 * RFC 1812 §4.3.2.4) and its MTU (larger packets get "fragmentation needed" or "packet too big").
 *
 * <p>Immutable; any thread.
 *
 * @param index the port number of forward verdicts, 0..65535 (the datapath's numbering)
 * @param mac the interface's MAC
 * @param addresses the interface's addresses and prefixes; empty when nothing is on-link
 * @param mtu the interface's MTU, 576..65535
 */
public record NatPort(int index, MacAddress mac, List<Address> addresses, int mtu) {

  /**
   * An address of the interface and the length of its on-link prefix.
   *
   * @param address the address
   * @param prefixLength 0..32 for IPv4, 0..128 for IPv6
   */
  public record Address(InetAddress address, int prefixLength) {
    /**
     * Validates the fields.
     *
     * @param address the address
     * @param prefixLength the prefix length
     */
    public Address {
      Objects.requireNonNull(address, "address");
      int max = IpAddresses.isV4(address) ? 32 : 128;
      if (prefixLength < 0 || prefixLength > max) {
        throw new IllegalArgumentException("prefix length of " + address.getHostAddress() + " must be in 0.." + max
            + ", was " + prefixLength);
      }
    }
  }

  /**
   * Validates the fields.
   *
   * @param index 0..65535
   * @param mac the MAC
   * @param addresses the addresses (copied)
   * @param mtu 576..65535
   */
  public NatPort {
    if (index < 0 || index > 65_535) {
      throw new IllegalArgumentException("port index must be in 0..65535, was " + index);
    }
    Objects.requireNonNull(mac, "mac");
    addresses = List.copyOf(addresses);
    if (mtu < 576 || mtu > 65_535) {
      throw new IllegalArgumentException("port mtu must be in 576..65535, was " + mtu);
    }
  }

  /**
   * A port without on-link prefixes, MTU 1500.
   *
   * @param index the verdict port number
   * @param mac the MAC
   * @return the port
   */
  public static NatPort of(int index, MacAddress mac) {
    return new NatPort(index, mac, List.of(), 1500);
  }
}
