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
  void help_listsWhatEachCommandTakes_byName() {
    for (String[] args : List.of(new String[] {"--help"}, new String[] {"datapath", "--help"})) {
      Result r = lb(args);
      assertThat(r.code()).isZero();
      assertThat(r.out()).contains("round-robin", "least-connections", "maglev", "source-hash")
          .contains("tcp", "http", "http-content", "tcp-half-open")
          .contains("transparent", "router", "dsr-l2", "dsr-ipip", "dsr-dscp", "full-nat");
    }
    for (String[] args : List.of(new String[] {"proxy", "--help"}, new String[] {"demo", "--help"})) {
      Result r = lb(args);
      assertThat(r.code()).isZero();
      assertThat(r.out()).contains("round-robin", "maglev", "tcp", "http-content")
          .doesNotContain("Forwarding modes", "dsr-ipip", "full-nat");
    }
    Result trace = lb("trace", "--help");
    assertThat(trace.out()).contains("maglev", "dsr-ipip", "full-nat").doesNotContain("Health checks");
    Result serve = lb("serve", "--help");
    assertThat(serve.out()).doesNotContain("Algorithms", "Health checks", "Forwarding modes");
    assertThat(lb("--help").out()).contains("proxy", "demo", "datapath", "trace", "serve");
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
  void badFlagValues_areOneLine_inFlagSyntax() {
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--slow-start", "soon"), 2,
        "lb proxy: Invalid value for option '--slow-start': must be a duration such as 500ms, 2s, 5m or 1h, was 'soon'");
    oneLine(lb("proxy", "--listen", "nowhere", "--backend", "127.0.0.1:9"), 2,
        "lb proxy: Invalid value for option '--listen' (HOST:PORT): must be host:port, [ipv6]:port or :port, was 'nowhere'");
    oneLine(lb("proxy", "--listen", "300.1.1.1:80", "--backend", "127.0.0.1:9"), 2,
        "lb proxy: Invalid value for option '--listen' (HOST:PORT): '300.1.1.1' is not a valid IPv4 address");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--connect-attempts", "many"), 2,
        "lb proxy: Invalid value for option '--connect-attempts': 'many' is not an int");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--idle-timeout", "9999999h"), 2,
        "lb proxy: Invalid value for option '--idle-timeout': must be at most 2562047h (about 292 years), was '9999999h'");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "web-1=127.0.0.1:9,weight=x"), 1,
        "lb proxy: --backend web-1=127.0.0.1:9,weight=x: weight must be a whole number, was 'x'");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--connect-attempts", "99"), 1,
        "lb proxy: --connect-attempts must be in 1..16, was 99");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--check", "tcp", "--check-interval", "1s",
        "--check-timeout", "2s"), 1, "lb proxy: --check-timeout must not exceed --check-interval, was 2s > 1s");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--rise", "3"), 1,
        "lb proxy: --rise is set but no check is: add --check tcp (or another checker)");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "127.0.0.1:9", "--check", "tcp", "--fall", "0"), 1,
        "lb proxy: --fall must be at least 1, was 0");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0", "--backend", "a=127.0.0.1:9", "--backend", "b=127.0.0.1:9"), 1,
        "lb proxy: --backend b=127.0.0.1:9: backend b has the address of backend a (127.0.0.1:9): one server is one backend");
    oneLine(lb("proxy", "--listen", "127.0.0.1:0"), 1, "lb proxy: no backend: give --backend [ID=]HOST:PORT");
    oneLine(lb("proxy", "--backend", "127.0.0.1:9"), 1, "lb proxy: no listen address: give --listen HOST:PORT");
    oneLine(lb("datapath", "--mode", "dsr-l2", "--interface", "lo", "--vip", "192.0.2.100:80", "--backend", "a=192.0.2.11:80",
        "--backend", "b=192.0.2.11:80"), 1, "lb datapath: --backend b=192.0.2.11:80 has the address of backend a");
    oneLine(lb("datapath", "--mode", "full-nat", "--interface", "lo", "--vip", "192.0.2.100:80", "--backend", "192.0.2.11:80",
        "--gateway", "300.1.1.1"), 2, "lb datapath: Invalid value for option '--gateway': '300.1.1.1' is not a valid IPv4 address");
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
  void trace_explainsItsMacs_andNamesAMissingPcapFolder() {
    Result r = lb("trace", "--mode", "dsr-l2");
    assertThat(r.out()).contains("MAC addresses", "02:00:5e:00:00:01  router", "02:00:5e:00:00:02  balancer",
        "02:00:5e:00:00:11  rs-1 192.0.2.11", "02:00:5e:00:00:12  rs-2 192.0.2.12");
    Path nowhere = dir.resolve("no-such-folder").resolve("walk.pcap");
    oneLine(lb("trace", "--mode", "dsr-l2", "--pcap", nowhere.toString()), 1,
        "lb trace: --pcap " + nowhere + ": the folder " + nowhere.getParent() + " does not exist");
    oneLine(lb("trace", "--mode", "dsr-l2", "--pcap", dir.toString()), 1, "lb trace: --pcap " + dir + ": is a directory");
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
    oneLine(lb("proxy", "--config", conf.toString()), 1,
        "lb proxy: " + conf + ":3: check.fall is set but no check is: add 'check = tcp' (or another checker)");
    oneLine(lb("proxy", "--config", dir.resolve("missing.conf").toString()), 1,
        "lb proxy: " + dir.resolve("missing.conf") + ": no such configuration file");
    oneLine(lb("proxy", "--config", dir.toString()), 1, "lb proxy: " + dir + ": is a directory, not a configuration file");
    Files.write(conf, "listen = 127.0.0.1:0\nbackend web-1 = 127.0.0.1:9 # caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    oneLine(lb("proxy", "--config", conf.toString()), 1, "lb proxy: " + conf + ":2: not UTF-8 text (byte 0xE9 at column 34)");
    Files.write(conf, List.of("backend web-1 = 127.0.0.1:9"));
    oneLine(lb("proxy", "--config", conf.toString()), 1,
        "lb proxy: no listen address: give --listen HOST:PORT or 'listen = HOST:PORT' in " + conf);
  }
}
