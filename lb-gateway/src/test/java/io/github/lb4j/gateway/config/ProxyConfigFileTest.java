package io.github.lb4j.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.gateway.proxy.HealthCheckSpec;
import io.github.lb4j.gateway.proxy.ProxyServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration file of lb proxy: what it accepts, and one clear error per mistake. */
class ProxyConfigFileTest {

  @TempDir Path dir;

  private ProxyServer.Builder load(String... lines) throws IOException {
    Path f = dir.resolve("lb.conf");
    Files.write(f, List.of(lines));
    return ProxyConfigFile.load(f);
  }

  /** What an error about line {@code n} of the test's file starts with: the path as given, the line. */
  private String at(int n) {
    return dir.resolve("lb.conf") + ":" + n + ": ";
  }

  private static IllegalArgumentException error(Runnable r) {
    try {
      r.run();
    } catch (IllegalArgumentException e) {
      return e;
    }
    throw new AssertionError("no error");
  }

  @Test
  void readme_example_buildsAProxy() throws IOException {
    ProxyServer p = load(
        "# lb proxy configuration",
        "listen = 127.0.0.1:0, [::1]:0",
        "backend web-1 = 127.0.0.1:8081 weight=3",
        "backend web-2 = 127.0.0.1:8082",
        "algorithm = round-robin",
        "slow-start = 10s",
        "check = tcp",
        "check.interval = 1s",
        "check.timeout = 500ms",
        "check.rise = 2",
        "check.fall = 3   # HAProxy's default",
        "connect-timeout = 2s",
        "connect-attempts = 2",
        "idle-timeout = 5m",
        "proxy-protocol = v2",
        "no-backend = fail-closed",
        "seed = 42",
        "event-loops = 1",
        "buffer-size = 16384").build();
    try (p) {
      assertThat(p.scheduler().name()).isEqualTo("round-robin");
      assertThat(p.healthCheck()).isEqualTo(new HealthCheckSpec("tcp", Map.of(), Duration.ofSeconds(1),
          Duration.ofMillis(500), 2, 3));
      assertThat(p.status()).extracting(s -> s.backend().toString())
          .containsExactly("web-1(127.0.0.1:8081 w=3)", "web-2(127.0.0.1:8082 w=1)");
    }
  }

  @Test
  void theReadmesConfigurationExample_isValid() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    int start = readme.indexOf("```ini\n");
    assertThat(start).as("lb-gateway/README.md has an ini block").isNotNegative();
    String block = readme.substring(start + 7, readme.indexOf("```", start + 7));

