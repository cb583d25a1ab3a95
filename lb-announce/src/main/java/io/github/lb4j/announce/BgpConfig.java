package io.github.lb4j.announce;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link VipAnnouncer} speaks BGP: which speaker daemon it runs, the local autonomous system
 * and BGP identifier, the peers (the routers that spread flows over the balancers by ECMP), the VIPs
 * it announces as host routes (/32, /128), their next hop, the hold time and BFD.
 *
 * <p>Values follow the RFCs and are checked by {@link Builder#build()}, which throws {@link
 * IllegalArgumentException} naming the field and the value: AS numbers are four-octet (RFC 6793),
 * never 0, never {@code AS_TRANS} 23456 and never the reserved 65535 and 4294967295 (RFC 7300); the
 * hold time is 0 (no keepalives) or 3 to 65535 seconds, and keepalives go every third of it (RFC
 * 4271 §4.2, §10); BFD (RFC 5880, single hop RFC 5881) has a detection multiplier of 1 to 255.
 *
 * <p>Immutable; any thread. Building allocates; nothing blocks.
 */
public final class BgpConfig {

  /** The BGP speaker daemon an announcer runs (a Debian package each). */
  public enum Speaker {
    /**
     * BIRD 2 ({@code bird2}): controlled through its Unix control socket; supports BFD, so a silent
     * balancer is withdrawn within the BFD detection time rather than the hold time.
     */
    BIRD("bird"),
    /** GoBGP ({@code gobgpd}): controlled with its {@code gobgp} command over a Unix socket; no BFD. */
    GOBGP("gobgp");

    private final String label;

    Speaker(String label) {
      this.label = label;
    }

    /**
     * Returns the name used on command lines.
     *
     * @return {@code bird} or {@code gobgp}
     */
    public String label() {
      return label;
    }

    /**
     * Parses a speaker name.
     *
     * @param name {@code bird} (or {@code bird2}) or {@code gobgp} (or {@code gobgpd}), any case
     * @return the speaker
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Speaker parse(String name) {
      switch (name.toLowerCase(Locale.ROOT)) {
        case "bird", "bird2" -> {
          return BIRD;
        }
        case "gobgp", "gobgpd" -> {
          return GOBGP;
        }
        default -> throw new IllegalArgumentException("BGP speaker must be bird or gobgp, was '" + name + "'");
      }
    }
  }

  /**
   * A BGP peer: a router that learns the VIPs from this speaker.
   *
   * @param address the router's address on the shared link (the session is single hop)
   * @param asn its autonomous system number
   */
  public record Peer(InetAddress address, long asn) {

    /**
     * Checks the peer.
     *
     * @param address the router's address
     * @param asn its autonomous system number
     */
    public Peer {
      Objects.requireNonNull(address, "address");
      checkAsn("peer " + address.getHostAddress() + " AS", asn);
    }
  }

  /** The largest hold time, in seconds (a 16-bit field, RFC 4271 §4.2). */
  public static final int MAX_HOLD_SECONDS = 65_535;

  private final Speaker speaker;
  private final long localAsn;
  private final Inet4Address routerId;
  private final @Nullable InetAddress localAddress;
  private final List<Peer> peers;
  private final List<InetAddress> vips;
  private final @Nullable Inet4Address nextHop4;
  private final @Nullable Inet6Address nextHop6;
  private final int holdSeconds;
  private final Duration bfdInterval;
  private final int bfdMultiplier;
  private final @Nullable Path directory;
  private final @Nullable Path executable;

  private BgpConfig(Builder b) {
    this.speaker = b.speaker;
    this.localAsn = b.localAsn;
    this.routerId = Objects.requireNonNull(b.routerId);
    this.localAddress = b.localAddress;
    this.peers = List.copyOf(b.peers);
    this.vips = List.copyOf(b.vips);
    this.nextHop4 = b.nextHop4;
    this.nextHop6 = b.nextHop6;
    this.holdSeconds = b.holdSeconds;
    this.bfdInterval = b.bfdInterval;
    this.bfdMultiplier = b.bfdMultiplier;
    this.directory = b.directory;
    this.executable = b.executable;
  }

  /**
   * Starts a configuration.
   *
   * @param speaker the daemon to run
   * @param localAsn this balancer's autonomous system number
   * @return the builder
   */
  public static Builder builder(Speaker speaker, long localAsn) {
    return new Builder(speaker, localAsn);
  }

  /** {@return the speaker daemon} */
  public Speaker speaker() {
    return speaker;
  }

  /** {@return this balancer's autonomous system number} */
  public long localAsn() {
    return localAsn;
  }

  /** {@return the BGP identifier (RFC 6286: four octets, unique among the peers' neighbours)} */
  public Inet4Address routerId() {
    return routerId;
  }

  /** {@return the source address of the sessions, or null to let the speaker choose by route} */
  public @Nullable InetAddress localAddress() {
    return localAddress;
  }

  /** {@return the peers, at least one} */
  public List<Peer> peers() {
    return peers;
  }

  /** {@return the VIPs, announced as /32 and /128 host routes; at least one} */
  public List<InetAddress> vips() {
    return vips;
  }

