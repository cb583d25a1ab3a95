package io.github.lb4j.nat.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapRoundTripTest {

  @TempDir Path dir;

  @Test
  void framesWritten_areReadBackWithTheirTimestamps() throws IOException {
    Path f = dir.resolve("a.pcap");
    ByteBuffer b = ByteBuffer.allocate(100);
    for (int i = 0; i < 100; i++) {
      b.put(i, (byte) i);
    }
    try (PcapWriter w = PcapWriter.create(f)) {
      w.write(1_700_000_000_123_456_789L, b, 10, 60);
      w.write(1_700_000_001_000_000_000L, b, 0, 14);
    }
    List<PcapReader.Record> all = PcapReader.readAll(f);
    assertThat(all).hasSize(2);
    assertThat(all.get(0).timestampNanos()).isEqualTo(1_700_000_000_123_456_789L);
    assertThat(all.get(0).data()).hasSize(60).startsWith((byte) 10, (byte) 11);
    assertThat(all.get(1).originalLength()).isEqualTo(14);
    assertThat(Files.size(f)).isEqualTo(24 + 16 + 60 + 16 + 14);
  }

  @Test
  void aFileThatIsNotPcap_isRejectedNamingTheMagic() throws IOException {
    Path f = dir.resolve("b.pcap");
    Files.write(f, new byte[24]);
    assertThatThrownBy(() -> PcapReader.readAll(f)).isInstanceOf(IOException.class).hasMessageContaining("magic 0x0");
  }
}
