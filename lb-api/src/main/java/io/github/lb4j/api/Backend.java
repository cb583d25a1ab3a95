package io.github.lb4j.api;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A real server behind a virtual IP (seed S1.2): an identifier, an address and port, a weight, and
 * for the L2 forwarding modes optionally its MAC address.
 *
 * <p><b>Metadata.</b> A backend may also carry where it runs and how it is grouped, for the
 * features that choose among groups of backends (priority failover, subsets, zone-aware routing):
 * a <em>zone</em> (Envoy's locality zone, Kubernetes' {@code topology.kubernetes.io/zone}; none by
 * default), a <em>priority</em> (Envoy's priority levels: 0, the default, is the highest and serves
 * first) and <em>labels</em> (string pairs such as {@code canary=true}, Envoy's endpoint metadata;
 * none by default). Metadata is validated when set and never changes the identity of the backend.
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

  /** The lowest priority level accepted; 0 is the highest, the default. */
  public static final int MAX_PRIORITY = 127;

  /** The most labels one backend may carry. */
  public static final int MAX_LABELS = 64;

  /** The longest zone, label key or label value accepted, in characters. */
  public static final int MAX_METADATA_LENGTH = 256;

  private final String id;
  private final InetAddress address;
  private final int port;
  private final int weight;
  private final @Nullable MacAddress mac;
  private final @Nullable String zone;
  private final int priority;
  private final Map<String, String> labels;

  private Backend(String id, InetAddress address, int port, int weight, @Nullable MacAddress mac,
      @Nullable String zone, int priority, Map<String, String> labels) {
    this.id = id;
    this.address = address;
    this.port = port;
    this.weight = weight;
    this.mac = mac;
    this.zone = zone;
    this.priority = priority;
    this.labels = labels;
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
    return new Backend(checkId(id), Objects.requireNonNull(address, "address"), checkPort(port), DEFAULT_WEIGHT, null,
        null, 0, Map.of());
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
    return new Backend(id, address, port, weight, mac, zone, priority, labels);
  }

  /**
   * Returns a copy with a MAC address, needed by the L2 forwarding modes.
   *
   * @param mac the real server's MAC address, or {@code null} to clear it
   * @return the copy
   */
  public Backend withMac(@Nullable MacAddress mac) {
    return new Backend(id, address, port, weight, mac, zone, priority, labels);
  }

  /**
   * Returns a copy in another zone.
   *
   * @param zone the zone, for example {@code "eu-west-1a"}: 1 to {@link #MAX_METADATA_LENGTH}
   *     characters, not blank, no control characters; or {@code null} for none
   * @return the copy
   * @throws IllegalArgumentException naming the backend and the value when it is invalid
   */
  public Backend withZone(@Nullable String zone) {
    return new Backend(id, address, port, weight, mac, zone == null ? null : checkText("zone", zone, false),
        priority, labels);
  }

  /**
   * Returns a copy at another priority level.
   *
   * @param priority 0 (highest, the default) to {@link #MAX_PRIORITY}
   * @return the copy
   * @throws IllegalArgumentException naming the backend and the value when it is out of range
   */
  public Backend withPriority(int priority) {
    if (priority < 0 || priority > MAX_PRIORITY) {
      throw new IllegalArgumentException(
          "priority must be in 0.." + MAX_PRIORITY + " (0 is the highest), was " + priority + " for backend " + id);
    }
    return new Backend(id, address, port, weight, mac, zone, priority, labels);
  }

  /**
   * Returns a copy with these labels instead of the current ones.
   *
   * @param labels at most {@link #MAX_LABELS} pairs; keys 1 to {@link #MAX_METADATA_LENGTH}
   *     characters without white space or control characters, values up to {@link
   *     #MAX_METADATA_LENGTH} characters without control characters (empty allowed)
   * @return the copy, whose labels are an immutable copy sorted by key
   * @throws IllegalArgumentException naming the backend, the key and the value when one is invalid
   */
  public Backend withLabels(Map<String, String> labels) {
    Objects.requireNonNull(labels, "labels");
    if (labels.size() > MAX_LABELS) {
      throw new IllegalArgumentException(
          "a backend carries at most " + MAX_LABELS + " labels, was " + labels.size() + " for backend " + id);
    }
    TreeMap<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> e : labels.entrySet()) {
      String key = checkText("label key", Objects.requireNonNull(e.getKey(), "label key"), false);
      String value = Objects.requireNonNull(e.getValue(), () -> "value of label " + key);
      copy.put(key, checkText("value of label " + key, value, true));
    }
    return new Backend(id, address, port, weight, mac, zone, priority,
        copy.isEmpty() ? Map.of() : Collections.unmodifiableMap(copy));
  }

  /**
   * Returns a copy with one more label, or another value for an existing key.
   *
   * @param key the key, as for {@link #withLabels}
   * @param value the value, as for {@link #withLabels}
   * @return the copy
   * @throws IllegalArgumentException naming the backend, the key and the value when one is invalid
   */
  public Backend withLabel(String key, String value) {
    TreeMap<String, String> copy = new TreeMap<>(labels);
    copy.put(Objects.requireNonNull(key, "label key"), Objects.requireNonNull(value, "label value"));
    return withLabels(copy);
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
   * Returns the zone the backend runs in, or {@code null} when none was set.
   *
   * @return the zone, or {@code null}
   */
  public @Nullable String zone() {
    return zone;
  }

  /**
   * Returns the priority level: 0 is the highest and serves first; larger numbers are failover
   * levels.
   *
   * @return 0 to {@link #MAX_PRIORITY}
   */
  public int priority() {
    return priority;
  }

  /**
   * Returns the labels, sorted by key; empty when none was set. Immutable; does not allocate.
   *
   * @return the labels
   */
  public Map<String, String> labels() {
    return labels;
  }

  /**
   * Returns the value of one label.
   *
   * @param key the key
   * @return its value, or {@code null} when the backend has no such label
   */
  public @Nullable String label(String key) {
    return labels.get(key);
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

  /** Zone, label keys and values: bounded, no control characters; keys and zones not blank and without spaces. */
  private String checkText(String field, String text, boolean value) {
    if (text.length() > MAX_METADATA_LENGTH) {
      throw new IllegalArgumentException(field + " must be at most " + MAX_METADATA_LENGTH + " characters, was "
          + text.length() + " for backend " + id);
    }
    if (!value && text.isBlank()) {
      throw new IllegalArgumentException(field + " must not be blank, was '" + text + "' for backend " + id);
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) || (!value && Character.isWhitespace(c))) {
        throw new IllegalArgumentException(field + " must not contain " + (Character.isISOControl(c) ? "control characters" : "white space")
            + ", was '" + text.replaceAll("\\p{Cntrl}", "?") + "' for backend " + id);
      }
    }
    return text;
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
    return port == b.port && weight == b.weight && priority == b.priority && id.equals(b.id)
        && address.equals(b.address) && Objects.equals(mac, b.mac) && Objects.equals(zone, b.zone)
        && labels.equals(b.labels);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, address, port, weight, mac, zone, priority, labels);
  }

  @Override
  public String toString() {
    return id + "(" + Addresses.format(address, port) + " w=" + weight + (mac == null ? "" : " mac=" + mac)
        + (zone == null ? "" : " zone=" + zone) + (priority == 0 ? "" : " priority=" + priority)
        + (labels.isEmpty() ? "" : " labels=" + labels) + ")";
  }
}