    try (ProxyServer p = ProxyConfigFile.apply(ProxyConfigFile.parse(block.lines().toList(), "README.md"),
        ProxyServer.builder()).build()) {
      assertThat(p.scheduler().name()).isEqualTo("maglev");
      assertThat(p.healthCheck()).isNotNull();
      assertThat(p.status()).hasSize(3);
      assertThat(p.status().get(2).backend().isDraining()).isTrue();
    }
  }

  @Test
  void unknownKey_namesFileLineAndKnownKeys() {
    IllegalArgumentException e = error(() -> {
      try {
        load("listen = :8080", "algoritm = maglev");
      } catch (IOException ex) {
        throw new AssertionError(ex);
      }
    });
    assertThat(e).hasMessageStartingWith(at(2) + "unknown key 'algoritm'; known: listen, backend ID, discover, dns-server, algorithm");
  }

  @Test
  void lineWithoutEquals_isNamed() {
    assertThatThrownBy(() -> ProxyConfigFile.parse(List.of("", "listen 127.0.0.1:80"), "x.conf"))
        .hasMessage("x.conf:2: expected 'key = value', was 'listen 127.0.0.1:80'");
  }

  @Test
  void badValues_nameTheLineAndTheValue() {
    assertThatThrownBy(() -> load("slow-start = 10"))
        .hasMessage(at(1) + "slow-start must be a duration such as 500ms, 2s, 5m or 1h, was '10'");
    assertThatThrownBy(() -> load("backend web-1 = 127.0.0.1:99999"))
        .hasMessage(at(1) + "backend web-1 port must be in 0..65535, was 99999 in '127.0.0.1:99999'");
    assertThatThrownBy(() -> load("backend web-1 = 127.0.0.1:80 weight=-2"))
        .hasMessageStartingWith(at(1) + "weight must be in 0..65535 (0 drains), was -2");
    assertThatThrownBy(() -> load("backend web-1 = 127.0.0.1:80", "backend web-1 = 127.0.0.1:81"))
        .hasMessage(at(2) + "backend id 'web-1' is used twice");
    assertThatThrownBy(() -> load("listen = 127.0.0.1"))
        .hasMessage(at(1) + "listen must be host:port, [ipv6]:port or :port, was '127.0.0.1'");
    assertThatThrownBy(() -> load("proxy-protocol = v3"))
        .hasMessage(at(1) + "proxy-protocol must be none, v1 or v2, was 'v3'");
    assertThatThrownBy(() -> load("connect-attempts = many"))
        .hasMessage(at(1) + "connect-attempts must be a whole number, was 'many'");
    assertThatThrownBy(() -> load("connect-attempts = 99"))
        .hasMessage(at(1) + "connect-attempts must be in 1..16, was 99");
    assertThatThrownBy(() -> load("check = tcp", "check.interval = 1s", "check.timeout = 2s"))
        .hasMessage(at(3) + "check.timeout must not exceed check.interval, was 2s > 1s");
    assertThatThrownBy(() -> load("check.path = /health"))
        .hasMessage(at(1) + "check.path is set but no check is: add 'check = tcp' (or another checker)");
  }

  @Test
  void missingListenOrBackend_isNamedAtBuild() throws IOException {
    assertThatThrownBy(() -> load("backend web-1 = 127.0.0.1:80").build())
        .hasMessage("no listen address: add one with listen(address)");
    assertThatThrownBy(() -> load("listen = 127.0.0.1:0").build())
        .hasMessage("no backend: add one with backend(Backend.of(...)) or a membership(...) source");
  }

  @Test
  void unknownChecker_orCheckerOption_isRefusedAtBuild() throws IOException {
    assertThatThrownBy(() -> load("listen = 127.0.0.1:0", "backend a = 127.0.0.1:80", "check = telepathy").build())
        .hasMessageStartingWith("unknown health check 'telepathy'; known: ");
    assertThatThrownBy(() -> load("listen = 127.0.0.1:0", "backend a = 127.0.0.1:80", "check = tcp",
        "check.colour = blue").build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("colour");
  }

  @Test
  void fileThatCannotBeRead_isNamed_missingOrADirectory() {
    assertThatThrownBy(() -> ProxyConfigFile.load(dir.resolve("nope.conf")))
        .isInstanceOf(IllegalArgumentException.class).hasMessage(dir.resolve("nope.conf") + ": no such configuration file");
    assertThatThrownBy(() -> ProxyConfigFile.load(dir))
        .isInstanceOf(IllegalArgumentException.class).hasMessage(dir + ": is a directory, not a configuration file");
  }

  @Test
  void notUtf8_namesTheLineAndColumnOfTheBadByte() throws IOException {
    Path f = dir.resolve("lb.conf");
    byte[] latin1 = "listen = :8080\nbackend web-1 = caf\u00e9:80\n".getBytes(StandardCharsets.ISO_8859_1);
    Files.write(f, latin1);
    assertThatThrownBy(() -> ProxyConfigFile.load(f)).hasMessage(at(2) + "not UTF-8 text (byte 0xE9 at column 20)");
    Files.write(f, "\uFEFFlisten = :8080\r\nbackend web-1 = 127.0.0.1:80\r\n".getBytes(StandardCharsets.UTF_8));
    assertThat(ProxyConfigFile.read(f)).extracting(ProxyConfigFile.Entry::value).containsExactly(":8080", "127.0.0.1:80");
  }

  @Test
  void durationsBeyond292Years_areRefusedClearly() {
    assertThatThrownBy(() -> load("slow-start = 9999999h"))
        .hasMessage(at(1) + "slow-start must be at most 2562047h (about 292 years), was '9999999h'");
    assertThatThrownBy(() -> load("idle-timeout = 99999999999999999999ms"))
        .hasMessage(at(1) + "idle-timeout must be at most 9223369200000ms (about 292 years), was '99999999999999999999ms'");
    assertThatThrownBy(() -> ProxyServer.builder().idleTimeout(Duration.ofDays(200_000)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("idle-timeout must be at most 2562047h");
    assertThatThrownBy(() -> new HealthCheckSpec("tcp", Map.of(), Duration.ofDays(200_000), Duration.ofSeconds(1), 2, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("check.interval must be at most");
  }

  @Test
  void theSameAddressTwice_isRefused_asIpvsRefusesIt() {
    assertThatThrownBy(() -> load("backend a = 127.0.0.1:80", "backend b = 127.0.0.1:80"))
        .hasMessage(at(2) + "backend b has the address of backend a (127.0.0.1:80): one server is one backend; give it a weight instead");
    assertThatThrownBy(() -> load("backend a = 127.0.0.1:80", "backend b = localhost:80"))
        .hasMessageStartingWith(at(2) + "backend b has the address of backend a");
  }

  @Test
  void hash_isACommentOnlyAtTheStartOrAfterWhitespace_andBackslashHashIsLiteral() throws IOException {
    Path f = dir.resolve("lb.conf");
    Files.write(f, List.of("# a comment line", "listen = 127.0.0.1:0   # after the value", "backend web-1 = 127.0.0.1:80#x",
        "check = http-content", "check.path = /status#frag", "check.contains = build \\#42 ok # comment\t", "\t# indented"));
    List<ProxyConfigFile.Entry> entries = ProxyConfigFile.read(f);
    assertThat(entries).extracting(ProxyConfigFile.Entry::key, ProxyConfigFile.Entry::value).containsExactly(
        org.assertj.core.groups.Tuple.tuple("listen", "127.0.0.1:0"),
        org.assertj.core.groups.Tuple.tuple("backend web-1", "127.0.0.1:80#x"),
        org.assertj.core.groups.Tuple.tuple("check", "http-content"),
        org.assertj.core.groups.Tuple.tuple("check.path", "/status#frag"),
        org.assertj.core.groups.Tuple.tuple("check.contains", "build #42 ok"));
  }

  @Test
  void invalidAddressLiterals_areInvalidAddresses_notUnresolvableHosts() {
    assertThatThrownBy(() -> load("backend a = 300.1.1.1:80"))
        .hasMessage(at(1) + "backend a: '300.1.1.1' is not a valid IPv4 address (four numbers 0..255 without leading zeros, such as 192.0.2.10)");
    assertThatThrownBy(() -> load("backend a = 10.1:80")).hasMessageContaining("'10.1' is not a valid IPv4 address");
    assertThatThrownBy(() -> load("backend a = 010.0.0.1:80")).hasMessageContaining("'010.0.0.1' is not a valid IPv4 address");
    assertThatThrownBy(() -> load("listen = [1::2::3]:80")).hasMessage(at(1) + "listen: '1::2::3' is not a valid IPv6 address");
    assertThatThrownBy(() -> load("backend a = no-such-host.invalid:80"))
        .hasMessage(at(1) + "backend a names a host that does not resolve: 'no-such-host.invalid'");
  }
}
