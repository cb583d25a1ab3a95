package io.github.lb4j.gateway.datapath;

import io.github.lb4j.announce.BgpConfig;
import io.github.lb4j.api.Backend;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.linux.PacketSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link Datapath} runs: the forwarding mode, the interface(s) it owns (one for one-arm, a
 * client side and a server side for inline), the VIP, the real servers, the next hop towards the
 * clients, the source-NAT addresses, the scheduler (its seed and options: balancers that must agree
 * behind ECMP share both) and the health check; for scaling out, the BGP announcement of the VIP and
 * how a graceful stop drains.
 *
 * <p>Immutable; any thread. The builder allocates, validates and throws {@link
 * IllegalArgumentException} naming the option and value; it never blocks.
 */
public final class DatapathConfig {

  private final ForwardingMode mode;
  private final String clientInterface;
  private final @Nullable String serverInterface;
  private final int clientVlan;
  private final int serverVlan;
  private final InetAddress vip;
  private final int vipPort;
  private final int dscp;
  private final List<Backend> backends;
  private final @Nullable InetAddress gateway;
  private final List<InetAddress> snat;
  private final boolean hairpinSnat;
  private final List<String> serverSubnets;
  private final String algorithm;
  private final String check;
  private final Map<String, String> checkOptions;
  private final Duration checkInterval;
  private final int rise;
  private final int fall;
  private final @Nullable Path statusFile;
  private final Duration resolveTimeout;
  private final int workers;
  private final PacketSocket.OffloadMode offloads;
  private final long seed;
  private final Map<String, String> algorithmOptions;
  private final boolean secondChance;
  private final @Nullable BgpConfig bgp;
  private final Duration drainTimeout;
  private final Duration drainQuiet;

  private DatapathConfig(Builder b) {
    this.mode = b.mode;
    this.clientInterface = Objects.requireNonNull(b.clientInterface);
    this.serverInterface = b.serverInterface;
    this.clientVlan = b.clientVlan;
    this.serverVlan = b.serverInterface == null ? b.clientVlan : b.serverVlan;
    this.vip = Objects.requireNonNull(b.vip);
    this.vipPort = b.vipPort;
    this.dscp = b.dscp;
    this.backends = List.copyOf(b.backends);
    this.gateway = b.gateway;
    this.snat = List.copyOf(b.snat);
    this.hairpinSnat = b.hairpinSnat;
    this.serverSubnets = List.copyOf(b.serverSubnets);
    this.algorithm = b.algorithm;
    this.check = b.check;
    this.checkOptions = Map.copyOf(b.checkOptions);
    this.checkInterval = b.checkInterval;
    this.rise = b.rise;
    this.fall = b.fall;
    this.statusFile = b.statusFile;
    this.resolveTimeout = b.resolveTimeout;
    this.workers = b.workers;
    // the kernel cannot be asked to segment an IPIP super-frame through a packet socket
    this.offloads = b.offloads == PacketSocket.OffloadMode.CARRY && b.mode == ForwardingMode.DSR_IPIP
        ? PacketSocket.OffloadMode.UNDO : b.offloads;
    this.seed = b.seed;
    this.algorithmOptions = Map.copyOf(b.algorithmOptions);
    this.secondChance = b.secondChance;
    this.bgp = b.bgp;
    this.drainTimeout = b.drainTimeout;
    this.drainQuiet = b.drainQuiet;
  }

  /**
   * Starts a configuration.
   *
   * @param mode the forwarding mode
   * @return the builder
   */
  public static Builder builder(ForwardingMode mode) {
    return new Builder(mode);
  }

  /** {@return the forwarding mode} */
  public ForwardingMode mode() {
    return mode;
  }

  /** {@return the interface towards the clients (the only one in one-arm)} */
  public String clientInterface() {
    return clientInterface;
  }

  /** {@return the interface towards the servers for inline, or null for one-arm} */
  public @Nullable String serverInterface() {
    return serverInterface;
  }

  /** {@return the 802.1Q VLAN served on the clients' side (the only side one-arm), -1 for untagged frames} */
  public int clientVlan() {
    return clientVlan;
  }