  /** {@return the IPv4 next hop of IPv4 VIPs, or null for the session's own address ("next hop self")} */
  public @Nullable Inet4Address nextHop4() {
    return nextHop4;
  }

  /** {@return the IPv6 next hop of IPv6 VIPs, or null for the session's own address} */
  public @Nullable Inet6Address nextHop6() {
    return nextHop6;
  }

  /** {@return the hold time in seconds, 0 (no keepalives) or 3..65535} */
  public int holdSeconds() {
    return holdSeconds;
  }

  /** {@return the keepalive interval in seconds: a third of the hold time (RFC 4271 §10), 0 without} */
  public int keepaliveSeconds() {
    return holdSeconds == 0 ? 0 : Math.max(1, holdSeconds / 3);
  }

  /** {@return whether BFD runs on the sessions} */
  public boolean bfd() {
    return !bfdInterval.isZero();
  }

  /** {@return the BFD transmit and receive interval, zero without BFD} */
  public Duration bfdInterval() {
    return bfdInterval;
  }

  /** {@return the BFD detection multiplier (missed packets before the session is declared down)} */
  public int bfdMultiplier() {
    return bfdMultiplier;
  }

  /**
   * Returns the time a peer needs to notice that this speaker went silent: the BFD detection time
   * (interval times multiplier) with BFD, else the hold time.
   *
   * @return the detection time, zero when neither BFD nor a hold time is set
   */
  public Duration detectionTime() {
    return bfd() ? bfdInterval.multipliedBy(bfdMultiplier) : Duration.ofSeconds(holdSeconds);
  }

  /** {@return the directory for the speaker's configuration, sockets and log, or null for a new temporary one} */
  public @Nullable Path directory() {
    return directory;
  }

  /** {@return the speaker's executable, or null to find {@code bird} or {@code gobgpd} on the PATH} */
  public @Nullable Path executable() {
    return executable;
  }

  /** {@return whether some VIP is IPv4} */
  boolean hasIpv4Vips() {
    return vips.stream().anyMatch(v -> v instanceof Inet4Address);
  }

  /** {@return whether some VIP is IPv6} */
  boolean hasIpv6Vips() {
    return vips.stream().anyMatch(v -> v instanceof Inet6Address);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("bgp ").append(speaker.label()).append(" as ").append(localAsn)
        .append(" id ").append(routerId.getHostAddress());
    for (Peer p : peers) {
      sb.append(" peer ").append(p.address().getHostAddress()).append(" as ").append(p.asn());
    }
    for (InetAddress v : vips) {
      sb.append(" vip ").append(v.getHostAddress());
    }
    sb.append(" hold ").append(holdSeconds).append("s");
    if (bfd()) {
      sb.append(" bfd ").append(bfdInterval.toMillis()).append("ms x").append(bfdMultiplier);
    }
    return sb.toString();
  }

  static void checkAsn(String what, long asn) {
    if (asn < 1 || asn > 4_294_967_294L || asn == 23_456 || asn == 65_535) {
      throw new IllegalArgumentException(what + " must be in 1..4294967294 and not 23456 (AS_TRANS, RFC 6793) nor 65535"
          + " (reserved, RFC 7300), was " + asn);
    }
  }

  /** Collects a configuration; one thread. */
  public static final class Builder {
    private final Speaker speaker;
    private final long localAsn;
    private @Nullable Inet4Address routerId;
    private @Nullable InetAddress localAddress;
    private final List<Peer> peers = new ArrayList<>();
    private final Set<InetAddress> vips = new LinkedHashSet<>();
    private @Nullable Inet4Address nextHop4;
    private @Nullable Inet6Address nextHop6;
    private int holdSeconds = 9;
    private Duration bfdInterval = Duration.ZERO;
    private int bfdMultiplier = 3;
    private @Nullable Path directory;
    private @Nullable Path executable;

    private Builder(Speaker speaker, long localAsn) {
      this.speaker = Objects.requireNonNull(speaker, "speaker");
      this.localAsn = localAsn;
    }

    /**
     * Sets the BGP identifier; by default the local address when it is IPv4.
     *
     * @param id an IPv4 address, unique among the routers' neighbours
     * @return this builder
     */
    public Builder routerId(InetAddress id) {
      if (!(id instanceof Inet4Address v4)) {
        throw new IllegalArgumentException("BGP router id must be an IPv4 address (RFC 6286: four octets), was " + id.getHostAddress());
      }
      this.routerId = v4;
      return this;
    }

    /**
     * Sets the source address of the sessions (the balancer's address on the peers' link).
     *
     * @param address the address
     * @return this builder
     */
    public Builder localAddress(InetAddress address) {
      this.localAddress = Objects.requireNonNull(address);
      return this;
    }

    /**
     * Adds a peer.
     *
     * @param address the router's address on a shared link
     * @param asn its autonomous system number
     * @return this builder
     */
    public Builder peer(InetAddress address, long asn) {
      peers.add(new Peer(address, asn));
      return this;
    }

