package io.github.lb4j.announce;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.FrrRouter;
import io.github.lb4j.testing.NamespaceLab;
import io.github.lb4j.testing.Privileged;
import io.github.lb4j.testing.Shell;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Real BGP sessions: FRR (zebra, bgpd, bfdd) routes in one namespace, the announcer's speaker (BIRD
 * 2 or GoBGP) runs in the other, as the child of a JVM that owns the announcer ({@link
 * AnnounceProbe}). What counts is the router's kernel table: the VIP is routed to the speaker's
 * address while the announcer serves, and not otherwise. Times from an event to the router's
 * reaction are measured and printed, never asserted against a bound.
 */
@Privileged(value = "BGP sessions with an FRR router", capabilities = {Capability.NET_ADMIN, Capability.SYS_ADMIN},
    commands = {"ip", "bird", "gobgpd", "vtysh", "setpriv"}, ipv6 = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AnnouncerLabTest {

  static final String VIP = "198.51.100.100";
  static final String VIP6 = "2001:db8:5::100";
  static final Duration WAIT = Duration.ofSeconds(30);

  static final String BGPD = """
      frr defaults datacenter
      hostname lab-router
      router bgp 64512
       bgp router-id 192.0.2.1
       no bgp ebgp-requires-policy
       no bgp default ipv4-unicast
       neighbor LB peer-group
       neighbor LB remote-as 64513
       neighbor LB timers 3 9
       neighbor LB bfd profile fast
       bgp listen range 192.0.2.0/24 peer-group LB
       bgp listen range 2001:db8::/64 peer-group LB
       address-family ipv4 unicast
        neighbor LB activate
        maximum-paths 8
       exit-address-family
       address-family ipv6 unicast
        neighbor LB activate
        maximum-paths 8
       exit-address-family
      """;
  static final String BFDD = """
      bfd
       profile fast
        receive-interval 100
        transmit-interval 100
        detect-multiplier 3
      """;

  private NamespaceLab lab;
  private FrrRouter router;
  private Path dir;
  private final List<Probe> probes = new ArrayList<>();

  @BeforeAll
  void up() throws IOException {
    FrrRouter.require("BGP sessions with an FRR router");
    lab = NamespaceLab.create("bgp");
    dir = Files.createTempDirectory("lb4j-announce-");
    router = FrrRouter.start(lab.client, BGPD, BFDD);
  }

  @AfterAll
  void down() {
    if (router != null) {
      router.close();
    }
    if (lab != null) {
      lab.close();
    }
  }

  @AfterEach
  void stopProbes() {
    for (Probe p : probes) {
      p.kill();
    }
    probes.clear();
    // a speaker left behind by a failed test would keep its session: nothing may survive a test
    for (long pid : pids(lab.server)) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void bird_announcesWhileServing_withdrawsOtherwise_andOnClose() throws Exception {
    Probe p = probe("bird", 3, 0, VIP);
    awaitEstablished(p);
    assertThat(router.nextHops(VIP)).as("nothing announced before serving").isEmpty();

    assertThat(p.ask("on")).isEqualTo("applied true");
    awaitRoute(VIP, Set.of("192.0.2.2"));
    assertThat(p.ask("status")).contains("announced true", "peers_established 1");

    assertThat(p.ask("off")).isEqualTo("applied true");
    awaitRoute(VIP, Set.of());
    assertThat(p.ask("status")).contains("announced false", "peers_established 1");

    assertThat(p.ask("on")).isEqualTo("applied true");
    awaitRoute(VIP, Set.of("192.0.2.2"));
    assertThat(p.ask("close")).startsWith("closed").contains("speaker_running false");
    awaitRoute(VIP, Set.of());
    assertThat(speakerPid("bird")).as("bird stopped by close()").isEmpty();
  }

  @Test
  void gobgp_announcesWhileServing_withdrawsOtherwise_andOnClose() throws Exception {
    Probe p = probe("gobgp", 3, 0, VIP);
    awaitEstablished(p);
    assertThat(router.nextHops(VIP)).isEmpty();

    assertThat(p.ask("on")).isEqualTo("applied true");
    awaitRoute(VIP, Set.of("192.0.2.2"));
    assertThat(p.ask("off")).isEqualTo("applied true");
    awaitRoute(VIP, Set.of());
    assertThat(p.ask("on")).isEqualTo("applied true");
    awaitRoute(VIP, Set.of("192.0.2.2"));
    assertThat(p.ask("close")).startsWith("closed");
    awaitRoute(VIP, Set.of());
    assertThat(speakerPid("gobgpd")).as("gobgpd stopped by close()").isEmpty();
  }

  @Test
  void bird_announcesAnIpv6VipOverAnIpv6Session() throws Exception {
    Probe p = probe("bird", 3, 0, VIP6, "2001:db8::2", "2001:db8::1");
    awaitEstablished(p);
    assertThat(p.ask("on")).isEqualTo("applied true");
    // BIRD sends its global and link-local addresses as the next hop of a direct IPv6 session
    // (RFC 2545 §3); zebra installs the link-local one
    String linkLocal = Shell.run("ip", "-n", lab.server, "-6", "-o", "addr", "show", "dev", lab.serverIf, "scope", "link")
        .replaceAll("(?s).*inet6 ([0-9a-f:]+)/.*", "$1");
    Awaitility.await("the router routes " + VIP6 + " to the speaker").atMost(WAIT).pollInterval(Duration.ofMillis(10))
        .until(() -> !router.nextHops(VIP6).isEmpty() && Set.of("2001:db8::2", linkLocal).containsAll(router.nextHops(VIP6)));
    assertThat(p.ask("off")).isEqualTo("applied true");
    awaitRoute(VIP6, Set.of());
  }

  @Test
  void aKilledBalancerTakesItsSpeakerWithIt_andTheRouterWithdrawsAtOnce() throws Exception {
    Probe p = probe("bird", 9, 0, VIP);
    awaitEstablished(p);
    assertThat(p.ask("on")).isEqualTo("applied true");
    awaitRoute(VIP, Set.of("192.0.2.2"));

    long killed = System.nanoTime();
    p.kill();
    awaitRoute(VIP, Set.of());
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
    Awaitility.await("bird exits with its parent (parent-death signal)").atMost(WAIT)
        .until(() -> speakerPid("bird").isEmpty());
    System.out.printf("announcer: SIGKILL of the balancer -> VIP withdrawn by the router after %d ms (hold time 9 s, no BFD)%n", ms);
  }

  @Test
  void bird_withBfd_aFrozenSpeakerIsWithdrawnByBfd_beforeTheHoldTime() throws Exception {
    Probe p = probe("bird", 9, 100, VIP);
    awaitEstablished(p);
    Awaitility.await("BFD session up").atMost(WAIT).until(() -> router.vtysh("show bfd peers brief").contains(" up "));
    assertThat(p.ask("on")).isEqualTo("applied true");
    awaitRoute(VIP, Set.of("192.0.2.2"));

    long pid = speakerPid("bird").orElseThrow();
    long frozen = System.nanoTime();
    Shell.run("kill", "-STOP", Long.toString(pid));
    try {
      awaitRoute(VIP, Set.of());
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozen);
      System.out.printf("announcer: frozen speaker (SIGSTOP) -> VIP withdrawn after %d ms (BFD 100 ms x 3, hold time 9 s)%n", ms);
      assertThat(router.vtysh("show bgp ipv4 unicast summary")).doesNotContain("Establ");
    } finally {
      Shell.run("kill", "-CONT", Long.toString(pid));
    }
  }

  @Test
  void aSpeakerThatDies_isRestarted_andAnnouncesAgain() throws Exception {
    Probe p = probe("bird", 3, 0, VIP);
    awaitEstablished(p);
    assertThat(p.ask("on")).isEqualTo("applied true");
    awaitRoute(VIP, Set.of("192.0.2.2"));

    long pid = speakerPid("bird").orElseThrow();
    Shell.run("kill", "-KILL", Long.toString(pid));
    awaitRoute(VIP, Set.of());
    Awaitility.await("a new bird announces again").atMost(WAIT)
        .until(() -> router.nextHops(VIP).equals(Set.of("192.0.2.2")) && speakerPid("bird").filter(n -> n != pid).isPresent());
    assertThat(p.ask("status")).contains("restarts 1", "announced true");
  }

  // ---------------------------------------------------------------- helpers

  private void awaitEstablished(Probe p) {
    Awaitility.await("the speaker's session with the router is established").atMost(WAIT)
        .pollInterval(Duration.ofMillis(100)).until(() -> p.ask("status").contains("peers_established 1"));
  }

  private void awaitRoute(String prefix, Set<String> nextHops) {
    Awaitility.await("the router's kernel routes " + prefix + " via " + nextHops).atMost(WAIT)
        .pollInterval(Duration.ofMillis(10)).until(() -> router.nextHops(prefix).equals(nextHops));
  }

  private Optional<Long> speakerPid(String comm) {
    for (long pid : pids(lab.server)) {
      try {
        if (Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip().equals(comm)) {
          return Optional.of(pid);
        }
      } catch (IOException e) {
        // it exited meanwhile
      }
    }
    return Optional.empty();
  }

  private static List<Long> pids(String namespace) {
    List<Long> out = new ArrayList<>();
    for (String s : Shell.attempt("ip", "netns", "pids", namespace).output().split("\\s+")) {
      if (!s.isBlank() && s.chars().allMatch(Character::isDigit)) {
        out.add(Long.parseLong(s));
      }
    }
    return out;
  }

  private Probe probe(String speaker, int hold, int bfdMillis, String vip) throws IOException {
    return probe(speaker, hold, bfdMillis, vip, "192.0.2.2", "192.0.2.1");
  }

  private Probe probe(String speaker, int hold, int bfdMillis, String vip, String local, String peer) throws IOException {
    Path d = Files.createTempDirectory(dir, speaker);
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", lab.server, javaBinary(), "-cp", classPath(),
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx64m", AnnounceProbe.class.getName(), speaker, d.toString(),
        local, "64513", peer, "64512", vip, Integer.toString(hold), Integer.toString(bfdMillis)));
    Process proc = new ProcessBuilder(cmd).redirectError(d.resolve("probe.err").toFile()).start();
    Probe p = new Probe(proc, d);
    probes.add(p);
    String hello = p.readLine();
    assertThat(hello).as("probe started; stderr: %s", p.errors()).startsWith("started");
    return p;
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static String classPath() {
    List<String> parts = new ArrayList<>();
    for (String prop : List.of("jdk.module.path", "java.class.path")) {
      String v = System.getProperty(prop);
      if (v != null && !v.isBlank()) {
        parts.add(v);
      }
    }
    return String.join(File.pathSeparator, parts);
  }

  /** The announcer's process: commands on its standard input, one answer line each. */
  static final class Probe {
    private final Process process;
    private final Path dir;
    private final BufferedReader out;
    private final OutputStream in;

    Probe(Process process, Path dir) {
      this.process = process;
      this.dir = dir;
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.in = process.getOutputStream();
    }

    synchronized String ask(String command) throws IOException {
      in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
      return readLine();
    }

    String readLine() throws IOException {
      String line = out.readLine();
      if (line == null) {
        throw new IOException("the probe ended; stderr: " + errors());
      }
      return line;
    }

    String errors() {
      try {
        return Files.readString(dir.resolve("probe.err"));
      } catch (IOException e) {
        return "";
      }
    }

    void kill() {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