  /** {@return the 802.1Q VLAN served on the servers' side (one-arm: the clients' side's), -1 for untagged frames} */
  public int serverVlan() {
    return serverVlan;
  }

  /** {@return whether the balancer has one port for both sides (one interface and VLAN)} */
  public boolean oneArm() {
    return serverInterface == null;
  }

  /** {@return the VIP} */
  public InetAddress vip() {
    return vip;
  }

  /** {@return the TCP port served on the VIP, 0 for any} */
  public int vipPort() {
    return vipPort;
  }

  /** {@return the DSCP value of {@code dsr-dscp}, or -1} */
  public int dscp() {
    return dscp;
  }

  /** {@return the real servers} */
  public List<Backend> backends() {
    return backends;
  }

  /** {@return the next hop towards the clients (router, full NAT, one-arm transparent), or null} */
  public @Nullable InetAddress gateway() {
    return gateway;
  }

  /** {@return the source-NAT addresses} */
  public List<InetAddress> snat() {
    return snat;
  }

  /** {@return whether hairpin flows (S6.2) are source-NATed} */
  public boolean hairpinSnat() {
    return hairpinSnat;
  }

  /** {@return the servers' subnets in CIDR notation} */
  public List<String> serverSubnets() {
    return serverSubnets;
  }

  /** {@return the scheduler's name} */
  public String algorithm() {
    return algorithm;
  }

  /** {@return the health check's name, or {@code none}} */
  public String check() {
    return check;
  }

  /** {@return the health check's options} */
  public Map<String, String> checkOptions() {
    return checkOptions;
  }

  /** {@return the gap between two checks of one server} */
  public Duration checkInterval() {
    return checkInterval;
  }

  /** {@return passes that make a server up} */
  public int rise() {
    return rise;
  }

  /** {@return failures that make a server down} */
  public int fall() {
    return fall;
  }

  /** {@return where the status is written each second, or null} */
  public @Nullable Path statusFile() {
    return statusFile;
  }

  /** {@return how long the start waits for the next hops' MAC addresses} */
  public Duration resolveTimeout() {
    return resolveTimeout;
  }

  /** {@return how many workers run the packet path, each with its own thread, sockets and flow table} */
  public int workers() {
    return workers;
  }

  /**
   * {@return what the sockets do with the interfaces' offloads: {@code CARRY} (partial checksums and
   * super-frames translated as they are and sent on for the kernel to finish; {@code dsr-ipip} undoes
   * them, as no packet socket can hand the kernel an encapsulated super-frame) or {@code UNDO}
   * (checksums completed and super-frames cut into segments in user space)}
   */
  public PacketSocket.OffloadMode offloads() {
    return offloads;
  }

  /** {@return the scheduler's seed: balancers behind one ECMP group use the same} */
  public long seed() {
    return seed;
  }

  /**
   * {@return whether a mid-stream packet of a flow without state is tagged with its owner under the
   * backend set before the last change (the second chance of the DSR modes, {@link
   * io.github.lb4j.nat.SecondChance})}
   */
  public boolean secondChance() {
    return secondChance;
  }

  /** {@return the scheduler's options, for example {@code table-size=65537} for Maglev} */
  public Map<String, String> algorithmOptions() {
    return algorithmOptions;
  }

  /** {@return how the VIP is announced by BGP, or null when it is not} */
  public @Nullable BgpConfig bgp() {
    return bgp;
  }

  /** {@return the longest a graceful stop waits, after the withdrawal, for the VIP's traffic to stop} */
  public Duration drainTimeout() {
    return drainTimeout;
  }

  /** {@return how long no frame may reach the VIP before a graceful stop considers it drained} */
  public Duration drainQuiet() {
    return drainQuiet;
  }

