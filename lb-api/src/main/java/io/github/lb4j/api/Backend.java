package io.github.lb4j.api;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A real server behind a virtual IP (seed S1.2): an identifier, an address and port, a weight, and
 * for the L2 forwarding modes optionally its MAC address.
 *
 * <p>A weight of 0 means <em>drain</em> (IPVS "quiescent"): the backend receives no new flows, but
 * flows already assigned to it continue. Weights are bounded by {@link #MAX_WEIGHT}.
 *
 * <p>Backends are identified by {@link #id()}: per-backend live counters ({@link BackendLoad}) are
 * keyed by it and survive changes of weight or address. Two backends are equal when all their
 * fields are equal.
 *
 * <p>Immutable; any thread may use it. The factory and {@code with*} methods allocate; accessors do
 * not. Never blocks (no name resolution happens here).
 */
public final class Backend {

  /** The largest weight accepted, as in IPVS ({@code IP_VS_WEIGHT_MAX} is much larger) but bounded so that weight sums fit an {@code int} for 32,767 backends. */
  public static final int MAX_WEIGHT = 65_535;

  /** The weight given when none is set. */
  public static final int DEFAULT_WEIGHT = 1;

  private final String id;
  private final InetAddress address;
  private final int port;
  private final int weight;
  private final @Nullable MacAddress mac;

  private Backend(String id, InetAddress address, int port, int weight, @Nullable MacAddress mac) {
    this.id = id;
    this.address = address;
    this.port = port;
    this.weight = weight;
    this.mac = mac;
  }

  /**
   * Creates a backend with weight {@link #DEFAULT_WEIGHT} and no MAC address.
   *
   * @param id a non-blank identifier, unique within a pool (for example {@code "web-1"})
   * @param address the real server's IP address (RIP)
   * @param port the service port, 0..65535 (0 keeps the destination port of each flow, as IPVS DR does)
   * @return the backend
   * @throws IllegalArgumentException naming the field and value when one is invalid
   */
  public static Backend of(String id, InetAddress address, int port) {
    return new Backend(checkId(id), Objects.requireNonNull(address, "address"), checkPort(port), DEFAULT_WEIGHT, null);
  }

  /**
   * Creates a backend from a socket address, which must already be resolved.
   *
   * @param id a non-blank identifier
   * @param address a resolved socket address
   * @return the backend
   * @throws IllegalArgumentException when the address is unresolved or the id is blank
   */
  public static Backend of(String id, InetSocketAddress address) {
    if (address.isUnresolved()) {
      throw new IllegalArgumentException("address must be resolved, was " + address);
    }
    return of(id, address.getAddress(), address.getPort());
  }

  /**
   * Returns a copy with another weight.
   *
   * @param weight 0 (drain) to {@link #MAX_WEIGHT}
   * @return the copy
   * @throws IllegalArgumentException naming the value when it is out of range
   */
  public Backend withWeight(int weight) {
    if (weight < 0 || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException(
          "weight must be in 0.." + MAX_WEIGHT + " (0 drains), was " + weight + " for backend " + id);
    }
    return new Backend(id, address, port, weight, mac);
  }

  /**
   * Returns a copy with a MAC address, needed by the L2 forwarding modes.
   *
   * @param mac the real server's MAC address, or {@code null} to clear it
   * @return the copy
   */
  public Backend withMac(@Nullable MacAddress mac) {
    return new Backend(id, address, port, weight, mac);
  }

  /**
   * Returns the identifier.
   *
   * @return the identifier
   */
  public String id() {
    return id;
  }

  /**
   * Returns the real server's IP address.
   *
   * @return the real server's IP address
   */
  public InetAddress address() {
    return address;
  }

  /**
   * Returns the service port, 0..65535.
   *
   * @return the service port, 0..65535
   */
  public int port() {
    return port;
  }

  /**
   * Returns the weight, 0 meaning drain.
   *
   * @return the weight, 0 meaning drain
   */
  public int weight() {
    return weight;
  }

  /**
   * Returns {@code true} when the weight is 0: no new flows, existing ones continue.
   *
   * @return {@code true} when the weight is 0: no new flows, existing ones continue
   */
  public boolean isDraining() {
    return weight == 0;
  }

  /**
   * Returns the MAC address, or {@code null} when none was set.
   *
   * @return the MAC address, or {@code null} when none was set
   */
  public @Nullable MacAddress mac() {
    return mac;
  }

  /**
   * Returns the address and port as a socket address (allocates).
   *
   * @return the address and port as a socket address (allocates)
   */
  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(address, port);
  }

  private static String checkId(String id) {
    Objects.requireNonNull(id, "id");
    if (id.isBlank()) {
      throw new IllegalArgumentException("id must not be blank, was '" + id + "'");
    }
    return id;
  }

  private static int checkPort(int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be in 0..65535, was " + port);
    }
    return port;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Backend)) {
      return false;
    }
    Backend b = (Backend) o;
    return port == b.port && weight == b.weight && id.equals(b.id) && address.equals(b.address)
        && Objects.equals(mac, b.mac);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, address, port, weight, mac);
  }

  @Override
  public String toString() {
    return id + "(" + Addresses.format(address, port) + " w=" + weight + (mac == null ? "" : " mac=" + mac) + ")";
  }
}
