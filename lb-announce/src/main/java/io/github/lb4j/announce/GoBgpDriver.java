package io.github.lb4j.announce;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * GoBGP as the speaker: {@code gobgpd} with a TOML configuration of the peers and its gRPC API on a
 * Unix socket of the announcer's directory (so instances never compete for a TCP port); the VIPs
 * are added to and deleted from its global RIB with the {@code gobgp} command ({@code global rib
 * add -a ipv4 192.0.2.100/32}), which it then advertises or withdraws to every peer. GoBGP has no
 * BFD; a silent balancer is withdrawn after the hold time.
 */
final class GoBgpDriver implements SpeakerDriver {

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

  private final BgpConfig config;
  private @Nullable Path socket;
  private @Nullable Path cli;

  GoBgpDriver(BgpConfig config) {
    this.config = config;
  }

  @Override
  public String name() {
    return "gobgp";
  }

  @Override
  public List<String> prepare(Path directory) throws IOException {
    Path daemon = Executables.require(config.executable(), "gobgpd", "gobgpd");
    Path sibling = daemon.resolveSibling("gobgp");
    this.cli = Files.isExecutable(sibling) ? sibling : Executables.require(null, "gobgp", "gobgpd");
    Path conf = directory.resolve("gobgpd.toml");
    Path sock = directory.resolve("gobgp.sock");
    Files.deleteIfExists(sock);
    Files.writeString(conf, configuration(config));
    this.socket = sock;
    return List.of(daemon.toString(), "-f", conf.toString(), "-t", "toml", "--api-hosts", "unix://" + sock,
        "--pprof-disable", "-p");
  }

  /** gobgpd's configuration for {@code c}: global settings and the peers, no routes. */
  static String configuration(BgpConfig c) {
    StringBuilder sb = new StringBuilder();
    sb.append("# Written by lb4j's VipAnnouncer; rewritten at every start.\n");
    sb.append("[global.config]\n  as = ").append(c.localAsn()).append("\n  router-id = \"").append(c.routerId().getHostAddress())
        .append("\"\n  # no listening socket: the balancer only connects to its routers\n  port = -1\n");
    InetAddress local = c.localAddress();
    for (BgpConfig.Peer p : c.peers()) {
      sb.append("\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"").append(p.address().getHostAddress())
          .append("\"\n    peer-as = ").append(p.asn()).append('\n');
      sb.append("  [neighbors.timers.config]\n    connect-retry = 2\n    hold-time = ").append(c.holdSeconds())
          .append("\n    keepalive-interval = ").append(c.keepaliveSeconds()).append('\n');
      if (local != null) {
        sb.append("  [neighbors.transport.config]\n    local-address = \"").append(local.getHostAddress()).append("\"\n");
      }
      if (c.hasIpv4Vips()) {
        sb.append("  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"ipv4-unicast\"\n");
      }
      if (c.hasIpv6Vips()) {
        sb.append("  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"ipv6-unicast\"\n");
      }
    }
    return sb.toString();
  }

  @Override
  public void connect(Process process, Duration timeout) throws IOException {
    Path sock = socket;
    if (sock == null) {
      throw new IllegalStateException("prepare first");
    }
    Executables.awaitFile(sock, process, timeout, "gobgpd");
    gobgp("global");
  }

  @Override
  public void announce(boolean on) throws IOException {
    for (InetAddress v : config.vips()) {
      boolean v4 = v instanceof Inet4Address;
      List<String> args = new ArrayList<>(List.of("global", "rib", on ? "add" : "del", "-a", v4 ? "ipv4" : "ipv6",
          v.getHostAddress() + (v4 ? "/32" : "/128")));
      InetAddress nextHop = v4 ? config.nextHop4() : config.nextHop6();
      if (on && nextHop != null) {
        args.add("nexthop");
        args.add(nextHop.getHostAddress());
      }
      gobgp(args.toArray(String[]::new));
    }
  }

  @Override
  public int established() throws IOException {
    int up = 0;
    // Columns: Peer AS Up/Down State |#Received Accepted; the state reads "Establ".
    for (String line : gobgp("neighbor").split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[3].startsWith("Establ")) {
        up++;
      }
    }
    return up;
  }

  private String gobgp(String... args) throws IOException {
    Path c = cli;
    Path s = socket;
    if (c == null || s == null) {
      throw new IllegalStateException("prepare first");
    }
    List<String> cmd = new ArrayList<>(List.of(c.toString(), "--target", "unix://" + s));
    cmd.addAll(List.of(args));
    return Executables.run(cmd, COMMAND_TIMEOUT);
  }

  @Override
  public void disconnect() {
    // every command is its own process
  }
}
