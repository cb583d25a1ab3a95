package io.github.lb4j.announce;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * BIRD 2 as the speaker. The VIPs are routes of two static protocols, {@code lb4j_vip4} and {@code
 * lb4j_vip6}, that start disabled; each peer is a BGP protocol {@code lb4j_peerN} exporting only
 * those routes (importing nothing: the balancer needs no routes from its routers). Announcing is
 * {@code enable lb4j_vip4}, withdrawing {@code disable lb4j_vip4}, on BIRD's control socket: the
 * routes leave the table and BIRD sends the withdrawal to every session. With BFD, a {@code bfd}
 * protocol runs single-hop sessions (RFC 5881) on which each BGP session depends.
 */
final class BirdDriver implements SpeakerDriver {

  private static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(3);

  private final BgpConfig config;
  private @Nullable Path socket;
  private @Nullable BirdControl control;

  BirdDriver(BgpConfig config) {
    this.config = config;
  }

  @Override
  public String name() {
    return "bird";
  }

  @Override
  public List<String> prepare(Path directory) throws IOException {
    Path bird = Executables.require(config.executable(), "bird", "bird2");
    Path conf = directory.resolve("bird.conf");
    Path ctl = directory.resolve("bird.ctl");
    if (ctl.toString().getBytes(StandardCharsets.UTF_8).length > 100) {
      throw new IOException("BIRD's control socket path is too long for a Unix socket (108 bytes): " + ctl);
    }
    Files.deleteIfExists(ctl);
    Files.writeString(conf, configuration(config));
    this.socket = ctl;
    return List.of(bird.toString(), "-f", "-c", conf.toString(), "-s", ctl.toString());
  }

  /** BIRD's configuration for {@code c}, VIPs not announced. */
  static String configuration(BgpConfig c) {
    StringBuilder sb = new StringBuilder();
    sb.append("# Written by lb4j's VipAnnouncer; rewritten at every start.\n");
    sb.append("log stderr all;\n");
    sb.append("router id ").append(c.routerId().getHostAddress()).append(";\n");
    // Interfaces and their addresses: BGP needs them to find its direct (single-hop) peers.
    sb.append("protocol device lb4j_device {\n  scan time 10;\n}\n");
    if (c.hasIpv4Vips()) {
      staticProtocol(sb, "lb4j_vip4", "ipv4", c.vips(), true);
    }
    if (c.hasIpv6Vips()) {
      staticProtocol(sb, "lb4j_vip6", "ipv6", c.vips(), false);
    }
    if (c.bfd()) {
      long ms = c.bfdInterval().toMillis();
      sb.append("protocol bfd lb4j_bfd {\n  interface \"*\" {\n    min rx interval ").append(ms).append(" ms;\n    min tx interval ")
          .append(ms).append(" ms;\n    idle tx interval 1000 ms;\n    multiplier ").append(c.bfdMultiplier()).append(";\n  };\n}\n");
    }
    int n = 0;
    for (BgpConfig.Peer p : c.peers()) {
      n++;
      sb.append("protocol bgp lb4j_peer").append(n).append(" {\n");
      sb.append("  local");
      InetAddress local = c.localAddress();
      if (local != null) {
        sb.append(' ').append(local.getHostAddress());
      }
      sb.append(" as ").append(c.localAsn()).append(";\n");
      sb.append("  neighbor ").append(p.address().getHostAddress()).append(" as ").append(p.asn()).append(";\n");
      sb.append("  hold time ").append(c.holdSeconds()).append(";\n");
      if (c.holdSeconds() > 0) {
        sb.append("  keepalive time ").append(c.keepaliveSeconds()).append(";\n");
      }
      // BIRD's defaults (5 s before the first attempt, 120 s between attempts, 60..300 s after an
      // error) would keep a balancer out of the ECMP group for minutes after a router restart.
      sb.append("  connect delay time 1;\n  connect retry time 2;\n  error wait time 1, 10;\n");
      if (c.bfd()) {
        sb.append("  bfd on;\n");
      }
      if (c.hasIpv4Vips()) {
        channel(sb, "ipv4", "lb4j_vip4", c.nextHop4());
      }
      if (c.hasIpv6Vips()) {
        channel(sb, "ipv6", "lb4j_vip6", c.nextHop6());
      }
      sb.append("}\n");
    }
    return sb.toString();
  }

  private static void staticProtocol(StringBuilder sb, String name, String family, List<InetAddress> vips, boolean v4) {
    sb.append("protocol static ").append(name).append(" {\n  disabled;\n  ").append(family).append(";\n");
    for (InetAddress v : vips) {
      if ((v instanceof Inet4Address) == v4) {
        // The route only feeds BGP (no kernel protocol): blackhole is its placeholder destination.
        sb.append("  route ").append(v.getHostAddress()).append(v4 ? "/32" : "/128").append(" blackhole;\n");
      }
    }
    sb.append("}\n");
  }

  private static void channel(StringBuilder sb, String family, String source, @Nullable InetAddress nextHop) {
    sb.append("  ").append(family).append(" {\n    import none;\n    export where proto = \"").append(source).append("\";\n");
    if (nextHop == null) {
      sb.append("    next hop self;\n");
    } else {
      sb.append("    next hop address ").append(nextHop.getHostAddress()).append(";\n");
    }
    sb.append("  };\n");
  }

  @Override
  public void connect(Process process, Duration timeout) throws IOException {
    Path ctl = socket;
    if (ctl == null) {
      throw new IllegalStateException("prepare first");
    }
    Executables.awaitFile(ctl, process, timeout, "bird");
    control = BirdControl.connect(ctl, CONTROL_TIMEOUT);
  }

  @Override
  public void announce(boolean on) throws IOException {
    BirdControl c = connected();
    if (config.hasIpv4Vips()) {
      c.command((on ? "enable" : "disable") + " lb4j_vip4");
    }
    if (config.hasIpv6Vips()) {
      c.command((on ? "enable" : "disable") + " lb4j_vip6");
    }
  }

  @Override
  public int established() throws IOException {
    int up = 0;
    for (BirdControl.Line l : connected().command("show protocols")) {
      String t = l.text().strip();
      if (t.startsWith("lb4j_peer") && t.endsWith("Established")) {
        up++;
      }
    }
    return up;
  }

  private BirdControl connected() throws IOException {
    BirdControl c = control;
    if (c == null) {
      throw new IOException("not connected to BIRD's control socket");
    }
    return c;
  }

  @Override
  public void disconnect() {
    BirdControl c = control;
    control = null;
    if (c != null) {
      c.close();
    }
  }
}
