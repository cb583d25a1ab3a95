package io.github.lb4j.nat;

import io.github.lb4j.api.MacAddress;
import java.net.InetAddress;
import java.util.Map;
import java.util.Objects;

/**
 * The link-layer addresses of the balancer's on-link neighbours (ARP, RFC 826; IPv6 neighbor
 * discovery, RFC 4861), as a translator needs them to address the frames it sends: a server, an
 * on-link client, the gateway towards the clients. The datapath that owns the interfaces implements
 * it (it sends the requests and learns the answers); {@link #of} is a fixed table for static
 * deployments, traces and tests.
 *
 * <p>A lookup that misses returns {@link #UNKNOWN}; the translator then drops the frame as {@code
 * NO_NEIGHBOR} and calls {@link #resolveIpv4} or {@link #resolveIpv6}, telling the owner that this
 * neighbour is wanted, so that the next frames find it. A translator never resolves by itself and
 * never waits.
 *
 * <p>Threading: the translator's thread calls every method, per packet; implementations must not
 * block and should not allocate (a fixed table of primitive arrays, as the datapath's).
 */
public interface NeighborTable {

  /** The MAC of a neighbour that is not known. */
  long UNKNOWN = 0;

  /** A table that knows nobody and ignores resolution requests: next hops come from configured MACs only. */
  NeighborTable NONE = new NeighborTable() {
    @Override
    public long ipv4(int address) {
      return UNKNOWN;
    }

    @Override
    public long ipv6(long high, long low) {
      return UNKNOWN;
    }

    @Override
    public void resolveIpv4(int port, int address) {
      // nobody to ask
    }

    @Override
    public void resolveIpv6(int port, long high, long low) {
      // nobody to ask
    }
  };

  /**
   * Returns the MAC of an IPv4 neighbour.
   *
   * @param address the IPv4 address, network order in an int
   * @return its MAC in the low 48 bits, or {@link #UNKNOWN}
   */
  long ipv4(int address);

  /**
   * Returns the MAC of an IPv6 neighbour.
   *
   * @param high bits 127..64 of the address
   * @param low bits 63..0
   * @return its MAC in the low 48 bits, or {@link #UNKNOWN}
   */
  long ipv6(long high, long low);

  /**
   * Tells the owner that an IPv4 neighbour is needed and unknown: it should send an ARP request on
   * the port. Called once per frame that needed it; the owner rate-limits its requests.
   *
   * @param port the port the neighbour is reached on ({@link NatPort#index()})
   * @param address the IPv4 address
   */
  void resolveIpv4(int port, int address);

  /**
   * Tells the owner that an IPv6 neighbour is needed and unknown: it should send a neighbor
   * solicitation on the port.
   *
   * @param port the port the neighbour is reached on
   * @param high bits 127..64 of the address
   * @param low bits 63..0
   */
  void resolveIpv6(int port, long high, long low);

  /**
   * A fixed table (static ARP entries, traces, tests): lookups answer from the map, resolution
   * requests are ignored. Copies the map into arrays; allocates here only.
   *
   * @param entries address to MAC
   * @return the table
   */
  static NeighborTable of(Map<InetAddress, MacAddress> entries) {
    int n = entries.size();
    boolean[] six = new boolean[n];
    long[] high = new long[n];
    long[] low = new long[n];
    long[] mac = new long[n];
    int i = 0;
    for (Map.Entry<InetAddress, MacAddress> e : entries.entrySet()) {
      six[i] = !IpAddresses.isV4(Objects.requireNonNull(e.getKey(), "address"));
      high[i] = IpAddresses.high(e.getKey());
      low[i] = IpAddresses.low(e.getKey());
      mac[i] = Objects.requireNonNull(e.getValue(), "mac").toLong();
      i++;
    }
    return new NeighborTable() {
      @Override
      public long ipv4(int address) {
        long mapped = IpAddresses.V4_MAPPED | (address & 0xFFFF_FFFFL);
        for (int k = 0; k < n; k++) {
          if (!six[k] && low[k] == mapped) {
            return mac[k];
          }
        }
        return UNKNOWN;
      }

      @Override
      public long ipv6(long h, long l) {
        for (int k = 0; k < n; k++) {
          if (six[k] && low[k] == l && high[k] == h) {
            return mac[k];
          }
        }
        return UNKNOWN;
      }

      @Override
      public void resolveIpv4(int port, int address) {
        // fixed entries only
      }

      @Override
      public void resolveIpv6(int port, long h, long l) {
        // fixed entries only
      }
    };
  }
}
