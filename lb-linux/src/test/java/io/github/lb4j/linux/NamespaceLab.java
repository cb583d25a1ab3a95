package io.github.lb4j.linux;

import java.util.ArrayList;
import java.util.List;

/**
 * Two network namespaces joined by a veth pair, named uniquely for this process: a "client" side
 * and a "server" side, with addresses from 192.0.2.0/24 and 2001:db8::/64 only. {@link #close()}
 * deletes both namespaces (which deletes the veth pair) and is safe to call after a failed setup.
 */
public final class NamespaceLab implements AutoCloseable {

  /** The client namespace's name. */
  public final String client;
  /** The server namespace's name. */
  public final String server;
  /** The client end of the veth pair. */
  public final String clientIf;
  /** The server end of the veth pair. */
  public final String serverIf;
  /** Whether the kernel has IPv6, so that the 2001:db8:: addresses exist. */
  public final boolean ipv6 = hostHasIpv6();
  private final List<String> created = new ArrayList<>();

  private NamespaceLab(String tag) {
    String id = tag + Long.toString(ProcessHandle.current().pid() % 100000, 36);
    this.client = "lbc-" + id;
    this.server = "lbs-" + id;
    this.clientIf = ("c" + id).substring(0, Math.min(15, id.length() + 1));
    this.serverIf = ("s" + id).substring(0, Math.min(15, id.length() + 1));
  }

  /**
   * Creates the lab: client 192.0.2.1/24 and 2001:db8::1/64, server 192.0.2.2/24 and 2001:db8::2/64
   * plus {@code extraServerAddresses}; loopback up on both sides.
   */
  public static NamespaceLab create(String tag, String... extraServerAddresses) {
    Privileged.assumeCapabilities("a namespace lab", Privileged.CAP_NET_ADMIN, Privileged.CAP_SYS_ADMIN);
    Privileged.assumeCommands("a namespace lab", "ip");
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
    Privileged.runQuietly("ip", "netns", "del", client);
    Privileged.runQuietly("ip", "netns", "del", server);
    Privileged.run("ip", "netns", "add", client);
    created.add(client);
    Privileged.run("ip", "netns", "add", server);
    created.add(server);
    Privileged.run("ip", "-n", client, "link", "add", clientIf, "type", "veth", "peer", "name", serverIf, "netns", server);
    Privileged.run("ip", "-n", client, "link", "set", "lo", "up");
    Privileged.run("ip", "-n", server, "link", "set", "lo", "up");
    Privileged.run("ip", "-n", client, "addr", "add", "192.0.2.1/24", "dev", clientIf);
    Privileged.run("ip", "-n", server, "addr", "add", "192.0.2.2/24", "dev", serverIf);
    if (ipv6) {
      Privileged.run("ip", "-n", client, "-6", "addr", "add", "2001:db8::1/64", "dev", clientIf, "nodad");
      Privileged.run("ip", "-n", server, "-6", "addr", "add", "2001:db8::2/64", "dev", serverIf, "nodad");
    }
    for (String a : extra) {
      if (a.contains(":") && !ipv6) {
        continue;
      }
      Privileged.run("ip", "-n", server, "addr", "add", a, "dev", serverIf, "nodad");
    }
    Privileged.run("ip", "-n", client, "link", "set", clientIf, "up");
    Privileged.run("ip", "-n", server, "link", "set", serverIf, "up");
  }

  /** Tells whether the kernel has IPv6 at all (not a privilege: tests without it skip even in CI). */
  public static boolean hostHasIpv6() {
    return java.nio.file.Files.exists(java.nio.file.Path.of("/proc/net/if_inet6"));
  }

  /**
   * Skips the calling test, with a printed reason, when the kernel has no IPv6; fails it instead
   * when {@code LB_REQUIRE_PRIVILEGED=1}, where every lab test must run.
   */
  public static void assumeIpv6(String what) {
    Privileged.assume(hostHasIpv6(), what + " needs IPv6, which this kernel lacks");
  }

  /** Runs a command inside a namespace of the lab. */
  public String exec(String namespace, String... command) {
    String[] full = new String[command.length + 4];
    full[0] = "ip";
    full[1] = "netns";
    full[2] = "exec";
    full[3] = namespace;
    System.arraycopy(command, 0, full, 4, command.length);
    return Privileged.run(full);
  }

  /** Applies an nftables script inside a namespace. */
  public void nft(String namespace, String script) {
    Privileged.assumeCommands("an nftables rule", "nft");
    try {
      java.nio.file.Path file = java.nio.file.Files.createTempFile("lb4j-nft", ".nft");
      try {
        java.nio.file.Files.writeString(file, script);
        exec(namespace, "nft", "-f", file.toString());
      } finally {
        java.nio.file.Files.deleteIfExists(file);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    for (String ns : created) {
      Privileged.runQuietly("ip", "netns", "del", ns);
    }
    created.clear();
  }
}