    /**
     * Adds a VIP, announced as a host route.
     *
     * @param vip the address
     * @return this builder
     */
    public Builder vip(InetAddress vip) {
      vips.add(Objects.requireNonNull(vip));
      return this;
    }

    /**
     * Sets the next hop announced with the VIPs of its family, instead of the session's own
     * address (for example the address of the balancer's other interface that receives the
     * traffic). GoBGP replaces it with its own address on eBGP sessions, as RFC 4271 §5.1.3 lets a
     * speaker do.
     *
     * @param nextHop an IPv4 or IPv6 address
     * @return this builder
     */
    public Builder nextHop(InetAddress nextHop) {
      if (nextHop instanceof Inet4Address v4) {
        this.nextHop4 = v4;
      } else {
        this.nextHop6 = (Inet6Address) nextHop;
      }
      return this;
    }

    /**
     * Sets the hold time (default 9 s; keepalives every third of it).
     *
     * @param hold zero, or 3 to 65535 whole seconds
     * @return this builder
     */
    public Builder holdTime(Duration hold) {
      long s = hold.getSeconds();
      if (hold.getNano() != 0 || (s != 0 && (s < 3 || s > MAX_HOLD_SECONDS))) {
        throw new IllegalArgumentException("BGP hold time must be 0 or 3..65535 whole seconds (RFC 4271 §4.2), was " + hold);
      }
      this.holdSeconds = (int) s;
      return this;
    }

    /**
     * Runs BFD on every session (BIRD only), so that a peer withdraws this balancer's routes within
     * {@code interval * multiplier} when it goes silent, instead of the hold time.
     *
     * @param interval the desired transmit and required receive interval, 10 ms to 10 s
     * @param multiplier the detection multiplier, 1 to 255
     * @return this builder
     */
    public Builder bfd(Duration interval, int multiplier) {
      if (interval.compareTo(Duration.ofMillis(10)) < 0 || interval.compareTo(Duration.ofSeconds(10)) > 0
          || interval.toNanos() % 1_000_000 != 0) {
        throw new IllegalArgumentException("BFD interval must be 10 ms..10 s in whole milliseconds, was " + interval);
      }
      if (multiplier < 1 || multiplier > 255) {
        throw new IllegalArgumentException("BFD multiplier must be in 1..255 (RFC 5880 §4.1), was " + multiplier);
      }
      this.bfdInterval = interval;
      this.bfdMultiplier = multiplier;
      return this;
    }

    /**
     * Sets the directory for the speaker's configuration, control socket and log.
     *
     * @param dir a directory (created when missing)
     * @return this builder
     */
    public Builder directory(Path dir) {
      this.directory = dir;
      return this;
    }

    /**
     * Sets the speaker's executable instead of finding it on the PATH.
     *
     * @param path {@code bird} or {@code gobgpd}
     * @return this builder
     */
    public Builder executable(Path path) {
      this.executable = path;
      return this;
    }

    /**
     * Checks and builds.
     *
     * @return the configuration
     * @throws IllegalArgumentException naming what is missing or wrong
     */
    public BgpConfig build() {
      checkAsn("BGP local AS", localAsn);
      if (peers.isEmpty()) {
        throw new IllegalArgumentException("BGP needs at least one peer");
      }
      if (vips.isEmpty()) {
        throw new IllegalArgumentException("BGP needs at least one VIP to announce");
      }
      Set<InetAddress> seen = new LinkedHashSet<>();
      for (Peer p : peers) {
        if (!seen.add(p.address())) {
          throw new IllegalArgumentException("BGP peer " + p.address().getHostAddress() + " is given twice");
        }
      }
      if (routerId == null) {
        if (localAddress instanceof Inet4Address v4) {
          routerId = v4;
        } else {
          throw new IllegalArgumentException("BGP needs a router id (an IPv4 address) when the local address is not IPv4");
        }
      }
      if (speaker == Speaker.GOBGP && !bfdInterval.isZero()) {
        throw new IllegalArgumentException("BFD needs the bird speaker: GoBGP has no BFD");
      }
      if (localAddress != null) {
        for (Peer p : peers) {
          if ((p.address() instanceof Inet4Address) != (localAddress instanceof Inet4Address)) {
            throw new IllegalArgumentException("BGP peer " + p.address().getHostAddress() + " and local address "
                + localAddress.getHostAddress() + " are of different families");
          }
        }
      }
      for (InetAddress v : vips) {
        boolean v4 = v instanceof Inet4Address;
        boolean sameFamilyPeer = peers.stream().anyMatch(p -> (p.address() instanceof Inet4Address) == v4);
        boolean nextHop = v4 ? nextHop4 != null : nextHop6 != null;
        if (!sameFamilyPeer && !nextHop) {
          throw new IllegalArgumentException("VIP " + v.getHostAddress() + " needs a peer of its family or a next hop of its family"
              + " (the session's own address cannot be its next hop)");
        }
        if (v.isAnyLocalAddress() || v.isLoopbackAddress() || v.isMulticastAddress()) {
          throw new IllegalArgumentException("VIP " + v.getHostAddress() + " cannot be announced (unspecified, loopback or multicast)");
        }
      }
      return new BgpConfig(this);
    }
  }
}
