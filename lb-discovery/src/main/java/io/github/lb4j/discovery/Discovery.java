package io.github.lb4j.discovery;

import io.github.lb4j.pool.MembershipSource;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Membership sources named by one string, as a command line or a configuration file gives them:
 *
 * <table>
 *   <caption>Source specifications</caption>
 *   <tr><th>spec</th><th>source</th></tr>
 *   <tr><td>{@code dns-srv:_http._tcp.example.test} (or {@code srv:...})</td><td>{@link
 *       DnsMembership#srv(String)}</td></tr>
 *   <tr><td>{@code dns:web.example.test:8080}</td><td>{@link DnsMembership#addresses(String, int)}</td></tr>
 *   <tr><td>{@code file:/etc/lb/backends.txt}</td><td>{@link FileMembership#watch(Path)}</td></tr>
 * </table>
 *
 * <p>DNS sources use the system's resolvers and the default refresh bounds. Stateless; any thread;
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
    Objects.requireNonNull(spec, "spec");
    int colon = spec.indexOf(':');
    String kind = colon < 0 ? "" : spec.substring(0, colon).toLowerCase(Locale.ROOT);
    String rest = colon < 0 ? "" : spec.substring(colon + 1);
    switch (kind) {
      case "dns-srv", "srv" -> {
        require(!rest.isEmpty(), spec, "a service name after '" + kind + ":'");
        return DnsMembership.srv(rest).build();
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
        return DnsMembership.addresses(rest.substring(0, p), port).build();
      }
      case "file" -> {
        require(!rest.isEmpty(), spec, "a path after 'file:'");
        return FileMembership.watch(Path.of(rest));
      }
      default -> throw bad(spec, "dns-srv:NAME, dns:NAME:PORT or file:PATH");
    }
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
