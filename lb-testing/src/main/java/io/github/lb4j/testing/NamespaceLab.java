package io.github.lb4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Two network namespaces joined by a veth pair: a "client" side (192.0.2.1/24, 2001:db8::1/64) and
 * a "server" side (192.0.2.2/24, 2001:db8::2/64), loopback up on both. Names carry a random part
 * drawn per lab, so that labs of concurrent runs on one machine never collide. {@link #close()}
 * deletes both namespaces (and with them the veth pair) and is safe after a failed set-up.
 *
 * <p>{@link #create} requires {@link Capability#NET_ADMIN}, {@link Capability#SYS_ADMIN} and the
 * {@code ip} command through {@link Requirements} (skip, or fail when {@code
 * LB_REQUIRE_PRIVILEGED=1}). The IPv6 addresses exist only on a kernel with IPv6 ({@link #ipv6});
 * tests of IPv6 call {@link Requirements#requireIpv6}. One thread at a time; every method blocks on
 * {@code ip}.
 */
public final class NamespaceLab implements AutoCloseable {

  private static final SecureRandom RANDOM = new SecureRandom();

  /** The client namespace's name. */
  public final String client;
  /** The server namespace's name. */
  public final String server;
  /** The client end of the veth pair (in {@link #client}). */
  public final String clientIf;
  /** The server end of the veth pair (in {@link #server}). */
  public final String serverIf;
  /** Whether the kernel has IPv6, so that the {@code 2001:db8::} addresses exist. */
  public final boolean ipv6 = Requirements.hostHasIpv6();
  private final List<String> created = new ArrayList<>();

  private NamespaceLab(String tag) {
    String id = tag + uniqueSuffix(6);
    this.client = "lbc-" + id;
    this.server = "lbs-" + id;
    this.clientIf = truncate("c" + id, 15);
    this.serverIf = truncate("s" + id, 15);
  }

  /**
   * Returns random lowercase letters and digits, for names of namespaces, interfaces and files that
   * concurrent runs must not share.
   *
   * @param length 1 to 12
   * @return the suffix
   */
  public static String uniqueSuffix(int length) {
    if (length < 1 || length > 12) {
      throw new IllegalArgumentException("length must be in 1..12, was " + length);
    }
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append(Character.forDigit(RANDOM.nextInt(36), 36));
    }
    return sb.toString();
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  /**
   * Creates the lab, with {@code extraServerAddresses} (CIDR, for example {@code 192.0.2.3/24}) on
   * the server's end as well (IPv6 ones only when the kernel has IPv6).
   *
   * @param tag a short word naming the test, at most 4 characters, part of every name
   * @param extraServerAddresses more addresses for the server side
   * @return the lab, to close
   */
  public static NamespaceLab create(String tag, String... extraServerAddresses) {
    if (tag.length() > 4) {
      throw new IllegalArgumentException("tag must have at most 4 characters (interface names have 15), was '" + tag + "'");
    }
    Requirements.requireCapabilities("a namespace lab", Capability.NET_ADMIN, Capability.SYS_ADMIN);
    Requirements.requireCommands("a namespace lab", "ip");
    NamespaceLab lab = new NamespaceLab(tag);
    try {
      lab.setUp(extraServerAddresses);
      return lab;
    } catch (RuntimeException e) {
      lab.close();
      throw e;
    }
  }

  private void setUp(String... extra) {
    Shell.run("ip", "netns", "add", client);
    created.add(client);
    Shell.run("ip", "netns", "add", server);
    created.add(server);
    Shell.run("ip", "-n", client, "link", "add", clientIf, "type", "veth", "peer", "name", serverIf, "netns", server);
    Shell.run("ip", "-n", client, "link", "set", "lo", "up");
    Shell.run("ip", "-n", server, "link", "set", "lo", "up");
    Shell.run("ip", "-n", client, "addr", "add", "192.0.2.1/24", "dev", clientIf);
    Shell.run("ip", "-n", server, "addr", "add", "192.0.2.2/24", "dev", serverIf);
    if (ipv6) {
      Shell.run("ip", "-n", client, "-6", "addr", "add", "2001:db8::1/64", "dev", clientIf, "nodad");
      Shell.run("ip", "-n", server, "-6", "addr", "add", "2001:db8::2/64", "dev", serverIf, "nodad");
    }
    for (String a : extra) {
      if (a.contains(":") && !ipv6) {
        continue;
      }
      Shell.run("ip", "-n", server, "addr", "add", a, "dev", serverIf, "nodad");
    }
    Shell.run("ip", "-n", client, "link", "set", clientIf, "up");
    Shell.run("ip", "-n", server, "link", "set", serverIf, "up");
  }

  /**
   * Runs a command inside one namespace of the lab.
   *
   * @param namespace {@link #client} or {@link #server}
   * @param command the program and its arguments
   * @return its output
   * @throws IllegalStateException when it exits non-zero
   */
  public String exec(String namespace, String... command) {
    String[] full = new String[command.length + 4];
    full[0] = "ip";
    full[1] = "netns";
    full[2] = "exec";
    full[3] = namespace;
    System.arraycopy(command, 0, full, 4, command.length);
    return Shell.run(full);
  }

  /**
   * Applies an nftables script inside one namespace (requires {@code nft}).
   *
   * @param namespace {@link #client} or {@link #server}
   * @param script the ruleset, as {@code nft -f} reads it
   */
  public void nft(String namespace, String script) {
    Requirements.requireCommands("an nftables rule", "nft");
    try {
      Path file = Files.createTempFile("lb4j-nft", ".nft");
      try {
        Files.writeString(file, script);
        exec(namespace, "nft", "-f", file.toString());
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    for (String ns : created) {
      Shell.attempt("ip", "netns", "del", ns);
    }
    created.clear();
  }
}
