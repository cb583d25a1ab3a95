package io.github.lb4j.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one rule for tests that need something this machine may lack (a capability, a tool, IPv6):
 * when it is missing, the test is skipped with the reason printed on standard output, or it
 * <b>fails</b> instead when the environment variable {@code LB_REQUIRE_PRIVILEGED} is {@code 1}
 * (set by {@code .ci/run}), so that CI never passes by skipping.
 *
 * <pre>{@code
 * @Test
 * void capturesTheHandshake() {
 *   Requirements.requireCapabilities("the wire proof", Capability.NET_RAW);
 *   Path tcpdump = Requirements.requireCommand("the wire proof", "tcpdump");
 *   ...
 * }
 * }</pre>
 *
 * <p>The annotation {@link Privileged} states the same requirements declaratively. Stateless; any
 * thread; reads {@code /proc} and the {@code PATH}, never blocks on the network.
 */
public final class Requirements {

  /** The environment variable that turns skips into failures when it is {@code 1}. */
  public static final String STRICT_VARIABLE = "LB_REQUIRE_PRIVILEGED";

  /** Debian packages of the tools lb4j's tests use, named in the reason when one is missing. */
  private static final Map<String, String> PACKAGES = Map.ofEntries(
      Map.entry("ip", "iproute2"), Map.entry("nft", "nftables"), Map.entry("tcpdump", "tcpdump"),
      Map.entry("tshark", "tshark"), Map.entry("ethtool", "ethtool"), Map.entry("sysctl", "procps"),
      Map.entry("fping", "fping"), Map.entry("curl", "curl"), Map.entry("prlimit", "util-linux"),
      Map.entry("haproxy", "haproxy"), Map.entry("wrk", "wrk"),
      Map.entry("bird", "bird2"), Map.entry("birdc", "bird2"), Map.entry("gobgpd", "gobgpd"), Map.entry("gobgp", "gobgpd"),
      Map.entry("vtysh", "frr"), Map.entry("keepalived", "keepalived"), Map.entry("setpriv", "util-linux"),
      Map.entry("dnsmasq", "dnsmasq-base"));

  private Requirements() {}

  /**
   * Tells whether skipping is forbidden: {@code LB_REQUIRE_PRIVILEGED=1}.
   *
   * @return whether a missing requirement fails the test
   */
  public static boolean strict() {
    return "1".equals(System.getenv(STRICT_VARIABLE));
  }

  /**
   * Skips the calling test, printing the reason, unless {@code condition} holds; fails it instead
   * when {@link #strict()}.
   *
   * @param condition what the test needs, evaluated
   * @param reason why the test cannot run when it does not hold, for example {@code "the wire proof
   *     needs tcpdump"}
   */
  public static void require(boolean condition, String reason) {
    if (!condition) {
      unavailable(reason);
    }
  }

  /**
   * Skips the calling test with a printed reason, or fails it when {@link #strict()}. Never returns
   * normally.
   *
   * @param reason why the test cannot run here
   */
  public static void unavailable(String reason) {
    unavailable(reason, strict());
  }

  static void unavailable(String reason, boolean strict) {
    if (strict) {
      Assertions.fail(reason + " (" + STRICT_VARIABLE + "=1 forbids skipping)");
    }
    System.out.println("SKIPPED: " + reason);
    Assumptions.abort(reason);
  }

  /**
   * Requires every capability in the effective set of this process.
   *
   * @param what what needs them, named in the reason
   * @param capabilities the capabilities
   */
  public static void requireCapabilities(String what, Capability... capabilities) {
    for (Capability c : capabilities) {
      require(hasCapability(c), what + " needs " + c.kernelName() + " (run as root, or grant it)");
    }
  }

  /**
   * Requires every command on the {@code PATH} (or in {@code /usr/sbin}, {@code /sbin}).
   *
   * @param what what needs them, named in the reason
   * @param commands the executables' names
   */
  public static void requireCommands(String what, String... commands) {
    for (String c : commands) {
      requireCommand(what, c);
    }
  }

  /**
   * Requires one command and returns where it is.
   *
   * @param what what needs it, named in the reason
   * @param command the executable's name
   * @return its path
   */
  public static Path requireCommand(String what, String command) {
    Optional<Path> p = findCommand(command);
    if (p.isEmpty()) {
      unavailable(what + " needs '" + command + "' (apt-get install -y " + PACKAGES.getOrDefault(command, command) + ")");
    }
    return p.orElseThrow();
  }

  /**
   * Requires a kernel with IPv6, so that the {@code 2001:db8::} and {@code ::1} addresses of a test
   * can exist. A kernel without it fails the test too when {@link #strict()}: CI must exercise both
   * families.
   *
   * @param what what needs it, named in the reason
   */
  public static void requireIpv6(String what) {
    require(hostHasIpv6(), what + " needs IPv6, which this kernel lacks (/proc/net/if_inet6 is missing)");
  }

  /**
   * Tells whether the effective capability set of this process holds {@code capability}.
   *
   * @param capability the capability
   * @return whether it is held; false when {@code /proc/self/status} cannot be read
   */
  public static boolean hasCapability(Capability capability) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("CapEff:")) {
          long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
          return (caps & (1L << capability.number())) != 0;
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return false;
  }

  /**
   * Finds an executable on the {@code PATH}, then in {@code /usr/sbin} and {@code /sbin} (which a
   * non-root {@code PATH} often lacks).
   *
   * @param command the executable's name
   * @return its path, or empty
   */
  public static Optional<Path> findCommand(String command) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
    dirs.add("/usr/sbin");
    dirs.add("/sbin");
    for (String d : dirs) {
      if (!d.isEmpty()) {
        Path p = Path.of(d, command);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Tells whether the kernel has IPv6.
   *
   * @return whether {@code /proc/net/if_inet6} exists
   */
  public static boolean hostHasIpv6() {
    return Files.exists(Path.of("/proc/net/if_inet6"));
  }
}
