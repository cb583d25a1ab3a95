package io.github.lb4j.announce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.testing.Requirements;
import io.github.lb4j.testing.Shell;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BgpConfigTest {

  static InetAddress ip(String s) throws IOException {
    return InetAddress.getByName(s);
  }

  static BgpConfig.Builder minimal(BgpConfig.Speaker speaker) throws IOException {
    return BgpConfig.builder(speaker, 64513).localAddress(ip("192.0.2.2")).peer(ip("192.0.2.1"), 64512).vip(ip("198.51.100.100"));
  }

  @Test
  void build_checksAsNumbersAgainstTheRfcs() throws IOException {
    for (long bad : new long[] {0, 23_456, 65_535, 4_294_967_295L, -1}) {
      assertThatThrownBy(() -> BgpConfig.builder(BgpConfig.Speaker.BIRD, bad).localAddress(ip("192.0.2.2"))
          .peer(ip("192.0.2.1"), 64512).vip(ip("198.51.100.100")).build())
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BGP local AS").hasMessageContaining(Long.toString(bad));
    }
    assertThatThrownBy(() -> minimal(BgpConfig.Speaker.BIRD).peer(ip("192.0.2.9"), 23_456).build())
        .hasMessageContaining("peer 192.0.2.9 AS").hasMessageContaining("AS_TRANS");
    assertThat(BgpConfig.builder(BgpConfig.Speaker.BIRD, 4_200_000_000L).localAddress(ip("192.0.2.2"))
        .peer(ip("192.0.2.1"), 64512).vip(ip("198.51.100.100")).build().localAsn()).isEqualTo(4_200_000_000L);
  }

  @Test
  void build_checksTheHoldTimeAndBfd() throws IOException {
    for (Duration bad : new Duration[] {Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(65_536), Duration.ofMillis(3500)}) {
      assertThatThrownBy(() -> minimal(BgpConfig.Speaker.BIRD).holdTime(bad)).hasMessageContaining("RFC 4271");
    }
    BgpConfig zero = minimal(BgpConfig.Speaker.BIRD).holdTime(Duration.ZERO).build();
    assertThat(zero.keepaliveSeconds()).isZero();
    BgpConfig nine = minimal(BgpConfig.Speaker.BIRD).holdTime(Duration.ofSeconds(9)).build();
    assertThat(nine.keepaliveSeconds()).isEqualTo(3);
    assertThat(nine.detectionTime()).isEqualTo(Duration.ofSeconds(9));
    assertThatThrownBy(() -> minimal(BgpConfig.Speaker.BIRD).bfd(Duration.ofMillis(100), 0)).hasMessageContaining("multiplier");
    assertThatThrownBy(() -> minimal(BgpConfig.Speaker.BIRD).bfd(Duration.ofMillis(5), 3)).hasMessageContaining("10 ms..10 s");
    BgpConfig bfd = minimal(BgpConfig.Speaker.BIRD).bfd(Duration.ofMillis(100), 3).build();
    assertThat(bfd.detectionTime()).isEqualTo(Duration.ofMillis(300));
    assertThatThrownBy(() -> minimal(BgpConfig.Speaker.GOBGP).bfd(Duration.ofMillis(100), 3).build())
        .hasMessage("BFD needs the bird speaker: GoBGP has no BFD");
  }

  @Test
  void build_namesWhatIsMissingOrInconsistent() throws IOException {
    assertThatThrownBy(() -> BgpConfig.builder(BgpConfig.Speaker.BIRD, 64513).localAddress(ip("192.0.2.2")).vip(ip("198.51.100.100")).build())
        .hasMessage("BGP needs at least one peer");
    assertThatThrownBy(() -> BgpConfig.builder(BgpConfig.Speaker.BIRD, 64513).localAddress(ip("192.0.2.2")).peer(ip("192.0.2.1"), 1).build())
        .hasMessage("BGP needs at least one VIP to announce");
    assertThatThrownBy(() -> minimal(BgpConfig.Speaker.BIRD).peer(ip("192.0.2.1"), 64512).build())
        .hasMessage("BGP peer 192.0.2.1 is given twice");
    assertThatThrownBy(() -> BgpConfig.builder(BgpConfig.Speaker.BIRD, 64513).peer(ip("192.0.2.1"), 64512).vip(ip("198.51.100.100")).build())
        .hasMessageContaining("needs a router id");
    assertThatThrownBy(() -> minimal(BgpConfig.Speaker.BIRD).vip(ip("2001:db8::100")).build())
        .hasMessageContaining("VIP 2001:db8:0:0:0:0:0:100 needs a peer of its family or a next hop of its family");
    assertThat(minimal(BgpConfig.Speaker.BIRD).vip(ip("2001:db8::100")).nextHop(ip("2001:db8::2")).build().hasIpv6Vips()).isTrue();
    assertThatThrownBy(() -> minimal(BgpConfig.Speaker.BIRD).vip(ip("127.0.0.1")).build()).hasMessageContaining("loopback");
    assertThatThrownBy(() -> minimal(BgpConfig.Speaker.BIRD).peer(ip("2001:db8::1"), 64512).build())
        .hasMessageContaining("different families");
    assertThatThrownBy(() -> BgpConfig.Speaker.parse("exabgp")).hasMessage("BGP speaker must be bird or gobgp, was 'exabgp'");
    assertThatThrownBy(() -> minimal(BgpConfig.Speaker.BIRD).routerId(ip("2001:db8::1"))).hasMessageContaining("RFC 6286");
  }

  @Test
  void birdConfiguration_exportsOnlyTheVipsAndStartsWithdrawn() throws IOException {
    BgpConfig c = minimal(BgpConfig.Speaker.BIRD).vip(ip("2001:db8:5::100")).nextHop(ip("2001:db8::2"))
        .holdTime(Duration.ofSeconds(3)).bfd(Duration.ofMillis(100), 3).build();
    String conf = BirdDriver.configuration(c);
    assertThat(conf).contains("router id 192.0.2.2;",
        "protocol static lb4j_vip4 {\n  disabled;\n  ipv4;\n  route 198.51.100.100/32 blackhole;\n}",
        "protocol static lb4j_vip6 {\n  disabled;\n  ipv6;\n  route 2001:db8:5:0:0:0:0:100/128 blackhole;\n}",
        "min rx interval 100 ms;", "multiplier 3;",
        "  local 192.0.2.2 as 64513;\n  neighbor 192.0.2.1 as 64512;\n  hold time 3;\n  keepalive time 1;",
        "  bfd on;",
        "  ipv4 {\n    import none;\n    export where proto = \"lb4j_vip4\";\n    next hop self;\n  };",
        "  ipv6 {\n    import none;\n    export where proto = \"lb4j_vip6\";\n    next hop address 2001:db8:0:0:0:0:0:2;\n  };");
  }

  @Test
  void bird_parsesEveryConfigurationWeWrite(@TempDir Path dir) throws IOException {
    Path bird = Requirements.requireCommand("BIRD's configuration check", "bird");
    for (BgpConfig c : new BgpConfig[] {
        minimal(BgpConfig.Speaker.BIRD).build(),
        minimal(BgpConfig.Speaker.BIRD).holdTime(Duration.ZERO).build(),
        minimal(BgpConfig.Speaker.BIRD).holdTime(Duration.ofSeconds(3)).bfd(Duration.ofMillis(50), 5).peer(ip("192.0.2.3"), 4_200_000_000L).build(),
        minimal(BgpConfig.Speaker.BIRD).vip(ip("2001:db8:5::100")).nextHop(ip("2001:db8::2")).nextHop(ip("192.0.2.9")).build()}) {
      Path f = dir.resolve("bird.conf");
      Files.writeString(f, BirdDriver.configuration(c));
      Shell.Result r = Shell.attempt(bird.toString(), "-p", "-c", f.toString());
      assertThat(r.ok()).as("bird -p accepts\n%s\n%s", Files.readString(f), r.output()).isTrue();
    }
  }

  @Test
  void gobgpd_parsesEveryConfigurationWeWrite(@TempDir Path dir) throws IOException {
    Path gobgpd = Requirements.requireCommand("GoBGP's configuration check", "gobgpd");
    for (BgpConfig c : new BgpConfig[] {
        minimal(BgpConfig.Speaker.GOBGP).build(),
        minimal(BgpConfig.Speaker.GOBGP).holdTime(Duration.ZERO).peer(ip("192.0.2.3"), 4_200_000_000L).build(),
        minimal(BgpConfig.Speaker.GOBGP).vip(ip("2001:db8:5::100")).nextHop(ip("2001:db8::2")).build()}) {
      Path f = dir.resolve("gobgpd.toml");
      Files.writeString(f, GoBgpDriver.configuration(c));
      Shell.Result r = Shell.attempt(gobgpd.toString(), "-d", "-f", f.toString(), "-t", "toml");
      assertThat(r.ok()).as("gobgpd -d accepts\n%s\n%s", Files.readString(f), r.output()).isTrue();
    }
  }
}
