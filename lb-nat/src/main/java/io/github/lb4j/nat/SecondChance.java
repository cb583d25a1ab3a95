package io.github.lb4j.nat;

import io.github.lb4j.api.Addresses;
import io.github.lb4j.api.Backend;
import io.github.lb4j.api.MacAddress;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The second chance of the DSR modes (GitHub GLB's "second chance", Cloudflare Unimog's "daisy
 * chaining"), on the server side: how the balancer names a flow's previous owner, and the nftables
 * rules with which each server's own kernel decides, packet by packet, whether it knows the flow.
 *
 * <p>When a balancer has no state for a mid-stream TCP packet (another balancer failed, ECMP moved
 * the flow) it forwards the packet to the backend the consistent hash names now. After a change of
 * the backend set that backend may not be the one the flow started on. A {@link
 * SecondChanceScheduler} also knows the owner under the membership before the change; when the two
 * differ, the translator writes a <em>tag</em> naming the previous owner into the frame's source
 * MAC ({@code 02:4c} and the low 32 bits of the previous owner's address: a locally administered
 * unicast address that nothing is ever sent to). The current owner's rule ({@link #nftRules}):
 * a tagged TCP packet whose only matching socket is the wildcard listener (the kernel holds no
 * connection for it) is passed on, unchanged, to the previous owner, and dropped here; a packet of
 * a connection it does hold is delivered. A SYN is never tagged: a new flow belongs to the current
 * owner.
 *
 * <p>Why the source MAC: in DSR L2 the IP packet must reach the server untouched, and in DSR DSCP
 * the DSCP already names the VIP; the source MAC is the one field the balancer writes anyway. So
 * the servers must be on the balancer's link (DSR L2 always is; DSR DSCP and DSR IPIP only when
 * the servers are on-link; a kernel IPIP tunnel drops the outer frame before nftables sees it, so
 * DSR IPIP needs a decapsulator that keeps it). The NAT modes have no second chance: their replies
 * return through the balancer that holds the flow's translation (its source-NAT port or its reply
 * index), so a flow whose balancer is gone cannot continue, whichever backend is tried.
 *
 * <p>Static and stateless: any thread; {@link #tag} never allocates; {@link #nftRules} allocates
 * the text. Never blocks.
 */
public final class SecondChance {

  /** The first two bytes of a tag: locally administered (bit 1 of the first byte), unicast. */
  public static final int TAG_PREFIX = 0x024C;

  private SecondChance() {}

  /**
   * The tag naming a backend as the previous owner: {@code 02:4c} and the low 32 bits of its address.
   *
   * @param addressLow the low 64 bits of the backend's address (an IPv4 address in the low 32)
   * @return the tag as a 48-bit MAC in the low bits of a long
   */
  public static long tag(long addressLow) {
    return (long) TAG_PREFIX << 32 | (addressLow & 0xFFFF_FFFFL);
  }

  /**
   * The tag naming a backend as the previous owner.
   *
   * @param address the backend's address
   * @return the tag
   */
  public static MacAddress tag(InetAddress address) {
    return MacAddress.ofLong(tag(IpAddresses.low(address)));
  }

  /**
   * The nftables ruleset a DSR server loads ({@code nft -f}) so that a tagged packet of a
   * connection it does not hold goes on to the server the tag names: one rule per other server.
   * The server must listen on the wildcard address ({@code 0.0.0.0} or {@code ::}), so that a
   * packet of a connection it does not hold finds only that listener; its established connections'
   * sockets are bound to the VIP.
   *
   * @param servers every server of the VIP (a server's own rule never matches: a balancer never
   *     tags a packet with the server it sends it to)
   * @param device the server's interface towards the other servers, for example {@code eth0}
   * @return the ruleset: tables {@code ip lb4j_second_chance} and {@code ip6 lb4j_second_chance}
   * @throws IllegalArgumentException when two servers share the low 32 bits of their address (their tags would be equal)
   *     or the device name is not an interface name
   */
  public static String nftRules(List<Backend> servers, String device) {
    Objects.requireNonNull(device, "device");
    if (!device.matches("[A-Za-z0-9_.:@-]{1,15}")) {
      throw new IllegalArgumentException("device must be an interface name (1..15 of A-Z a-z 0-9 _ . : @ -), was '" + device + "'");
    }
    Map<Long, InetAddress> byTag = new HashMap<>();
    StringBuilder v4 = new StringBuilder();
    StringBuilder v6 = new StringBuilder();
    for (Backend s : servers) {
      InetAddress a = s.address();
      long t = tag(IpAddresses.low(a));
      InetAddress other = byTag.putIfAbsent(t, a);
      if (other != null) {
        if (other.equals(a)) {
          continue;
        }
        throw new IllegalArgumentException("servers " + Addresses.format(other) + " and " + Addresses.format(a)
            + " share the low 32 bits of their address, so their second-chance tags would be equal");
      }
      boolean four = a instanceof Inet4Address;
      (four ? v4 : v6).append("    ether saddr ").append(MacAddress.ofLong(t)).append(" meta l4proto tcp socket wildcard 1 dup to ")
          .append(Addresses.format(a)).append(" device \"").append(device).append("\" drop\n");
    }
    return table("ip", v4) + table("ip6", v6);
  }

  private static String table(String family, StringBuilder rules) {
    return "table " + family + " lb4j_second_chance {\n"
        + "  chain prerouting {\n"
        // after the DSCP restore of DSR DSCP (priority -300): the packet is addressed to the VIP by then
        + "    type filter hook prerouting priority 0; policy accept;\n"
        + rules
        + "  }\n"
        + "}\n";
  }
}
