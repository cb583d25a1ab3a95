package io.github.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** RFC 5952 §4 and §5 text of IPv6 addresses, with the examples of the RFC and its edge cases. */
class AddressesTest {

  private static String text(String literal) throws Exception {
    return Addresses.format(InetAddress.getByName(literal));
  }

  @Test
  void ipv6_isCompressedLowercase_withoutLeadingZeros() throws Exception {
    assertThat(text("0:0:0:0:0:0:0:1")).isEqualTo("::1");
    assertThat(text("0:0:0:0:0:0:0:0")).isEqualTo("::");
    assertThat(text("2001:0DB8:0000:0000:0000:0000:0000:0001")).isEqualTo("2001:db8::1");
    assertThat(text("2001:db8:0:0:0:0:2:1")).isEqualTo("2001:db8::2:1");
    assertThat(text("fe80:0:0:0:0:0:0:0")).isEqualTo("fe80::");
  }

  @Test
  void ipv6_shortensTheLongestRun_theFirstOnATie_andNeverASingleZero() throws Exception {
    assertThat(text("2001:0:0:1:0:0:0:1")).as("§4.2.3 longest run").isEqualTo("2001:0:0:1::1");
    assertThat(text("2001:db8:0:0:1:0:0:1")).as("§4.2.3 first on a tie").isEqualTo("2001:db8::1:0:0:1");
    assertThat(text("2001:db8:0:1:1:1:1:1")).as("§4.2.2 one zero group stays").isEqualTo("2001:db8:0:1:1:1:1:1");
  }

  @Test
  void ipv4Mapped_isMixedNotation() throws Exception {
    byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 192, 0, 2, 1};
    assertThat(Addresses.format(Inet6Address.getByAddress(null, mapped, -1))).isEqualTo("::ffff:192.0.2.1");
  }

  @Test
  void withAPort_ipv6IsBracketed() throws Exception {
    assertThat(Addresses.format(new InetSocketAddress(InetAddress.getByName("::1"), 8080))).isEqualTo("[::1]:8080");
    assertThat(Addresses.format(new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 80))).isEqualTo("192.0.2.10:80");
    assertThat(Addresses.format(InetSocketAddress.createUnresolved("example.invalid", 80))).isEqualTo("example.invalid:80");
    assertThat(Backend.of("web-1", InetAddress.getByName("2001:db8::10"), 80).toString()).isEqualTo("web-1([2001:db8::10]:80 w=1)");
  }
}
