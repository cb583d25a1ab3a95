package io.github.lb4j.nat;

import static io.github.lb4j.nat.Lab.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.nat.pcap.ExternalTools;
import io.github.lb4j.nat.pcap.PcapWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The packet walk of every mode, IPv4 and IPv6 (written to {@code target/traces/} as text and pcap,
 * and shown in the README), and the independent decoder over all of their frames: tshark must
 * decode every frame with every checksum valid, IPIP inner and outer headers as written.
 */
class ModeTraceTest {

  private static final Path OUT = Path.of("target", "traces");

  private static List<NatTrace> walks() throws Exception {
    Files.createDirectories(OUT);
    List<NatTrace> all = new ArrayList<>();
    for (ForwardingMode mode : ForwardingMode.values()) {
      for (boolean six : new boolean[] {false, true}) {
        PacketTranslator t = translator(mode, six);
        NatTrace trace = NatTrace.walk(t, six ? CLIENT6 : CLIENT4, 40000, GW_MAC, six ? VIP6 : VIP4, 80);
        String name = mode.modeName() + (six ? "-ipv6" : "-ipv4");
        Files.writeString(OUT.resolve(name + ".txt"), trace.format());
        trace.writePcap(OUT.resolve(name + ".pcap"));
        all.add(trace);
      }
    }
    return all;
  }

  @Test
  void everyModeWalk_showsEachHopAndWhatChanged() throws Exception {
    List<NatTrace> all = walks();
    for (NatTrace t : all) {
      String text = t.format();
      assertThat(t.hops().size()).as(text).isGreaterThanOrEqualTo(3);
      assertThat(text).as(text).contains("1. client -> balancer").contains("changed:").doesNotContain("drop(");
    }
    for (NatTrace t : all) {
      for (NatTrace.Hop h : t.hops()) {
        if (h.title().startsWith("balancer")) {
          // what the balancer sends never stays addressed to itself (transparent, S6.1a, included)
          assertThat(h.line()).as(t.format()).doesNotContain("> " + LB_MAC + " |").startsWith("eth " + LB_MAC + " >");
        }
      }
    }
    String transparent = all.get(0).format();
    assertThat(transparent).contains("dst mac 02:00:00:00:00:fe -> 02:00:00:00:00:01");
    String router = all.get(2).format();
    assertThat(router).contains("ttl 64 -> 63").contains("dst 203.0.113.10:80 -> 198.51.100.11:8080");
    String ipip = all.get(6).format();
    assertThat(ipip).contains("outer header (none) -> 198.51.100.1 > 198.51.100.11 ipip");
    String fullNat = all.get(10).format();
    assertThat(fullNat).contains("src 192.0.2.1:40000 -> 198.51.100.2:1025");
    System.out.println(String.join("\n", all.stream().map(NatTrace::format).toList()));
  }

  @Test
  void tshark_decodesEveryModesFramesWithValidChecksums() throws Exception {
    String tshark = ExternalTools.require("tshark");
    List<NatTrace> all = walks();
    Path pcap = OUT.resolve("every-mode.pcap");
    int frames = 0;
    List<String> expectedIpip = new ArrayList<>();
    try (PcapWriter w = PcapWriter.create(pcap)) {
      long t = 1_700_000_000_000_000_000L;
      for (NatTrace trace : all) {
        for (NatTrace.Hop h : trace.hops()) {
          w.write(t += 1000, ByteBuffer.wrap(h.frame()), 0, h.frame().length);
          frames++;
          if (h.line().contains(" ipip") || h.line().contains(" ip6ip6")) {
            expectedIpip.add(String.valueOf(frames));
          }
        }
      }
    }
    List<String> lines = ExternalTools.run(List.of(tshark, "-r", pcap.toString(), "-o", "ip.check_checksum:TRUE",
        "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=|",
        "-e", "frame.number", "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.checksum.status", "-e", "tcp.checksum.status",
        "-e", "tcp.srcport", "-e", "ip.dsfield.dscp", "-e", "ipv6.tclass.dscp"));
    assertThat(lines).hasSize(frames);
    assertThat(expectedIpip).hasSize(2);
    for (String line : lines) {
      String[] f = line.split("\\|", -1);
      for (String status : (f[3] + "," + f[4]).split(",")) {
        assertThat(status).as(line).isIn("", "1");
      }
      assertThat(f[4]).as("every frame carries a checked TCP segment: " + line).isEqualTo("1");
      if (expectedIpip.contains(f[0])) {
        // outer and inner headers both decoded, as written
        assertThat(f[1] + f[2]).as(line).matches("198\\.51\\.100\\.1,192\\.0\\.2\\.1|2001:db8:3::1,2001:db8:2::1");
      }
    }
    assertThat(lines).anySatisfy(l -> assertThat(l.split("\\|", -1)[6]).isEqualTo(String.valueOf(DSCP)));
  }
}
