package io.github.lb4j.health.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry finds every method of lb-health by name and rejects bad options with a clear message. */
class RegistryTest {

  @Test
  void descriptions_listEveryMethod() {
    assertThat(HealthCheckers.descriptions().keySet())
        .contains("tcp", "tcp-half-open", "http", "http-content", "udp", "tls", "tcp-script", "icmp", "agent");
  }

  @Test
  void create_givesCheckerNamedAfterMethod() {
    try (HealthChecker c = HealthCheckers.create("tcp", Map.of("close", "rst"))) {
      assertThat(c.name()).isEqualTo("tcp");
    }
  }

  @Test
  void icmp_withoutLbHealthLinux_saysWhatIsNeeded() {
    assertThatThrownBy(() -> HealthCheckers.create("icmp", Map.of()))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("lb-health-linux on JDK 22+");
  }

  @Test
  void tcpHalfOpen_rawWithoutLbHealthLinux_saysWhatIsNeeded() {
    assertThatThrownBy(() -> HealthCheckers.create("tcp-half-open", Map.of("way", "raw")))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("way=raw")
        .hasMessageContaining("lb-health-linux on JDK 22+");
  }

  @Test
  void unknownOption_isNamedWithTheKnownOnes() {
    assertThatThrownBy(() -> HealthCheckers.create("http", Map.of("paht", "/")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown option 'paht'")
        .hasMessageContaining("path");
  }

  @Test
  void badValues_nameOptionAndValue() {
    assertThatThrownBy(() -> HealthCheckers.create("tcp", Map.of("close", "slam")))
        .hasMessageContaining("option 'close'").hasMessageContaining("fin|rst").hasMessageContaining("'slam'");
    assertThatThrownBy(() -> HealthCheckers.create("http", Map.of("expect-status", "200-1000")))
        .hasMessageContaining("expect-status").hasMessageContaining("200-1000");
    assertThatThrownBy(() -> HealthCheckers.create("http", Map.of("expect-status", "abc")))
        .hasMessageContaining("expect-status");
    assertThatThrownBy(() -> HealthCheckers.create("http", Map.of("path", "no-slash")))
        .hasMessageContaining("option 'path'");
    assertThatThrownBy(() -> HealthCheckers.create("http", Map.of("sni", "example.com")))
        .hasMessageContaining("tls=true");
    assertThatThrownBy(() -> HealthCheckers.create("http", Map.of("tls", "true", "sni", "127.0.0.1")))
        .hasMessageContaining("option 'sni'");
    assertThatThrownBy(() -> HealthCheckers.create("http-content", Map.of()))
        .hasMessageContaining("exactly one of the options 'contains' and 'regex'");
    assertThatThrownBy(() -> HealthCheckers.create("http-content", Map.of("regex", "(")))
        .hasMessageContaining("option 'regex'");
    assertThatThrownBy(() -> HealthCheckers.create("http-content", Map.of("contains", "x", "max-body-bytes", "0")))
        .hasMessageContaining("max-body-bytes");
    assertThatThrownBy(() -> HealthCheckers.create("tcp-script", Map.of()))
        .hasMessageContaining("step.<n>");
    assertThatThrownBy(() -> HealthCheckers.create("tcp-script", Map.of("step.1", "shout x")))
        .hasMessageContaining("option 'step.1'");
    assertThatThrownBy(() -> HealthCheckers.create("udp", Map.of("send", "\\xZZ")))
        .hasMessageContaining("option 'send'");
    assertThatThrownBy(() -> HealthCheckers.create("tcp-half-open", Map.of("way", "magic")))
        .hasMessageContaining("unprivileged|raw");
  }

  @Test
  void badTimeout_isRejected() {
    try (HealthChecker c = HealthCheckers.create("tcp", Map.of())) {
      assertThatThrownBy(() -> c.check(new java.net.InetSocketAddress("127.0.0.1", 1), java.time.Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
    }
  }

  @Test
  void statusSet_parsesCodesAndRanges() {
    Options o = Options.of("http", Map.of("expect-status", "200-204, 302,404"), java.util.Set.of("expect-status"));
    StatusSet s = StatusSet.parse(o, "expect-status", "200");
    assertThat(s.contains(200)).isTrue();
    assertThat(s.contains(204)).isTrue();
    assertThat(s.contains(205)).isFalse();
    assertThat(s.contains(302)).isTrue();
    assertThat(s.contains(404)).isTrue();
    assertThat(s.contains(500)).isFalse();
  }

  @Test
  void payloadEscapes_areDecoded() {
    Options o = Options.of("udp", Map.of(), java.util.Set.of("send"));
    assertThat(o.unescapeValue("send", "a\\r\\n\\t\\0\\\\\\x41")).containsExactly('a', '\r', '\n', '\t', 0, '\\', 'A');
  }
}