  /** Builds a {@link DatapathConfig}; one thread; allocates. */
  public static final class Builder {
    private final ForwardingMode mode;
    private @Nullable String clientInterface;
    private @Nullable String serverInterface;
    private int clientVlan = -1;
    private int serverVlan = -1;
    private @Nullable InetAddress vip;
    private int vipPort;
    private int dscp = -1;
    private final List<Backend> backends = new ArrayList<>();
    private @Nullable InetAddress gateway;
    private final List<InetAddress> snat = new ArrayList<>();
    private boolean hairpinSnat;
    private final List<String> serverSubnets = new ArrayList<>();
    private String algorithm = "maglev";
    private String check = "tcp";
    private final Map<String, String> checkOptions = new LinkedHashMap<>();
    private Duration checkInterval = Duration.ofSeconds(1);
    private int rise = 2;
    private int fall = 2;
    private @Nullable Path statusFile;
    private Duration resolveTimeout = Duration.ofSeconds(3);
    private int workers = 1;
    private PacketSocket.OffloadMode offloads = PacketSocket.OffloadMode.CARRY;
    private long seed;
    private boolean secondChance;
    private final Map<String, String> algorithmOptions = new LinkedHashMap<>();
    private @Nullable BgpConfig bgp;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private Duration drainQuiet = Duration.ofSeconds(1);

    private Builder(ForwardingMode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
    }

    /**
     * One-arm: one interface towards clients and servers.
     *
     * @param name the interface
     * @return this builder
     */
    public Builder oneArm(String name) {
      this.clientInterface = Objects.requireNonNull(name, "interface");
      this.serverInterface = null;
      return this;
    }

    /**
     * Inline: the clients' side and the servers' side on two interfaces.
     *
     * @param clientSide the interface towards the clients
     * @param serverSide the interface towards the servers
     * @return this builder
     */
    public Builder inline(String clientSide, String serverSide) {
      this.clientInterface = Objects.requireNonNull(clientSide, "client interface");
      this.serverInterface = Objects.requireNonNull(serverSide, "server interface");
      return this;
    }

    /**
     * Serves 802.1Q-tagged frames of one VLAN on the clients' side (one-arm: the only side) instead
     * of untagged frames; frames of other VLANs are not forwarded.
     *
     * @param vlan 1..4094, or -1 for untagged
     * @return this builder
     */
    public Builder clientVlan(int vlan) {
      this.clientVlan = checkVlan("--client-vlan", vlan);
      return this;
    }

    /**
     * Serves 802.1Q-tagged frames of one VLAN on the servers' side (inline).
     *
     * @param vlan 1..4094, or -1 for untagged
     * @return this builder
     */
    public Builder serverVlan(int vlan) {
      this.serverVlan = checkVlan("--server-vlan", vlan);
      return this;
    }

    private static int checkVlan(String option, int vlan) {
      // 0 tags priority only and 4095 is reserved (IEEE 802.1Q table 9-2).
      if (vlan != -1 && (vlan < 1 || vlan > 4094)) {
        throw new IllegalArgumentException(option + " must be a VLAN id in 1..4094, was " + vlan);
      }
      return vlan;
    }

    /**
     * Sets the VIP.
     *
     * @param address the VIP
     * @param port the TCP port served, 0 for every protocol and port
     * @return this builder
     */
    public Builder vip(InetAddress address, int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("--vip port must be in 0..65535, was " + port);
      }
      this.vip = Objects.requireNonNull(address, "vip");
      this.vipPort = port;
      return this;
    }

    /**
     * Sets the DSCP value that names the VIP to the servers ({@code dsr-dscp}).
     *
     * @param value 1..63
     * @return this builder
     */
    public Builder dscp(int value) {
      if (value < 1 || value > 63) {
        throw new IllegalArgumentException("--dscp must be in 1..63, was " + value);
      }
      this.dscp = value;
      return this;
    }

    /**
     * Adds a real server.
     *
     * @param backend the server
     * @return this builder
     */
    public Builder backend(Backend backend) {
      for (Backend b : backends) {
        if (b.id().equals(backend.id())) {
          throw new IllegalArgumentException("--backend " + backend.id() + " is given twice");
        }
      }
      backends.add(backend);
      return this;
    }

    /**
     * Sets the next hop towards the clients.
     *
     * @param address an address on the client side's network
     * @return this builder
     */
    public Builder gateway(InetAddress address) {
      this.gateway = Objects.requireNonNull(address, "gateway");
      return this;
    }

