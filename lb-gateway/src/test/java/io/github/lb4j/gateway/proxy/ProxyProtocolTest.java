package io.github.lb4j.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Golden bytes of the PROXY protocol header (HAProxy's proxy-protocol.txt, sections 2.1 and 2.2). */
class ProxyProtocolTest {

  private static InetSocketAddress at(String ip, int port) throws UnknownHostException {
    return new InetSocketAddress(InetAddress.getByName(ip), port);
  }

  private static byte[] write(ProxyProtocol p, InetSocketAddress client, InetSocketAddress proxy) {
    ByteBuffer b = ByteBuffer.allocate(256);
    p.write(client, proxy, b);
    return Arrays.copyOf(b.array(), b.position());
  }

  @Test
  void v1_ipv4_isOneTextLine() throws Exception {
    byte[] h = write(ProxyProtocol.V1, at("192.0.2.7", 51234), at("198.51.100.1", 443));
    assertThat(new String(h, StandardCharsets.US_ASCII)).isEqualTo("PROXY TCP4 192.0.2.7 198.51.100.1 51234 443\r\n");
  }

  @Test
  void v1_ipv6_writesTCP6() throws Exception {
    byte[] h = write(ProxyProtocol.V1, at("2001:db8::7", 1), at("2001:db8::1", 80));
    assertThat(new String(h, StandardCharsets.US_ASCII)).isEqualTo("PROXY TCP6 2001:db8::7 2001:db8::1 1 80\r\n");
  }

  @Test
  void v2_ipv4_goldenBytes() throws Exception {
    byte[] h = write(ProxyProtocol.V2, at("192.0.2.7", 51234), at("198.51.100.1", 443));
    assertThat(h).containsExactly(
        // signature
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
        // version 2, command PROXY
        0x21,
        // AF_INET, STREAM
        0x11,
        // address block length 12
        0x00, 0x0C,
        // source 192.0.2.7, destination 198.51.100.1
        0xC0, 0x00, 0x02, 0x07, 0xC6, 0x33, 0x64, 0x01,
        // source port 51234, destination port 443
        0xC8, 0x22, 0x01, 0xBB);
  }

  @Test
  void v2_ipv6_hasA36ByteAddressBlock() throws Exception {
    byte[] h = write(ProxyProtocol.V2, at("2001:db8::7", 1), at("2001:db8::1", 80));
    assertThat(h).hasSize(16 + 36);
    assertThat(h[13]).isEqualTo((byte) 0x21);
    assertThat(h[15]).isEqualTo((byte) 36);
    assertThat(Arrays.copyOfRange(h, 16, 20)).containsExactly(0x20, 0x01, 0x0D, 0xB8);
  }

  @Test
  void v2_mixedFamilies_writeBothAsIpv6() throws Exception {
    byte[] h = write(ProxyProtocol.V2, at("192.0.2.7", 1), at("2001:db8::1", 80));
    assertThat(h[13]).isEqualTo((byte) 0x21);
    assertThat(Arrays.copyOfRange(h, 16, 32)).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 7);
  }

  @Test
  void none_writesNothing_andParseNamesTheValue() throws Exception {
    assertThat(write(ProxyProtocol.NONE, at("192.0.2.7", 1), at("192.0.2.1", 2))).isEmpty();
    assertThat(ProxyProtocol.parse("V2")).isEqualTo(ProxyProtocol.V2);
    assertThatThrownBy(() -> ProxyProtocol.parse("2")).hasMessage("proxy-protocol must be none, v1 or v2, was '2'");
  }
}
