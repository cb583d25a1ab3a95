package io.github.lb4j.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lb command run in-process: help texts, and one clear line with a non-zero exit for each user error. */
class LbTest {

  @TempDir Path dir;

  private record Result(int code, String out, String err) {}

  private static Result lb(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> Lb.run(args, new PrintWriter(out, true), new PrintWriter(err, true)));
    return new Result(code, out.toString(), err.toString());
  }

  private static void oneLine(Result r, int code, String expected) {
    assertThat(r.code()).isEqualTo(code);
    assertThat(r.err().lines().toList()).singleElement().asString().startsWith(expected);
    assertThat(r.err()).doesNotContain("\tat ", "Exception in");
  }

  @Test
  void help_listsAlgorithmsChecksAndModes_byName() {
    for (String[] args : List.of(new String[] {"--help"}, new String[] {"proxy", "--help"}, new String[] {"demo", "--help"},
        new String[] {"serve", "--help"})) {
      Result r = lb(args);
      assertThat(r.code()).isZero();
      assertThat(r.out()).contains("round-robin", "least-connections", "maglev", "source-hash")
          .contains("tcp", "http", "http-content", "tcp-half-open")
          .contains("transparent", "router", "dsr-l2", "dsr-ipip", "dsr-dscp", "full-nat");
    }
  }

  @Test
  void unknownFlag_isOneLine_exit2() {
    oneLine(lb("proxy", "--frobnicate"), 2, "lb proxy: Unknown option: '--frobnicate' (see lb proxy --help)");
  }

  @Test
  void unknownSubcommand_isOneLine_exit2() {
    oneLine(lb("prox"), 2, "lb: Unmatched argument at index 0: 'prox'");
  }

  @Test
  void unknownAlgorithm_isOneLine_listingTheKnownOnes_exit1() {
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--algorithm", "fastest"), 1,
        "lb proxy: unknown scheduler 'fastest'; known: ");
  }

  @Test
  void unknownCheck_isOneLine_exit1() {
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--check", "vibes"), 1,
        "lb proxy: unknown health check 'vibes'; known: ");
  }

  @Test
  void portInUse_isOneLine_namingTheAddress_exit1() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      oneLine(lb("proxy", "--listen", "127.0.0.1:" + port, "--backend", "127.0.0.1:9"), 1,
          "lb proxy: cannot listen on 127.0.0.1:" + port + ": address already in use");
    }
  }

  @Test
  void badFlagValues_areOneLine_namingTheFlag() {
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--slow-start", "soon"), 1,
        "lb proxy: --slow-start: slow-start must be a duration such as 500ms, 2s, 5m or 1h, was 'soon'");
    oneLine(lb("proxy", "--listen", "nowhere", "--backend", "127.0.0.1:9"), 1,
        "lb proxy: --listen: listen must be host:port, [ipv6]:port or :port, was 'nowhere'");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "web-1=127.0.0.1:9,weight=x"), 1,
        "lb proxy: --backend web-1=127.0.0.1:9,weight=x: backend web-1 weight must be a whole number, was 'x'");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0"), 1, "lb proxy: no backend: give at least one");
    oneLine(lb("demo", "--duration", "2s"), 1, "lb demo: --duration must be at least 10s, was 2s");
    oneLine(lb("demo", "--algorithm", "fastest"), 1, "lb demo: unknown scheduler 'fastest'; known: ");
  }

  @Test
  void trace_walksEveryMode_andWritesThePcap() throws Exception {
    for (io.github.lb4j.api.ForwardingMode m : io.github.lb4j.api.ForwardingMode.values()) {
      Path pcap = dir.resolve(m.modeName() + ".pcap");
      Result r = lb("trace", "--mode", m.modeName(), "--pcap", pcap.toString());

      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).startsWith("mode " + m.modeName()).contains("1. client -> balancer", "198.51.100.10:80")
          .contains(m.repliesPassBalancer() ? "balancer -> client" : "server -> client");
      int hops = m.repliesPassBalancer() ? 4 : 3;
      assertThat(r.out()).contains("wrote " + hops + " frames to " + pcap);
      assertThat(io.github.lb4j.nat.pcap.PcapReader.readAll(pcap)).hasSize(hops)
          .allSatisfy(rec -> assertThat(rec.data().length).isGreaterThanOrEqualTo(54));
    }
    Result six = lb("trace", "--mode", "full-nat", "--ipv6");
    assertThat(six.code()).isZero();
    assertThat(six.out()).contains("2001:db8:2");
  }

  @Test
  void trace_withAnUnknownMode_isOneLine_listingTheModes() {
    oneLine(lb("trace", "--mode", "nat"), 1,
        "lb trace: unknown forwarding mode 'nat'; known: transparent, router, dsr-l2, dsr-ipip, dsr-dscp, full-nat");
    oneLine(lb("trace"), 2, "lb trace: Missing required option: '--mode=MODE'");
  }

  @Test
  void badConfigFile_isOneLine_namingFileAndLine() throws Exception {
    Path conf = dir.resolve("lb.conf");
    Files.write(conf, List.of("listen = 127.0.0.1:0", "backend web-1 = 127.0.0.1:9", "check.fall = often"));
    oneLine(lb("proxy", "--config", conf.toString()), 1, "lb proxy: lb.conf:3: check.fall is set but no check is");
    oneLine(lb("proxy", "--config", dir.resolve("missing.conf").toString()), 1,
        "lb proxy: configuration file not found: " + dir.resolve("missing.conf"));
  }
}
