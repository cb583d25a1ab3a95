package io.github.lb4j.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Endpoints as the gateway prints them: IPv6 in brackets and in RFC 5952 form. */
class EndpointsTest {

  private static String text(String address, int port) throws Exception {
    return Endpoints.format(InetAddress.getByName(address), port);
  }

  @Test
  void ipv6_isBracketed_andCompressedAsRfc5952Says() throws Exception {
    // section 4.2.1: the longest run of zero groups becomes "::"; 4.3: lowercase; 4.1: no leading zeros
    assertThat(text("2001:0DB8:0000:0000:0000:0000:0002:0001", 80)).isEqualTo("[2001:db8::2:1]:80");
    // 4.2.3: of two equal runs the first is shortened
    assertThat(text("2001:db8:0:0:1:0:0:1", 8080)).isEqualTo("[2001:db8::1:0:0:1]:8080");
    // 4.2.2: a single zero group is not shortened
    assertThat(text("2001:db8:0:1:1:1:1:1", 443)).isEqualTo("[2001:db8:0:1:1:1:1:1]:443");
    assertThat(text("::1", 53)).isEqualTo("[::1]:53");
    assertThat(text("2001:db8::80", 0)).as("no port").isEqualTo("[2001:db8::80]");
  }

  @Test
  void ipv4_isDottedWithoutBrackets() throws Exception {
    assertThat(text("192.0.2.1", 80)).isEqualTo("192.0.2.1:80");
    assertThat(text("192.0.2.1", 0)).isEqualTo("192.0.2.1");
  }

  @Test
  void aSocketAddress_printsAsParseReadsIt() throws Exception {
    InetSocketAddress a = Endpoints.parse("--listen", "[2001:DB8:0:0::1]:8080");
    assertThat(Endpoints.format(a)).isEqualTo("[2001:db8::1]:8080");
    assertThat(Endpoints.parse("--listen", Endpoints.format(a))).isEqualTo(a);
  }
}
