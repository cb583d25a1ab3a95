package io.github.lb4j.nat;

import io.github.lb4j.nat.pcap.ExternalTools;
import io.github.lb4j.nat.pcap.PcapWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The independent decoder for the translator tests: writes frames to a pcap and has tshark decode
 * them with every checksum check on, one line of {@code |}-separated fields per frame. Skips the
 * test with a printed reason when tshark is missing (fails under {@code LB_REQUIRE_PRIVILEGED=1}).
 */
final class Tshark {

  private Tshark() {}

  static List<String[]> decode(String name, List<byte[]> frames, String... fields) throws Exception {
    String tshark = ExternalTools.require("tshark");
    Path dir = Files.createDirectories(Path.of("target", "tshark"));
    Path pcap = dir.resolve(name + ".pcap");
    try (PcapWriter w = PcapWriter.create(pcap)) {
      long t = 1_700_000_000_000_000_000L;
      for (byte[] f : frames) {
        w.write(t += 1000, ByteBuffer.wrap(f), 0, f.length);
      }
    }
    List<String> cmd = new ArrayList<>(List.of(tshark, "-r", pcap.toString(), "-o", "ip.check_checksum:TRUE",
        "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields", "-E", "separator=|",
        "-E", "occurrence=a", "-E", "aggregator=,"));
    for (String f : fields) {
      cmd.add("-e");
      cmd.add(f);
    }
    List<String[]> rows = new ArrayList<>();
    for (String line : ExternalTools.run(cmd)) {
      rows.add(line.split("\\|", -1));
    }
    if (rows.size() != frames.size()) {
      throw new AssertionError("tshark decoded " + rows.size() + " frames of " + frames.size());
    }
    return rows;
  }
}
