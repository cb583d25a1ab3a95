package io.github.lb4j.nat.header;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.nat.pcap.ExternalTools;
import io.github.lb4j.nat.pcap.PcapWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The independent decoder: one frame of every kind goes into a pcap, tshark decodes it with
 * checksum validation on, and the fields it reports must be the ones written, every checksum good.
 */
class TsharkDecodesEveryHeaderTest {

  @TempDir Path dir;

  private static final long DB8 = 0x2001_0db8_0000_0000L;

  @Test
  void everyFrameKind_decodesAsWrittenWithValidChecksums() throws Exception {
    String tshark = ExternalTools.require("tshark");
    List<ByteBuffer> frames = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    FrameBuilder v4 = new FrameBuilder().macs(0x0200_0000_0001L, 0x0200_0000_0002L)
        .ipv4(Hex.v4(192, 0, 2, 1), Hex.v4(203, 0, 113, 5)).ports(40000, 80).payload(5);
    FrameBuilder v6 = new FrameBuilder().macs(0x0200_0000_0001L, 0x0200_0000_0002L).ipv6(DB8, 1, DB8, 0x100)
        .ports(40001, 443).payload(3);
    add(frames, b -> v4.tcpFlags(TcpFlyweight.SYN).writeTcp(b, 0));
    expected.add("tcp|192.0.2.1|203.0.113.5|||40000|80|||||");
    add(frames, b -> v4.vlan(100).writeUdp(b, 0));
    expected.add("udp|192.0.2.1|203.0.113.5|||||40000|80|||100");
    add(frames, b -> v4.vlan(-1).udpChecksum(false).writeUdp(b, 0));
    expected.add("udp|192.0.2.1|203.0.113.5|||||40000|80|||");
    add(frames, b -> v4.ipv4Options(2).writeEcho(b, 0, true));
    expected.add("icmp|192.0.2.1|203.0.113.5|||||||8||");
    add(frames, b -> v4.ipv4Options(0).tcpOptions(3).tcpFlags(TcpFlyweight.ACK | TcpFlyweight.PSH).writeTcp(b, 0));
    expected.add("tcp|192.0.2.1|203.0.113.5|||40000|80|||||");
    add(frames, b -> v6.tcpFlags(TcpFlyweight.SYN).writeTcp(b, 0));
    expected.add("tcp|||2001:db8::1|2001:db8::100|40001|443|||||");
    add(frames, b -> v6.ipv6Extensions(true, false).writeUdp(b, 0));
    expected.add("udp|||2001:db8::1|2001:db8::100|||40001|443|||");
    add(frames, b -> v6.ipv6Extensions(false, false).writeEcho(b, 0, true));
    expected.add("icmpv6|||2001:db8::1|2001:db8::100||||||128|");
    add(frames, b -> v6.writeNeighborSolicitation(b, 0));
    expected.add("icmpv6|||2001:db8::1|ff02::1:ff00:100||||||135|");
    add(frames, b -> new FrameBuilder().macs(0xFFFF_FFFF_FFFFL, 2).ipv4(Hex.v4(192, 0, 2, 1), Hex.v4(192, 0, 2, 10))
        .writeArpRequest(b, 0));
    expected.add("arp|||||||||||");
    add(frames, b -> {
      int n = v4.tcpOptions(0).tcpFlags(TcpFlyweight.SYN).writeTcp(b, 64);
      int start = Encapsulation.pushIpv4(b, 64, 14, n - 14, false, Hex.v4(198, 51, 100, 1), Hex.v4(198, 51, 100, 10),
          64, 0, 0);
      return -start - 1;
    });
    expected.add("tcp|198.51.100.1,192.0.2.1|198.51.100.10,203.0.113.5|||40000|80|||||");
    add(frames, b -> {
      int n = v6.writeEcho(b, 64, true);
      int start = Encapsulation.pushIpv6(b, 64, 14, n - 14, true, 0x2001_0db8_0001_0000L, 1, 0x2001_0db8_0001_0000L, 0x10,
          64, 0, 0);
      return -start - 1;
    });
    expected.add("icmpv6|||2001:db8:1::1,2001:db8::1|2001:db8:1::10,2001:db8::100||||||128|");
    Path pcap = dir.resolve("every-header.pcap");
    try (PcapWriter w = PcapWriter.create(pcap)) {
      long t = 1_700_000_000_000_000_000L;
      for (ByteBuffer f : frames) {
        w.write(t += 1000, f, f.position(), f.limit() - f.position());
      }
    }
    List<String> lines = ExternalTools.run(List.of(tshark, "-r", pcap.toString(), "-o", "ip.check_checksum:TRUE",
        "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=|",
        "-e", "_ws.col.Protocol", "-e", "ip.src", "-e", "ip.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
        "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "icmp.type",
        "-e", "icmpv6.type", "-e", "vlan.id",
        "-e", "ip.checksum.status", "-e", "tcp.checksum.status", "-e", "udp.checksum.status",
        "-e", "icmp.checksum.status", "-e", "icmpv6.checksum.status", "-e", "_ws.expert.severity"));
    assertThat(lines).hasSize(frames.size());
    for (int i = 0; i < lines.size(); i++) {
      String[] f = lines.get(i).split("\\|", -1);
      String fields = String.join("|", java.util.Arrays.copyOfRange(f, 0, 12)).toLowerCase(java.util.Locale.ROOT);
      assertThat(fields).as("frame %d", i + 1).isEqualTo(expected.get(i));
      for (int c = 12; c < 17; c++) {
        for (String status : f[c].split(",")) {
          // Wireshark's PROTO_CHECKSUM_E_GOOD is 1; 3 is "not present" (UDP checksum 0 over IPv4)
          assertThat(status).as("frame %d checksum column %d: %s", i + 1, c, lines.get(i)).isIn("", "1", "3");
          if (status.equals("3")) {
            assertThat(i).as("only the zero UDP checksum is absent").isEqualTo(2);
          }
        }
      }
    }
  }

  interface Writer {
    int write(ByteBuffer b);
  }

  private static void add(List<ByteBuffer> frames, Writer w) {
    ByteBuffer b = ByteBuffer.allocate(256);
    int n = w.write(b);
    if (n < 0) {
      int start = -n - 1;
      FrameParser p = new FrameParser();
      p.parse(b, start, 256 - start);
      b.position(start).limit(p.l3End());
    } else {
      b.position(0).limit(n);
    }
    frames.add(b);
  }
}