    /**
     * Adds a source-NAT address (not configured on the balancer's kernel interface).
     *
     * @param address the address
     * @return this builder
     */
    public Builder snat(InetAddress address) {
      snat.add(Objects.requireNonNull(address, "snat"));
      return this;
    }

    /**
     * Source-NATs hairpin flows (S6.2).
     *
     * @param on whether to
     * @return this builder
     */
    public Builder hairpinSnat(boolean on) {
      this.hairpinSnat = on;
      return this;
    }

    /**
     * Adds a subnet of the servers (hairpin detection, S6.2).
     *
     * @param cidr for example {@code 192.0.2.0/24}
     * @return this builder
     */
    public Builder serverSubnet(String cidr) {
      Cidr.parse("--server-subnet", cidr);
      serverSubnets.add(cidr);
      return this;
    }

    /**
     * Sets the scheduler by name.
     *
     * @param name for example {@code maglev}
     * @return this builder
     */
    public Builder algorithm(String name) {
      this.algorithm = Objects.requireNonNull(name, "algorithm");
      return this;
    }

    /**
     * Sets the scheduler's seed (default 0). Balancers behind one ECMP group need the same seed,
     * options and backends so that they pick the same backend for a flow.
     *
     * @param value any value
     * @return this builder
     */
    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    /**
     * Gives established flows a second chance across a change of the backend set (DSR modes only):
     * a mid-stream packet without state goes to the current owner tagged with the previous one,
     * whose servers pass it on when they do not hold the connection ({@link
     * io.github.lb4j.nat.SecondChance#nftRules}). Default off.
     *
     * @param enabled whether to
     * @return this builder
     */
    public Builder secondChance(boolean enabled) {
      this.secondChance = enabled;
      return this;
    }

    /**
     * Sets an option of the scheduler, for example {@code table-size} of Maglev.
     *
     * @param name the option
     * @param value its value, checked when the datapath starts
     * @return this builder
     */
    public Builder algorithmOption(String name, String value) {
      algorithmOptions.put(Objects.requireNonNull(name), Objects.requireNonNull(value));
      return this;
    }

    /**
     * Announces the VIP by BGP while the datapath can serve it (running, at least one server
     * eligible); see {@link io.github.lb4j.announce.VipAnnouncer}.
     *
     * @param config the speaker, peers and timers; its VIPs must include this datapath's VIP
     * @return this builder
     */
    public Builder announce(@Nullable BgpConfig config) {
      this.bgp = config;
      return this;
    }

    /**
     * Sets how a graceful stop ({@link Datapath#drainAndClose()}) drains after withdrawing the VIP:
     * it forwards until no frame reached the VIP for {@code quiet}, or {@code timeout} passed.
     *
     * @param timeout the longest drain, 0 for none
     * @param quiet the silence that ends it, positive
     * @return this builder
     */
    public Builder drain(Duration timeout, Duration quiet) {
      if (timeout.isNegative() || quiet.isNegative() || quiet.isZero()) {
        throw new IllegalArgumentException("--drain-timeout must be 0 or more and --drain-quiet positive, were " + timeout + " and " + quiet);
      }
      this.drainTimeout = timeout;
      this.drainQuiet = quiet;
      return this;
    }

