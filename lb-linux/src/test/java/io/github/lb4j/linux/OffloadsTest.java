package io.github.lb4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.testing.Requirements;
import io.github.lb4j.testing.Shell;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Frames as the kernel hands them to a packet socket with offloads (partial checksums, GSO
 * super-frames with their virtio_net_hdr, a stripped VLAN tag), built byte by byte here, and what
 * {@link Offloads} makes of them, checked by {@link WireCheck}'s independent parse and, where
 * installed, by tshark.
 */
class OffloadsTest {

  private static final byte[] SRC4 = {(byte) 192, 0, 2, 1};
  private static final byte[] DST4 = {(byte) 192, 0, 2, 2};
  private static final byte[] SRC6 = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  private static final byte[] DST6 = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

  private Arena arena;
  private long[] counts;
  private Offloads offloads;
  private MemorySegment in;

  @BeforeEach
  void setUp() {
    arena = Arena.ofConfined();
    counts = new long[PacketSocket.Counter.values().length];
    offloads = new Offloads(arena, counts);
    in = arena.allocate(Offloads.HEAD + Offloads.MAX_FRAME, 8);
  }

  @AfterEach
  void tearDown() {
    arena.close();
  }

  /** A TCP or UDP frame over IPv4 or IPv6 with a payload of {@code n} bytes, checksums left as the sender leaves them for offload. */
  static byte[] frame(boolean v6, int protocol, int n, long seq, int flags, int id) {
    ByteBuffer b = ByteBuffer.allocate(14 + 40 + 32 + n);
    b.put(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).putShort((short) (v6 ? 0x86DD : 0x0800));
    int l4Length = (protocol == 6 ? 32 : 8) + n;
    if (v6) {
      b.putInt(0x6000_0000).putShort((short) l4Length).put((byte) protocol).put((byte) 64).put(SRC6).put(DST6);
    } else {
      b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4Length)).putShort((short) id).putShort((short) 0x4000)
          .put((byte) 64).put((byte) protocol).putShort((short) 0).put(SRC4).put(DST4);
      byte[] a = b.array();
      b.putShort(14 + 10, (short) (~WireCheck.onesComplementSum(a, 14, 34, 0) & 0xFFFF));
    }
    int l4 = b.position();
    if (protocol == 6) {
      // 12 bytes of options (NOP, NOP, timestamps) after the 20-byte header: data offset 8
      b.putShort((short) 40000).putShort((short) 8080).putInt((int) seq).putInt(777).put((byte) 0x80).put((byte) flags)
          .putShort((short) 65535).putShort((short) 0).putShort((short) 0)
          .put(new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2});
    } else {
      b.putShort((short) 5353).putShort((short) 53).putShort((short) l4Length).putShort((short) 0);
    }
    for (int i = 0; i < n; i++) {
      b.put((byte) (i * 7 + 3));
    }
    byte[] f = b.array();
    // CHECKSUM_PARTIAL: the field holds the pseudo-header sum, folded, not complemented
    long pseudo = protocol + l4Length;
    int l3 = 14;
    for (int i = v6 ? 8 : 12; i < (v6 ? 40 : 20); i += 2) {
      pseudo += WireCheck.u16(f, l3 + i);
    }
    int partial = WireCheck.onesComplementSum(new byte[0], 0, 0, pseudo);
    int field = l4 + (protocol == 6 ? 16 : 6);
    f[field] = (byte) (partial >> 8);
    f[field + 1] = (byte) partial;
    return java.util.Arrays.copyOf(f, l4 + l4Length);
  }

  static int l4Offset(byte[] f) {
    return WireCheck.u16(f, 12) == 0x86DD ? 54 : 34;
  }

  /** Places the frame at HEAD of {@code in} behind a virtio_net_hdr. */
  private void load(byte[] f, int flags, int gso, int gsoSize, int csumStart, int csumOffset) {
    long v = Offloads.HEAD - Offloads.VNET_HDR_LEN;
    in.set(ValueLayout.JAVA_BYTE, v, (byte) flags);
    in.set(ValueLayout.JAVA_BYTE, v + 1, (byte) gso);
    in.set(ValueLayout.JAVA_SHORT_UNALIGNED, v + 2, (short) 0);
    in.set(ValueLayout.JAVA_SHORT_UNALIGNED, v + 4, (short) gsoSize);
    in.set(ValueLayout.JAVA_SHORT_UNALIGNED, v + 6, (short) csumStart);
    in.set(ValueLayout.JAVA_SHORT_UNALIGNED, v + 8, (short) csumOffset);
    MemorySegment.copy(f, 0, in, ValueLayout.JAVA_BYTE, Offloads.HEAD, f.length);
  }

  private byte[] out() {
    return offloads.memory().asSlice(offloads.offset(), offloads.length()).toArray(ValueLayout.JAVA_BYTE);
  }

  private List<byte[]> segments(byte[] f, int gso, int mss, int tag) {
    int l4 = l4Offset(f);
    load(f, Offloads.F_NEEDS_CSUM, gso, mss, l4, gso == Offloads.GSO_UDP_L4 ? 6 : 16);
    assertThat(offloads.prepare(in, Offloads.HEAD, f.length, 0, tag)).isEqualTo(Offloads.SEGMENTED);
    List<byte[]> out = new ArrayList<>();
    while (offloads.nextSegment()) {
      out.add(out());
    }
    return out;
  }

  @Property(tries = 200)
  void aPartialChecksum_isCompletedToWhatAFullComputationGives(@ForAll boolean v6, @ForAll boolean tcp,
      @ForAll @IntRange(min = 0, max = 1460) int payload) {
    setUp();
    try {
      int protocol = tcp ? 6 : 17;
      byte[] f = frame(v6, protocol, payload, 123456789L, 0x18, 4242);
      int l4 = l4Offset(f);
      load(f, Offloads.F_NEEDS_CSUM, Offloads.GSO_NONE, 0, l4, tcp ? 16 : 6);

      assertThat(offloads.prepare(in, Offloads.HEAD, f.length, 0, 0)).isEqualTo(Offloads.PLAIN);

      WireCheck w = WireCheck.of(out());
      assertThat(w.l4ChecksumOk).as("checksum verifies").isTrue();
      assertThat(w.l4Checksum).as("0 is sent as 0xFFFF").isNotZero();
      assertThat(w.payload).hasSize(payload);
      assertThat(counts[PacketSocket.Counter.CHECKSUMS_COMPLETED.ordinal()]).isEqualTo(1);
    } finally {
      tearDown();
    }
  }

  @Test
  void ethernetPaddingAfterTheDatagram_isNotSummed() {
    byte[] f = frame(false, 17, 2, 0, 0, 1);
    byte[] padded = java.util.Arrays.copyOf(f, 60);
    java.util.Arrays.fill(padded, f.length, 60, (byte) 0x5A);
    load(padded, Offloads.F_NEEDS_CSUM, Offloads.GSO_NONE, 0, 34, 6);

    assertThat(offloads.prepare(in, Offloads.HEAD, 60, 0, 0)).isEqualTo(Offloads.PLAIN);

    assertThat(offloads.length()).isEqualTo(60);
    assertThat(WireCheck.of(out()).l4ChecksumOk).isTrue();
  }

  @Test
  void checksumOffsetsOutsideTheFrame_dropTheFrame_andAreCounted() {
    byte[] f = frame(false, 6, 10, 0, 0, 1);
    load(f, Offloads.F_NEEDS_CSUM, Offloads.GSO_NONE, 0, f.length - 1, 16);

    assertThat(offloads.prepare(in, Offloads.HEAD, f.length, 0, 0)).isEqualTo(Offloads.DROP);

    assertThat(counts[PacketSocket.Counter.MALFORMED_OFFLOAD.ordinal()]).isEqualTo(1);
  }

  @Test
  void aTcpV4SuperFrame_isCutIntoMssSegments_likeTheKernelsTcpGsoSegment() {
    // 4000 bytes with mss 1448: 1448 + 1448 + 1104; PSH, FIN and CWR set on the super-frame
    byte[] f = frame(false, 6, 4000, 0xFFFF_FF00L, 0x80 | 0x10 | 0x08 | 0x01, 65535);

    List<byte[]> segs = segments(f, Offloads.GSO_TCPV4, 1448, 0);

    assertThat(segs).hasSize(3);
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    long seq = 0xFFFF_FF00L;
    for (int i = 0; i < 3; i++) {
      WireCheck w = WireCheck.of(segs.get(i));
      assertThat(w.ipChecksumOk).as("IPv4 header checksum of segment %d", i).isTrue();
      assertThat(w.l4ChecksumOk).as("TCP checksum of segment %d", i).isTrue();
      assertThat(w.sequence).as("sequence wraps modulo 2^32").isEqualTo(seq & 0xFFFF_FFFFL);
      assertThat(w.ipIdentification).isEqualTo((65535 + i) & 0xFFFF);
      // CWR on the first only; FIN and PSH on the last only; ACK on all
      assertThat(w.tcpFlags).isEqualTo((i == 0 ? 0x80 : 0) | 0x10 | (i == 2 ? 0x09 : 0));
      assertThat(segs.get(i).length).isEqualTo(14 + 20 + 32 + w.payload.length);
      seq += w.payload.length;
      payload.writeBytes(w.payload);
    }
    assertThat(WireCheck.of(segs.get(0)).payload).hasSize(1448);
    assertThat(WireCheck.of(segs.get(2)).payload).hasSize(1104);
    assertThat(payload.toByteArray()).isEqualTo(WireCheck.of(f).payload);
    assertThat(counts[PacketSocket.Counter.SUPER_FRAMES.ordinal()]).isEqualTo(1);
    assertThat(counts[PacketSocket.Counter.SEGMENTS.ordinal()]).isEqualTo(3);
  }

  @Test
  void aTcpV6SuperFrame_isCutIntoSegments_withPayloadLengthsAndChecksums() {
    byte[] f = frame(true, 6, 3000, 1000, 0x18, 0);

    List<byte[]> segs = segments(f, Offloads.GSO_TCPV6, 1428, 0);

    assertThat(segs).hasSize(3);
    long seq = 1000;
    for (byte[] s : segs) {
      WireCheck w = WireCheck.of(s);
      assertThat(w.ipv6).isTrue();
      assertThat(w.l4ChecksumOk).isTrue();
      assertThat(w.sequence).isEqualTo(seq);
      assertThat(WireCheck.u16(s, 18)).as("payload length").isEqualTo(32 + w.payload.length);
      seq += w.payload.length;
    }
    assertThat(seq).isEqualTo(4000);
  }

  @Test
  void aUdpGsoSuperFrame_becomesDatagramsOfGsoSize() {
    byte[] f = frame(true, 17, 2500, 0, 0, 0);

    List<byte[]> segs = segments(f, Offloads.GSO_UDP_L4, 1000, 0);

    assertThat(segs).extracting(s -> WireCheck.of(s).payload.length).containsExactly(1000, 1000, 500);
    for (byte[] s : segs) {
      WireCheck w = WireCheck.of(s);
      assertThat(w.l4ChecksumOk).isTrue();
      assertThat(WireCheck.u16(s, 54 + 4)).as("UDP length").isEqualTo(8 + w.payload.length);
    }
  }

  @Test
  void aStrippedVlanTag_isPutBackAfterTheSourceMac_onPlainFramesAndSegments() {
    byte[] f = frame(false, 6, 100, 5, 0x10, 9);
    load(f, 0, Offloads.GSO_NONE, 0, 0, 0);

    assertThat(offloads.prepare(in, Offloads.HEAD, f.length, 0, 0x8100 << 16 | 0x2000 | 10)).isEqualTo(Offloads.PLAIN);

    byte[] tagged = out();
    assertThat(tagged).hasSize(f.length + 4);
    assertThat(java.util.Arrays.copyOfRange(tagged, 0, 12)).isEqualTo(java.util.Arrays.copyOfRange(f, 0, 12));
    assertThat(WireCheck.u16(tagged, 12)).isEqualTo(0x8100);
    assertThat(WireCheck.u16(tagged, 14)).as("PCP 1, VID 10").isEqualTo(0x200A);
    assertThat(java.util.Arrays.copyOfRange(tagged, 16, tagged.length)).isEqualTo(java.util.Arrays.copyOfRange(f, 12, f.length));

    List<byte[]> segs = segments(frame(false, 6, 3000, 0, 0x10, 1), Offloads.GSO_TCPV4, 1448, 0x8100 << 16 | 20);
    for (byte[] s : segs) {
      WireCheck w = WireCheck.of(s);
      assertThat(w.vlan).isEqualTo(20);
      assertThat(w.l4ChecksumOk).isTrue();
    }
  }

  @Test
  void aTagThatHasNoRoomBeforeTheFrame_dropsIt() {
    byte[] f = frame(false, 6, 10, 0, 0x10, 1);
    load(f, 0, Offloads.GSO_NONE, 0, 0, 0);

    assertThat(offloads.prepare(in, Offloads.HEAD, f.length, Offloads.HEAD - 2, 0x8100 << 16 | 10)).isEqualTo(Offloads.DROP);
  }

  @Test
  void anUnsupportedGsoType_isDroppedAndCounted() {
    byte[] f = frame(false, 17, 3000, 0, 0, 0);
    load(f, Offloads.F_NEEDS_CSUM, Offloads.GSO_UDP, 1000, 34, 6);

    assertThat(offloads.prepare(in, Offloads.HEAD, f.length, 0, 0)).isEqualTo(Offloads.DROP);

    assertThat(counts[PacketSocket.Counter.UNSUPPORTED_OFFLOAD.ordinal()]).isEqualTo(1);
    assertThat(offloads.pending()).isFalse();
  }

  @Test
  void aSuperFrameWhoseTypeContradictsItsHeaders_isDropped() {
    byte[] f = frame(true, 6, 3000, 0, 0x10, 0);
    load(f, Offloads.F_NEEDS_CSUM, Offloads.GSO_TCPV4, 1000, 54, 16);

    assertThat(offloads.prepare(in, Offloads.HEAD, f.length, 0, 0)).isEqualTo(Offloads.DROP);
    assertThat(counts[PacketSocket.Counter.MALFORMED_OFFLOAD.ordinal()]).isEqualTo(1);
  }

  @Property(tries = 300)
  void theSumReadingEightBytesAtATime_equalsTheByteWiseSum(@ForAll byte[] data, @ForAll @IntRange(min = 0, max = 7) int shift) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment m = a.allocate(data.length + 8L);
      MemorySegment.copy(data, 0, m, ValueLayout.JAVA_BYTE, shift, data.length);
      int expected = WireCheck.onesComplementSum(data, 0, data.length, 0);
      assertThat(Offloads.fold(Offloads.sum(m, shift, data.length))).isEqualTo(expected);
    }
  }

  @Test
  void tsharkVerifiesEverySegmentsChecksums() throws Exception {
    Requirements.requireCommands("decoding segments with tshark", "tshark");
    List<byte[]> frames = new ArrayList<>();
    frames.addAll(segments(frame(false, 6, 5000, 42, 0x18, 7), Offloads.GSO_TCPV4, 1448, 0));
    frames.addAll(segments(frame(true, 6, 5000, 42, 0x18, 7), Offloads.GSO_TCPV6, 1428, 0));
    frames.addAll(segments(frame(false, 17, 3000, 0, 0, 8), Offloads.GSO_UDP_L4, 1200, 0));
    Path pcap = Files.createTempFile("lb4j-offloads", ".pcap");
    try {
      ByteBuffer out = ByteBuffer.allocate(24 + frames.stream().mapToInt(x -> 16 + x.length).sum()).order(ByteOrder.LITTLE_ENDIAN);
      out.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
      for (byte[] x : frames) {
        out.putInt(0).putInt(0).putInt(x.length).putInt(x.length).put(x);
      }
      Files.write(pcap, out.array());
      String decoded = Shell.run("tshark", "-r", pcap.toString(), "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
          "-o", "ip.check_checksum:TRUE", "-T", "fields", "-E", "separator=;", "-e", "frame.number", "-e", "ip.checksum.status",
          "-e", "tcp.checksum.status", "-e", "udp.checksum.status");
      List<String> lines = decoded.lines().filter(l -> !l.isBlank() && Character.isDigit(l.charAt(0))).toList();
      assertThat(lines).hasSize(frames.size());
      for (String line : lines) {
        // status 1 = good; IPv6 has no header checksum (empty field)
        assertThat(line.split(";", -1)).satisfies(fields -> {
          assertThat(fields[1]).isIn("1", "");
          assertThat(fields[2] + fields[3]).isEqualTo("1");
        });
      }
    } finally {
      Files.deleteIfExists(pcap);
    }
  }
}
