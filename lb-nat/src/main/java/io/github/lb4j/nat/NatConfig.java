package io.github.lb4j.nat;

import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.nat.flow.FlowTableConfig;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything a {@link io.github.lb4j.api.NatTranslator} needs to know about the balancer it runs
 * in: the forwarding mode; the virtual IPs it owns; the scheduler that picks backends (whose {@link
 * io.github.lb4j.api.Backend}s carry address, port and, for the L2 modes, MAC); the balancer's own
 * MAC and addresses; the next hop towards clients; the source-NAT pool; the MTU towards servers;
 * the subnets of the servers (to detect the hairpin pitfall S6.2); the balancer's ports (verdict
 * number, MAC, on-link prefixes, MTU) and the neighbour table it addresses frames with, so that the
 * translator makes every link-layer decision itself; and the rate limit of the ICMP errors it sends.
 *
 * <p>Immutable; any thread. Built once on the control plane (the builder allocates, validates and
 * throws {@link IllegalArgumentException} naming the field and value).
 */
public final class NatConfig {

  /**
   * A virtual IP (seed S1.2) and what it serves.
   *
   * @param address the VIP
   * @param protocol the IANA protocol number served, 0 for any
   * @param port the port served, 0 for any
   * @param dscp for {@code dsr-dscp}: the DSCP value (1..63) that names this VIP to the servers, else -1
   */
  public record Vip(InetAddress address, int protocol, int port, int dscp) {
    /**
     * Validates the fields.
     *
     * @param address the VIP
     * @param protocol 0..255
     * @param port 0..65535
     * @param dscp -1 or 1..63
     */
    public Vip {
      Objects.requireNonNull(address, "address");
      if (protocol < 0 || protocol > 255) {
        throw new IllegalArgumentException("vip protocol must be in 0..255, was " + protocol);
      }
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("vip port must be in 0..65535, was " + port);
      }
      if (dscp != -1 && (dscp < 1 || dscp > 63)) {
        throw new IllegalArgumentException("vip dscp must be -1 (none) or in 1..63, was " + dscp);
      }
    }