    /**
     * Sets the health check.
     *
     * @param name a checker's name, or {@code none}
     * @param options its options
     * @param interval gap between checks of one server
     * @param rise passes that make a server up
     * @param fall failures that make a server down
     * @return this builder
     */
    public Builder check(String name, Map<String, String> options, Duration interval, int rise, int fall) {
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("--check-interval must be positive, was " + interval);
      }
      if (rise < 1 || fall < 1) {
        throw new IllegalArgumentException("--rise and --fall must be at least 1, were " + rise + " and " + fall);
      }
      this.check = name;
      this.checkOptions.clear();
      this.checkOptions.putAll(options);
      this.checkInterval = interval;
      this.rise = rise;
      this.fall = fall;
      return this;
    }

    /**
     * Writes the status (counters, servers) to a file each second.
     *
     * @param file the file, replaced atomically
     * @return this builder
     */
    public Builder statusFile(@Nullable Path file) {
      this.statusFile = file;
      return this;
    }

    /**
     * Sets how long the start waits for MAC addresses of the gateway and servers.
     *
     * @param timeout the wait
     * @return this builder
     */
    public Builder resolveTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("--resolve-timeout must be positive, was " + timeout);
      }
      this.resolveTimeout = timeout;
      return this;
    }

    /**
     * Sets how many workers run the packet path.
     *
     * @param n 1..64
     * @return this builder
     */
    public Builder workers(int n) {
      if (n < 1 || n > 64) {
        throw new IllegalArgumentException("--workers must be in 1..64, was " + n);
      }
      this.workers = n;
      return this;
    }

    /**
     * Sets what the sockets do with the interfaces' offloads.
     *
     * @param mode {@code CARRY} or {@code UNDO}
     * @return this builder
     */
    public Builder offloads(PacketSocket.OffloadMode mode) {
      if (mode == PacketSocket.OffloadMode.AS_RECEIVED) {
        throw new IllegalArgumentException("--offloads must be carry or undo: a forwarder cannot send frames as the kernel holds them");
      }
      this.offloads = mode;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @return the configuration
     * @throws IllegalArgumentException naming the missing or inconsistent option
     */
    public DatapathConfig build() {
      if (clientInterface == null) {
        throw new IllegalArgumentException("an interface is required (--interface, or --client-interface and --server-interface)");
      }
      if (vip == null) {
        throw new IllegalArgumentException("--vip is required");
      }
      if (backends.isEmpty()) {
        throw new IllegalArgumentException("at least one --backend is required");
      }
      if (serverInterface != null && serverInterface.equals(clientInterface) && serverVlan == clientVlan) {
        throw new IllegalArgumentException("--client-interface and --server-interface are both " + clientInterface
            + (clientVlan == -1 ? "" : " VLAN " + clientVlan) + ": inline needs two interfaces, or two VLANs of one trunk"
            + " (--client-vlan, --server-vlan)");
      }
      if (serverInterface == null && serverVlan != -1) {
        throw new IllegalArgumentException("--server-vlan is for inline (--client-interface, --server-interface); one-arm takes --vlan");
      }
      if (secondChance && mode.repliesPassBalancer()) {
        throw new IllegalArgumentException("--second-chance is for the DSR modes: in --mode " + mode.modeName()
            + " replies return through the balancer holding the flow's translation, so a flow cannot move to another balancer");
      }
      boolean v4 = vip instanceof Inet4Address;
      for (Backend b : backends) {
        if ((b.address() instanceof Inet4Address) != v4 && mode != ForwardingMode.DSR_IPIP && mode != ForwardingMode.DSR_L2) {
          throw new IllegalArgumentException("--backend " + b.id() + " is not of the family of --vip " + vip.getHostAddress());
        }
      }
      boolean needsGateway = mode == ForwardingMode.ROUTER || mode == ForwardingMode.FULL_NAT
          || (mode == ForwardingMode.TRANSPARENT && serverInterface == null);
      if (needsGateway && gateway == null) {
        throw new IllegalArgumentException("--mode " + mode.modeName()
            + (serverInterface == null ? " (one-arm)" : "") + " needs --gateway: replies are sent to it");
      }
      if ((mode == ForwardingMode.FULL_NAT || hairpinSnat) && snat.isEmpty()) {
        throw new IllegalArgumentException("--mode " + mode.modeName() + (hairpinSnat ? " with --hairpin-snat" : "")
            + " needs at least one --snat address");
      }
      if (mode == ForwardingMode.DSR_DSCP && dscp < 0) {
        throw new IllegalArgumentException("--mode dsr-dscp needs --dscp");
      }
      if (bgp != null && !bgp.vips().contains(vip)) {
        throw new IllegalArgumentException("the BGP configuration does not announce --vip " + vip.getHostAddress());
      }
      return new DatapathConfig(this);
    }
  }
}
