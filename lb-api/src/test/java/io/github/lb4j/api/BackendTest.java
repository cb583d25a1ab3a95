package io.github.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class BackendTest {

  private static final InetAddress RIP = address("192.0.2.10");

  static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void of_givesDefaultWeightAndNoMac() {
    Backend b = Backend.of("web-1", RIP, 8080);
    assertThat(b.id()).isEqualTo("web-1");
    assertThat(b.address()).isEqualTo(RIP);
    assertThat(b.port()).isEqualTo(8080);
    assertThat(b.weight()).isEqualTo(Backend.DEFAULT_WEIGHT);
    assertThat(b.mac()).isNull();
    assertThat(b.isDraining()).isFalse();
  }

  @Test
  void weightZero_meansDrain() {
    assertThat(Backend.of("a", RIP, 80).withWeight(0).isDraining()).isTrue();
  }

  @Test
  void invalidPort_namesFieldAndValue() {
    assertThatThrownBy(() -> Backend.of("a", RIP, 65_536))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port")
        .hasMessageContaining("65536");
    assertThatThrownBy(() -> Backend.of("a", RIP, -1)).hasMessageContaining("-1");
  }

  @Test
  void invalidWeight_namesFieldValueAndBackend() {
    assertThatThrownBy(() -> Backend.of("web-2", RIP, 80).withWeight(-3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weight")
        .hasMessageContaining("-3")
        .hasMessageContaining("web-2");
    assertThatThrownBy(() -> Backend.of("a", RIP, 80).withWeight(Backend.MAX_WEIGHT + 1))
        .hasMessageContaining(String.valueOf(Backend.MAX_WEIGHT + 1));
  }

  @Test
  void blankId_isRejected() {
    assertThatThrownBy(() -> Backend.of("  ", RIP, 80))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("id");
  }

  @Test
  void unresolvedSocketAddress_isRejected() {
    assertThatThrownBy(() -> Backend.of("a", InetSocketAddress.createUnresolved("example.invalid", 80)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resolved");
  }

  @Test
  void equality_coversEveryField() {
    Backend a = Backend.of("a", RIP, 80).withWeight(3).withMac(MacAddress.parse("02:00:00:00:00:01"));
    Backend same = Backend.of("a", RIP, 80).withWeight(3).withMac(MacAddress.parse("02:00:00:00:00:01"));
    assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
    assertThat(a).isNotEqualTo(same.withWeight(4));
    assertThat(a).isNotEqualTo(same.withMac(null));
    assertThat(a).isNotEqualTo(Backend.of("b", RIP, 80).withWeight(3).withMac(a.mac()));
    assertThat(a).isNotEqualTo(Backend.of("a", RIP, 81).withWeight(3).withMac(a.mac()));
    assertThat(a).isNotEqualTo(Backend.of("a", address("192.0.2.11"), 80).withWeight(3).withMac(a.mac()));
  }

  @Test
  void toString_bracketsIpv6() {
    assertThat(Backend.of("v6", address("2001:db8::1"), 443).toString()).contains("[2001:db8::1]:443");
    assertThat(Backend.of("v4", RIP, 80).toString()).contains("192.0.2.10:80");
  }
}
