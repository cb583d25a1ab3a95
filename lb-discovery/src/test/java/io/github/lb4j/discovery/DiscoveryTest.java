package io.github.lb4j.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Source specs as a command line gives them. */
class DiscoveryTest {

  @TempDir Path dir;

  @Test
  void eachSpec_namesItsSource() throws Exception {
    assertThat(Discovery.parse("dns-srv:_http._tcp.example.test")).hasToString(
        "DnsMembership{SRV _http._tcp.example.test via the system's DNS servers}");
    assertThat(Discovery.parse("srv:_http._tcp.example.test")).isInstanceOf(DnsMembership.class);
    assertThat(Discovery.parse("dns:web.example.test:8080")).hasToString(
        "DnsMembership{A/AAAA web.example.test port 8080 via the system's DNS servers}");
    Path file = dir.resolve("b.txt");
    Files.writeString(file, "192.0.2.1:80\n");
    assertThat(Discovery.parse("file:" + file)).isInstanceOf(FileMembership.class);
  }

  @Test
  void malformedSpecs_sayWhatIsExpected() {
    assertThatThrownBy(() -> Discovery.parse("consul:web")).hasMessage(
        "discovery source 'consul:web': expected srv:NAME (or dns-srv:NAME), dns:NAME:PORT or file:PATH");
    assertThatThrownBy(() -> Discovery.parse("_http._tcp.example.test")).hasMessageContaining("expected srv:NAME");
    assertThatThrownBy(() -> Discovery.parse("dns:web.example.test")).hasMessageContaining("dns:NAME:PORT");
    assertThatThrownBy(() -> Discovery.parse("dns:web.example.test:http")).hasMessageContaining("numeric port");
    assertThatThrownBy(() -> Discovery.parse("dns:web.example.test:0")).hasMessage(
        "discovery source 'dns:web.example.test:0': port must be 1..65535, was 0");
    assertThatThrownBy(() -> Discovery.parse("srv:")).hasMessageContaining("a service name");
    assertThatThrownBy(() -> Discovery.parse("file:" + dir.resolve("none.txt"))).hasMessageContaining("none.txt");
  }
}
