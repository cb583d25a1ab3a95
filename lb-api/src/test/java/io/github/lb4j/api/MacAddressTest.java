package io.github.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MacAddressTest {

  @Test
  void parse_readsOctetsInTransmissionOrder() {
    MacAddress mac = MacAddress.parse("02:00:5E:10:00:01");
    assertThat(mac.toLong()).isEqualTo(0x02005E100001L);
    assertThat(mac.toBytes()).containsExactly(0x02, 0x00, 0x5E, 0x10, 0x00, 0x01);
    assertThat(mac.toString()).isEqualTo("02:00:5e:10:00:01");
  }

  @Test
  void hyphenForm_isAccepted() {
    assertThat(MacAddress.parse("02-00-5e-10-00-01")).isEqualTo(MacAddress.parse("02:00:5e:10:00:01"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "02:00:5e:10:00", "02:00:5e:10:00:0g", "02:00-5e:10:00:01", "0200.5e10.0001xx"})
  void malformedText_isRejectedWithTheText(String text) {
    assertThatThrownBy(() -> MacAddress.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'");
  }

  @Test
  void ofLong_rejectsMoreThan48Bits() {
    assertThatThrownBy(() -> MacAddress.ofLong(1L << 48)).hasMessageContaining("48 bits");
  }

  @Test
  void of_requiresSixOctets() {
    assertThatThrownBy(() -> MacAddress.of(new byte[5])).hasMessageContaining("was 5");
  }

  @Test
  void bytesRoundTrip() {
    byte[] octets = {(byte) 0xfe, 0x12, 0x34, 0x56, 0x78, (byte) 0x9a};
    assertThat(MacAddress.of(octets).toBytes()).isEqualTo(octets);
    assertThat(MacAddress.ofLong(MacAddress.of(octets).toLong())).isEqualTo(MacAddress.of(octets));
  }

  @Test
  void multicastBit_isTheLowBitOfTheFirstOctet() {
    assertThat(MacAddress.BROADCAST.isMulticast()).isTrue();
    assertThat(MacAddress.parse("01:00:5e:00:00:01").isMulticast()).isTrue();
    assertThat(MacAddress.parse("02:00:5e:00:00:01").isMulticast()).isFalse();
  }

  @Test
  void equalityAndHash() {
    assertThat(MacAddress.parse("02:00:00:00:00:01"))
        .isEqualTo(MacAddress.ofLong(0x020000000001L))
        .hasSameHashCodeAs(MacAddress.ofLong(0x020000000001L))
        .isNotEqualTo(MacAddress.ofLong(0x020000000002L));
  }
}