    /**
     * A VIP serving every protocol and port.
     *
     * @param address the VIP
     * @return the VIP
     */
    public static Vip of(InetAddress address) {
      return new Vip(address, 0, 0, -1);
    }
  }

  /**
   * A subnet, for {@link Builder#serverSubnet}.
   *
   * @param prefix the network address
   * @param length the prefix length
   */
  public record Subnet(InetAddress prefix, int length) {
    /**
     * Validates the fields.
     *
     * @param prefix the network address
     * @param length 0..32 for IPv4, 0..128 for IPv6
     */
    public Subnet {
      int max = IpAddresses.isV4(prefix) ? 32 : 128;
      if (length < 0 || length > max) {
        throw new IllegalArgumentException("subnet length must be in 0.." + max + ", was " + length);
      }
    }
  }

  private final ForwardingMode mode;
  private final Scheduler scheduler;
  private final List<Vip> vips;
  private final long balancerMac;
  private final @Nullable InetAddress balancerIpv4;
  private final @Nullable InetAddress balancerIpv6;
  private final long clientGatewayMac;
  private final List<InetAddress> snatPool;
  private final int snatPortLow;
  private final int snatPortHigh;
  private final List<Subnet> serverSubnets;
  private final boolean hairpinSnat;
  private final int clientPort;
  private final int serverPort;
  private final NatPort clientSide;
  private final NatPort serverSide;
  private final NeighborTable neighbors;
  private final @Nullable InetAddress clientGatewayAddress;
  private final int icmpErrorsPerSecond;
  private final int icmpErrorBurst;
  private final FlowTableConfig flowTable;
  private final FragmentPolicy fragments;
  private final int fragmentTableCapacity;
  private final long fragmentTimeoutNanos;

  private NatConfig(Builder b) {
    this.mode = b.mode;
    this.scheduler = b.scheduler;
    this.vips = List.copyOf(b.vips);
    this.balancerMac = b.balancerMac;
    this.balancerIpv4 = b.balancerIpv4;
    this.balancerIpv6 = b.balancerIpv6;
    this.clientGatewayMac = b.clientGatewayMac;
    this.snatPool = List.copyOf(b.snatPool);
    this.snatPortLow = b.snatPortLow;
    this.snatPortHigh = b.snatPortHigh;
    this.serverSubnets = List.copyOf(b.serverSubnets);
    this.hairpinSnat = b.hairpinSnat;
    this.clientSide = b.clientSide != null ? b.clientSide : new NatPort(b.clientPort, MacAddress.ofLong(b.balancerMac),
        List.of(), 65_535);
    this.serverSide = b.serverSide != null ? b.serverSide : new NatPort(b.serverPort, MacAddress.ofLong(b.balancerMac),
        List.of(), b.mtu);
    this.clientPort = clientSide.index();
    this.serverPort = serverSide.index();
    this.neighbors = b.neighbors;
    this.clientGatewayAddress = b.clientGatewayAddress;
    this.icmpErrorsPerSecond = b.icmpErrorsPerSecond;
    this.icmpErrorBurst = b.icmpErrorBurst;
    this.flowTable = b.flowTable != null ? b.flowTable
        : FlowTableConfig.builder(65_536, scheduler.sessions()).build();
    this.fragments = b.fragments;
    this.fragmentTableCapacity = b.fragmentTableCapacity;
    this.fragmentTimeoutNanos = b.fragmentTimeoutNanos;
  }

  /**
   * Starts a configuration.
   *
   * @param mode the forwarding mode
   * @param scheduler picks a backend per new flow; its session counters are fed by the flow table
   * @return the builder
   */
  public static Builder builder(ForwardingMode mode, Scheduler scheduler) {
    return new Builder(mode, scheduler);
  }

  /** {@return the forwarding mode} */
  public ForwardingMode mode() {
    return mode;
  }

  /** {@return the scheduler} */
  public Scheduler scheduler() {
    return scheduler;
  }

  /** {@return the VIPs} */
  public List<Vip> vips() {
    return vips;
  }

  /** {@return the balancer's MAC (low 48 bits), the source MAC of every frame it sends} */
  public long balancerMac() {
    return balancerMac;
  }

  /** {@return the balancer's IPv4 address (IPIP outer source, ICMP errors), or null} */
  public @Nullable InetAddress balancerIpv4() {
    return balancerIpv4;
  }

  /** {@return the balancer's IPv6 address, or null} */
  public @Nullable InetAddress balancerIpv6() {
    return balancerIpv6;
  }

  /** {@return the MAC of the next hop towards clients (router and full NAT replies), 0 when unset} */
  public long clientGatewayMac() {
    return clientGatewayMac;
  }

  /** {@return the address of the next hop towards clients, resolved through {@link #neighbors()}, or null} */
  public @Nullable InetAddress clientGatewayAddress() {
    return clientGatewayAddress;
  }

  /** {@return the port towards the clients} */
  public NatPort clientSide() {
    return clientSide;
  }

  /** {@return the port towards the servers (the same as {@link #clientSide()} one-arm)} */
  public NatPort serverSide() {
    return serverSide;
  }

  /** {@return the neighbour table next hops are looked up in ({@link NeighborTable#NONE} when none was given)} */
  public NeighborTable neighbors() {
    return neighbors;
  }

  /** {@return the sustained rate of ICMP errors the balancer sends, per second} */
  public int icmpErrorsPerSecond() {
    return icmpErrorsPerSecond;
  }

  /** {@return how many ICMP errors may be sent in a burst above the sustained rate} */
  public int icmpErrorBurst() {
    return icmpErrorBurst;
  }

  /** {@return the source-NAT addresses (full NAT and hairpin SNAT)} */
  public List<InetAddress> snatPool() {
    return snatPool;
  }

  /** {@return the lowest source-NAT port} */
  public int snatPortLow() {
    return snatPortLow;
  }

  /** {@return the highest source-NAT port} */
  public int snatPortHigh() {
    return snatPortHigh;
  }

  /** {@return the MTU towards the servers (the server-side port's; larger packets are answered "too big")} */
  public int mtu() {
    return serverSide.mtu();
  }

  /** {@return the subnets the servers live in (hairpin detection, S6.2)} */
  public List<Subnet> serverSubnets() {
    return serverSubnets;
  }

  /** {@return whether hairpin flows (S6.2) are source-NATed automatically in the DNAT modes} */
  public boolean hairpinSnat() {
    return hairpinSnat;
  }

  /** {@return the port number of forward verdicts towards clients} */
  public int clientPort() {
    return clientPort;
  }

  /** {@return the port number of forward verdicts towards servers} */
  public int serverPort() {
    return serverPort;
  }

  /** {@return the flow table settings} */
  public FlowTableConfig flowTable() {
    return flowTable;
  }

  /** {@return how later IP fragments choose their backend} */
  public FragmentPolicy fragments() {
    return fragments;
  }

  /** {@return the number of entries of the fragment table (a power of two)} */
  public int fragmentTableCapacity() {
    return fragmentTableCapacity;
  }

  /** {@return how long a first fragment's choice is kept for the later fragments, in nanoseconds} */
  public long fragmentTimeoutNanos() {
    return fragmentTimeoutNanos;
  }

  /** Builds a {@link NatConfig}; one thread; allocates. */
  public static final class Builder {
    private final ForwardingMode mode;
    private final Scheduler scheduler;
    private final List<Vip> vips = new ArrayList<>();
    private long balancerMac;
    private @Nullable InetAddress balancerIpv4;
    private @Nullable InetAddress balancerIpv6;
    private long clientGatewayMac;
    private final List<InetAddress> snatPool = new ArrayList<>();
    private int snatPortLow = 1024;
    private int snatPortHigh = 65_535;
    private int mtu = 1500;
    private final List<Subnet> serverSubnets = new ArrayList<>();
    private boolean hairpinSnat;
    private int clientPort;
    private int serverPort = 1;
    private @Nullable NatPort clientSide;
    private @Nullable NatPort serverSide;
    private NeighborTable neighbors = NeighborTable.NONE;
    private @Nullable InetAddress clientGatewayAddress;
    private int icmpErrorsPerSecond = 1000;
    private int icmpErrorBurst = 50;
    private @Nullable FlowTableConfig flowTable;
    private FragmentPolicy fragments = FragmentPolicy.FOLLOW_FIRST;
    private int fragmentTableCapacity = 1024;
    private long fragmentTimeoutNanos = 30_000_000_000L;

    private Builder(ForwardingMode mode, Scheduler scheduler) {
      this.mode = Objects.requireNonNull(mode, "mode");
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    /**
     * Adds a VIP.
     *
     * @param vip the VIP
     * @return this builder
     */
    public Builder vip(Vip vip) {
      vips.add(Objects.requireNonNull(vip, "vip"));
      return this;
    }

    /**
     * Sets the balancer's own link and network addresses.
     *
     * @param mac its MAC
     * @param ipv4 its IPv4 address, or null
     * @param ipv6 its IPv6 address, or null
     * @return this builder
     */
    public Builder balancer(MacAddress mac, @Nullable InetAddress ipv4, @Nullable InetAddress ipv6) {
      this.balancerMac = mac.toLong();
      if (ipv4 != null && !IpAddresses.isV4(ipv4)) {
        throw new IllegalArgumentException("balancer ipv4 must be IPv4, was " + ipv4.getHostAddress());
      }
      if (ipv6 != null && IpAddresses.isV4(ipv6)) {
        throw new IllegalArgumentException("balancer ipv6 must be IPv6, was " + ipv6.getHostAddress());
      }
      this.balancerIpv4 = ipv4;
      this.balancerIpv6 = ipv6;
      return this;
    }

    /**
     * Sets the MAC of the next hop towards clients (the router in front of the balancer).
     *
     * @param mac the next hop's MAC
     * @return this builder
     */
    public Builder clientGateway(MacAddress mac) {
      this.clientGatewayMac = mac.toLong();
      return this;
    }

    /**
     * Sets the address of the next hop towards clients; its MAC is looked up in the {@link
     * #neighbors neighbour table} per frame (so a changed MAC is followed), falling back to {@link
     * #clientGateway(MacAddress)} while unknown.
     *
     * @param address the gateway's address, on-link on the clients' port
     * @return this builder
     */
    public Builder clientGateway(InetAddress address) {
      this.clientGatewayAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Sets the balancer's ports: their verdict numbers, MACs, on-link prefixes and MTUs. One-arm
     * passes the same port twice. Replaces {@link #ports(int, int)}; the server side's MTU becomes
     * {@link NatConfig#mtu()}; without {@link #balancer} the clients' port's MAC is the balancer's.
     *
     * @param towardsClients the port towards the clients
     * @param towardsServers the port towards the servers
     * @return this builder
     */
    public Builder ports(NatPort towardsClients, NatPort towardsServers) {
      this.clientSide = Objects.requireNonNull(towardsClients, "towardsClients");
      this.serverSide = Objects.requireNonNull(towardsServers, "towardsServers");
      return this;
    }

    /**
     * Sets the neighbour table next hops (on-link clients, servers without a configured MAC, the
     * clients' gateway by address) are looked up in.
     *
     * @param table the table, called on the translator's thread
     * @return this builder
     */
    public Builder neighbors(NeighborTable table) {
      this.neighbors = Objects.requireNonNull(table, "table");
      return this;
    }

    /**
     * Limits the ICMP errors the balancer sends (time exceeded, fragmentation needed, packet too
     * big) with a token bucket on the flow table's clock (RFC 1812 §4.3.2.8, RFC 4443 §2.4 (f));
     * the default, 1000 per second with bursts of 50, is Linux's {@code icmp_msgs_per_sec} and
     * {@code icmp_msgs_burst}.
     *
     * @param perSecond sustained rate, 1..1000000
     * @param burst bucket size, 1..1000000
     * @return this builder
     */
    public Builder icmpErrorRate(int perSecond, int burst) {
      if (perSecond < 1 || perSecond > 1_000_000 || burst < 1 || burst > 1_000_000) {
        throw new IllegalArgumentException("icmpErrorRate perSecond and burst must be in 1..1000000, were " + perSecond
            + " and " + burst);
      }
      this.icmpErrorsPerSecond = perSecond;
      this.icmpErrorBurst = burst;
      return this;
    }

    /**
     * Adds a source-NAT address.
     *
     * @param address an address of the balancer's server side
     * @return this builder
     */
    public Builder snatAddress(InetAddress address) {
      snatPool.add(Objects.requireNonNull(address, "address"));
      return this;
    }

    /**
     * Sets the source-NAT port range.
     *
     * @param low lowest port, 1..65535
     * @param high highest port, low..65535
     * @return this builder
     */
    public Builder snatPorts(int low, int high) {
      if (low < 1 || high > 65_535 || low > high) {
        throw new IllegalArgumentException("snat ports must satisfy 1 <= low <= high <= 65535, was " + low + ".." + high);
      }
      this.snatPortLow = low;
      this.snatPortHigh = high;
      return this;
    }

    /**
     * Sets the MTU towards the servers.
     *
     * @param bytes 576..65535
     * @return this builder
     */
    public Builder mtu(int bytes) {
      if (bytes < 576 || bytes > 65_535) {
        throw new IllegalArgumentException("mtu must be in 576..65535, was " + bytes);
      }
      this.mtu = bytes;
      return this;
    }

    /**
     * Adds a subnet the servers live in; a client inside it calling a VIP is the hairpin case (S6.2).
     *
     * @param prefix the network address
     * @param length the prefix length
     * @return this builder
     */
    public Builder serverSubnet(InetAddress prefix, int length) {
      serverSubnets.add(new Subnet(prefix, length));
      return this;
    }

    /**
     * Source-NATs hairpin flows (S6.2) in the DNAT modes, from the SNAT pool.
     *
     * @param enabled whether to
     * @return this builder
     */
    public Builder hairpinSnat(boolean enabled) {
      this.hairpinSnat = enabled;
      return this;
    }

    /**
     * Sets the port numbers of forward verdicts.
     *
     * @param towardsClients the datapath's port towards clients
     * @param towardsServers the datapath's port towards servers (may equal the other in one-arm)
     * @return this builder
     */
    public Builder ports(int towardsClients, int towardsServers) {
      if (towardsClients < 0 || towardsClients > 65_535 || towardsServers < 0 || towardsServers > 65_535) {
        throw new IllegalArgumentException("ports must be in 0..65535, were " + towardsClients + " and " + towardsServers);
      }
      this.clientPort = towardsClients;
      this.serverPort = towardsServers;
      return this;
    }

    /**
     * Sets the flow table settings; their session counters must be the scheduler's.
     *
     * @param config the settings
     * @return this builder
     */
    public Builder flowTable(FlowTableConfig config) {
      if (config.sessions() != scheduler.sessions()) {
        throw new IllegalArgumentException("flowTable sessions must be the scheduler's SessionCounters");
      }
      this.flowTable = config;
      return this;
    }

    /**
     * Sets how later IP fragments (offset &gt; 0, without a transport header) choose their backend.
     *
     * @param policy {@link FragmentPolicy#FOLLOW_FIRST} (the default) or {@link FragmentPolicy#HASH_THREE_TUPLE}
     * @return this builder
     */
    public Builder fragments(FragmentPolicy policy) {
      this.fragments = Objects.requireNonNull(policy, "fragments");
      return this;
    }

    /**
     * Sets the fragment table of {@link FragmentPolicy#FOLLOW_FIRST}: its fixed number of entries
     * and how long a first fragment's choice is kept (RFC 791 suggests a reassembly timeout of
     * seconds to tens of seconds; the default is 1024 entries and 30 s).
     *
     * @param capacity entries, a power of two in 16..1048576
     * @param timeoutNanos the lifetime of an entry in nanoseconds, in 1 ms..120 s
     * @return this builder
     */
    public Builder fragmentTable(int capacity, long timeoutNanos) {
      if (capacity < 16 || capacity > 1 << 20 || Integer.bitCount(capacity) != 1) {
        throw new IllegalArgumentException("fragmentTable capacity must be a power of two in 16..1048576, was " + capacity);
      }
      if (timeoutNanos < 1_000_000L || timeoutNanos > 120_000_000_000L) {
        throw new IllegalArgumentException("fragmentTable timeoutNanos must be in 1000000..120000000000 (1 ms..120 s), was "
            + timeoutNanos);
      }
      this.fragmentTableCapacity = capacity;
      this.fragmentTimeoutNanos = timeoutNanos;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @return the configuration
     * @throws IllegalArgumentException naming what is missing for the mode
     */
    public NatConfig build() {
      if (vips.isEmpty()) {
        throw new IllegalArgumentException("at least one vip is required");
      }
      if (balancerMac == 0 && clientSide != null) {
        balancerMac = clientSide.mac().toLong();
      }
      if (balancerMac == 0) {
        throw new IllegalArgumentException("balancer mac is required (balancer(mac, ipv4, ipv6) or ports(NatPort, NatPort))");
      }
      if (serverSide != null) {
        mtu = serverSide.mtu();
      }
      if ((mode == ForwardingMode.FULL_NAT || hairpinSnat) && snatPool.isEmpty()) {
        throw new IllegalArgumentException("mode " + mode.modeName() + (hairpinSnat ? " with hairpinSnat" : "")
            + " needs at least one snatAddress");
      }
      if ((mode == ForwardingMode.ROUTER || mode == ForwardingMode.FULL_NAT) && clientGatewayMac == 0
          && clientGatewayAddress == null) {
        throw new IllegalArgumentException("mode " + mode.modeName()
            + " needs clientGateway(mac) or clientGateway(address): replies are routed to it");
      }
      if (mode == ForwardingMode.DSR_IPIP) {
        for (Vip v : vips) {
          if (IpAddresses.isV4(v.address()) ? balancerIpv4 == null : balancerIpv6 == null) {
            throw new IllegalArgumentException("mode dsr-ipip needs a balancer address of the family of vip "
                + v.address().getHostAddress() + " as the outer source");
          }
        }
      }
      if (scheduler instanceof SecondChanceScheduler && mode.repliesPassBalancer()) {
        throw new IllegalArgumentException("mode " + mode.modeName() + " has no second chance (SecondChanceScheduler):"
            + " its replies return through the balancer holding the flow's translation, so a flow cannot move to"
            + " another balancer; use a DSR mode or a plain scheduler");
      }
      if (mode == ForwardingMode.DSR_DSCP) {
        for (Vip v : vips) {
          if (v.dscp() < 0) {
            throw new IllegalArgumentException("mode dsr-dscp needs a dscp for vip " + v.address().getHostAddress());
          }
        }
      }
      return new NatConfig(this);
    }
  }
}
