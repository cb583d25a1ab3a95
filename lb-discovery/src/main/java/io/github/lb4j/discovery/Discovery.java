package io.github.lb4j.discovery;

import io.github.lb4j.pool.MembershipSource;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Membership sources named by one string, as a command line or a configuration file gives them:
 *
 * <table>
 *   <caption>Source specifications</caption>
 *   <tr><th>spec</th><th>source</th></tr>
 *   <tr><td>{@code srv:_http._tcp.example.test} (or {@code dns-srv:...})</td><td>{@link
 *       DnsMembership#srv(String)}</td></tr>
 *   <tr><td>{@code dns:web.example.test:8080}</td><td>{@link DnsMembership#addresses(String, int)}</td></tr>
 *   <tr><td>{@code file:/etc/lb/backends.txt}</td><td>{@link FileMembership#watch(Path)}</td></tr>
 * </table>
 *
 * <p>DNS sources use the system's resolvers, or the servers given, and the default refresh bounds
 * (the TTL, clamped to 5 s .. 5 min). Stateless; any thread;
 * {@code file:} reads the file (blocks for it), the others do nothing until a pool starts them.
 */
public final class Discovery {

  private Discovery() {}

  /**
   * Builds the source a spec names.
   *
   * @param spec the specification, as in the table above
   * @return the source, not started
   * @throws IllegalArgumentException naming the spec and what is expected when it is malformed, or
   *     naming the file and line when a {@code file:} source is bad
   * @throws java.io.UncheckedIOException when a {@code file:} source cannot be read
   */
  public static MembershipSource parse(String spec) {
    return parse(spec, List.of());
  }

  /**
   * Builds the source a spec names, its DNS queries sent to these servers.
   *
   * @param spec the specification, as in the table above
   * @param dnsServers the DNS servers to ask, tried in turn; empty for the system's ({@code
   *     /etc/resolv.conf}); ignored by {@code file:}
   * @return the source, not started
   * @throws IllegalArgumentException naming the spec and what is expected when it is malformed, or
   *     naming the file and line when a {@code file:} source is bad
   * @throws java.io.UncheckedIOException when a {@code file:} source cannot be read
   */
  public static MembershipSource parse(String spec, List<InetSocketAddress> dnsServers) {
    Objects.requireNonNull(spec, "spec");
    try {
      return parseSpec(spec, dnsServers);
    } catch (IllegalArgumentException e) {
      String m = String.valueOf(e.getMessage());
      // File errors name the file and line already; the others get the spec they are about.
      throw m.startsWith("discovery source '") || spec.regionMatches(true, 0, "file:", 0, 5) ? e
          : new IllegalArgumentException("discovery source '" + spec + "': " + m, e);
    }
  }

  private static MembershipSource parseSpec(String spec, List<InetSocketAddress> dnsServers) {
    int colon = spec.indexOf(':');
    String kind = colon < 0 ? "" : spec.substring(0, colon).toLowerCase(Locale.ROOT);
    String rest = colon < 0 ? "" : spec.substring(colon + 1);
    switch (kind) {
      case "dns-srv", "srv" -> {
        require(!rest.isEmpty(), spec, "a service name after '" + kind + ":'");
        return withServers(DnsMembership.srv(rest), dnsServers).build();
      }
      case "dns" -> {
        int p = rest.lastIndexOf(':');
        require(p > 0 && p < rest.length() - 1, spec, "dns:NAME:PORT");
        int port;
        try {
          port = Integer.parseInt(rest.substring(p + 1));
        } catch (NumberFormatException e) {
          throw bad(spec, "dns:NAME:PORT with a numeric port");
        }
        return withServers(DnsMembership.addresses(rest.substring(0, p), port), dnsServers).build();
      }
      case "file" -> {
        require(!rest.isEmpty(), spec, "a path after 'file:'");
        return FileMembership.watch(Path.of(rest));
      }
      default -> throw bad(spec, "srv:NAME (or dns-srv:NAME), dns:NAME:PORT or file:PATH");
    }
  }

  private static DnsMembership.Builder withServers(DnsMembership.Builder b, List<InetSocketAddress> servers) {
    servers.forEach(b::server);
    return b;
  }

  private static void require(boolean ok, String spec, String expected) {
    if (!ok) {
      throw bad(spec, expected);
    }
  }

  private static IllegalArgumentException bad(String spec, String expected) {
    return new IllegalArgumentException("discovery source '" + spec + "': expected " + expected);
  }
}
