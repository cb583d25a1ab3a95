package io.github.lb4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.testing.linux.NetworkNamespace;
import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.NamespaceLab;
import io.github.lb4j.testing.Requirements;
import io.github.lb4j.testing.Shell;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real kernel traffic over a veth pair with the interfaces' default offloads (transmit checksum
 * offload, TSO and GSO on, as veth comes): what a packet socket on the receiving end hands out.
 * With {@link PacketSocket.Options#undoOffloads} every frame is a wire frame (at most MTU + Ethernet,
 * every checksum good, the TCP stream whole); without it, the kernel's frames are not.
 */
class PacketSocketOffloadsTest {

  private static final int MTU = 1500;
  private static final int BYTES = 300_000;

  private NamespaceLab lab;

  @BeforeEach
  void createLab() {
    Requirements.requireCapabilities("AF_PACKET tests", Capability.NET_RAW, Capability.NET_ADMIN, Capability.SYS_ADMIN);
    Requirements.requireCommands("offload tests", "ethtool");
    lab = NamespaceLab.create("o");
  }

  @AfterEach
  void deleteLab() {
    if (lab != null) {
      lab.close();
    }
  }

  /** Frames collected by a handler, copied out of the ring. */
  private static final class Capture implements FrameHandler {
    final List<byte[]> frames = new ArrayList<>();
    byte[] sent = new byte[0];
    byte[] stream = new byte[0];

    @Override
    public void onFrame(MemorySegment memory, long offset, int length) {
      frames.add(memory.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
    }

    /** The TCP payload towards {@code port}, reassembled by sequence number from the first data byte seen. */
    byte[] stream(int port) {
      TreeMap<Long, byte[]> bySeq = new TreeMap<>();
      for (byte[] f : frames) {
        WireCheck w = WireCheck.of(f);
        if (w != null && w.protocol == 6 && w.destinationPort == port && w.payload.length > 0) {
          bySeq.put(w.sequence, w.payload);
        }
      }
      if (bySeq.isEmpty()) {
        return new byte[0];
      }
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      long next = bySeq.firstKey();
      for (var e : bySeq.entrySet()) {
        long seq = e.getKey();
        byte[] p = e.getValue();
        if (seq > next) {
          break;
        }
        int skip = (int) (next - seq);
        if (skip < p.length) {
          out.write(p, skip, p.length - skip);
          next = seq + p.length;
        }
      }
      return out.toByteArray();
    }
  }

  private static PacketSocket open(String namespace, String iface, PacketSocket.Options options) {
    try (NetworkNamespace ns = NetworkNamespace.enter(namespace)) {
      return PacketSocket.open(NetInterface.byName(iface), options);
    }
  }

  /**
   * Sends {@link #BYTES} random bytes over a kernel TCP connection from the client's namespace to a
   * listener in the server's, while {@code socket} (on the server's end) collects every frame; stops
   * once the server read everything and the capture holds the whole stream (or fails after a minute).
   */
  private Capture transfer(PacketSocket socket, String serverAddress) throws Exception {
    byte[] data = new byte[BYTES];
    ThreadLocalRandom.current().nextBytes(data);
    ServerSocketChannel listener;
    try (NetworkNamespace ns = NetworkNamespace.enter(lab.server)) {
      listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getByName(serverAddress), 0));
    }
    int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
    // Own threads: on two cores the common pool has one, and accept would starve the client.
    ExecutorService threads = Executors.newFixedThreadPool(2);
    CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
      try (SocketChannel c = listener.accept()) {
        ByteBuffer all = ByteBuffer.allocate(BYTES);
        while (all.hasRemaining() && c.read(all) >= 0) {
          // reading until the client closes
        }
        return all.array();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, threads);
    CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
      try (NetworkNamespace ns = NetworkNamespace.enter(lab.client);
          SocketChannel c = SocketChannel.open(new InetSocketAddress(InetAddress.getByName(serverAddress), port))) {
        c.write(ByteBuffer.wrap(data));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, threads);
    Capture capture = new Capture();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try {
      // The packet socket gets each frame before the kernel's TCP does: once the server has read
      // everything, every data frame is in the socket.
      while (System.nanoTime() < deadline) {
        if (socket.poll(50)) {
          socket.receive(capture, 64);
        } else if (received.isDone()) {
          break;
        }
      }
      sent.get(10, TimeUnit.SECONDS);
      assertThat(received.get(10, TimeUnit.SECONDS)).as("the server read what the client sent").isEqualTo(data);
    } finally {
      listener.close();
      threads.shutdownNow();
    }
    capture.stream = capture.stream(port);
    capture.sent = data;
    return capture;
  }

  /** Every captured TCP/IP frame is a wire frame: no longer than the MTU allows, every checksum good. */
  private static void assertWireFrames(Capture c, int maxFrame) {
    int tcp = 0;
    for (byte[] f : c.frames) {
      WireCheck w = WireCheck.of(f);
      if (w == null) {
        continue;
      }
      tcp++;
      assertThat(f.length).as("frame length").isLessThanOrEqualTo(maxFrame);
      assertThat(w.ipChecksumOk).as("IPv4 header checksum").isTrue();
      assertThat(w.l4ChecksumOk).as("TCP checksum of a %d-byte frame", f.length).isTrue();
    }
    assertThat(tcp).as("TCP frames captured").isGreaterThan(BYTES / MTU);
  }

  @Test
  void withDefaultOffloads_theRingHandsOutWireFrames_checksumsCompleted_superFramesSegmented() throws Exception {
    assertThat(lab.exec(lab.client, "ethtool", "-k", lab.clientIf)).contains("tx-checksumming: on", "tcp-segmentation-offload: on");
    try (PacketSocket s = open(lab.server, lab.serverIf, PacketSocket.Options.defaults().rxRing(256, 2048))) {
      Capture c = transfer(s, "192.0.2.2");

      assertWireFrames(c, 14 + MTU);
      assertThat(c.stream).as("the TCP stream rebuilt from the frames").isEqualTo(c.sent);
      assertThat(s.count(PacketSocket.Counter.CHECKSUMS_COMPLETED)).as("partial checksums completed").isPositive();
      assertThat(s.count(PacketSocket.Counter.SUPER_FRAMES)).as("TSO super-frames through veth").isPositive();
      assertThat(s.count(PacketSocket.Counter.SEGMENTS)).isGreaterThan(s.count(PacketSocket.Counter.SUPER_FRAMES));
      assertThat(s.count(PacketSocket.Counter.TRUNCATED)).isZero();
    }
  }

  @Test
  void withDefaultOffloads_copyingReceiveHandsOutWireFramesToo() throws Exception {
    try (PacketSocket s = open(lab.server, lab.serverIf, PacketSocket.Options.defaults().receiveBuffer(8 << 20))) {
      assertThat(s.hasRxRing()).isFalse();
      Capture c = transfer(s, "192.0.2.2");

      assertWireFrames(c, 14 + MTU);
      assertThat(c.stream).isEqualTo(c.sent);
      assertThat(s.count(PacketSocket.Counter.SUPER_FRAMES)).isPositive();
    }
  }

  @Test
  void withOffloadsLeftAlone_theKernelsFramesAreNotWireFrames() throws Exception {
    try (PacketSocket s = open(lab.server, lab.serverIf, PacketSocket.Options.defaults().rxRing(256, 2048).undoOffloads(false))) {
      Capture c = transfer(s, "192.0.2.2");

      long badChecksums = c.frames.stream().map(WireCheck::of).filter(w -> w != null && !w.truncated && !w.l4ChecksumOk).count();
      long truncated = c.frames.stream().map(WireCheck::of).filter(w -> w != null && w.truncated).count();
      assertThat(badChecksums).as("frames with partial checksums, as a forwarder would send them").isPositive();
      assertThat(truncated).as("super-frames truncated to the ring frame").isPositive();
      assertThat(c.stream.length).as("the stream cannot be rebuilt").isLessThan(BYTES);
    }
  }

  @Test
  void withGroOnTheReceivingInterface_mergedFramesAreSegmentedAgain() throws Exception {
    // The client segments in software, so only the server's GRO makes super-frames.
    lab.exec(lab.client, "ethtool", "-K", lab.clientIf, "tso", "off", "gso", "off");
    lab.exec(lab.server, "ethtool", "-K", lab.serverIf, "gro", "on");
    try (PacketSocket s = open(lab.server, lab.serverIf, PacketSocket.Options.defaults().rxRing(256, 2048))) {
      Capture c = transfer(s, "192.0.2.2");

      assertWireFrames(c, 14 + MTU);
      assertThat(c.stream).isEqualTo(c.sent);
      assertThat(s.count(PacketSocket.Counter.SUPER_FRAMES)).as("GRO super-frames").isPositive();
    }
  }

  @Test
  void taggedFrames_arriveWithTheirTag_802_1QAnd802_1ad() throws Exception {
    // This kernel has no 8021q module: the tagged frames come from a packet socket on the client's end.
    try (PacketSocket tx = open(lab.client, lab.clientIf, PacketSocket.Options.defaults());
        PacketSocket rx = open(lab.server, lab.serverIf, PacketSocket.Options.defaults().rxRing(64, 2048));
        PacketSocket raw = open(lab.server, lab.serverIf, PacketSocket.Options.defaults().undoOffloads(false));
        Arena arena = Arena.ofConfined()) {
      List<byte[]> sent = new ArrayList<>();
      MemorySegment out = arena.allocate(1518);
      for (int i = 0; i < 40; i++) {
        byte[] f = OffloadsTest.frame(i % 2 == 0, 17, 20 + i * 30, 0, 0, i);
        byte[] full = java.util.Arrays.copyOf(f, f.length);
        int l4 = OffloadsTest.l4Offset(full);
        // complete the UDP checksum, as a sender without offload would
        full[l4 + 6] = 0;
        full[l4 + 7] = 0;
        long pseudo = 17 + (full.length - l4);
        for (int k = i % 2 == 0 ? 22 : 26; k < (i % 2 == 0 ? 54 : 34); k += 2) {
          pseudo += WireCheck.u16(full, k);
        }
        int c = ~WireCheck.onesComplementSum(full, l4, full.length, pseudo) & 0xFFFF;
        full[l4 + 6] = (byte) (c >> 8);
        full[l4 + 7] = (byte) c;
        int tpid = i % 4 == 3 ? 0x88A8 : 0x8100;
        int tci = (i % 8) << 13 | (100 + i);
        byte[] tagged = new byte[full.length + 4];
        System.arraycopy(full, 0, tagged, 0, 12);
        tagged[12] = (byte) (tpid >> 8);
        tagged[13] = (byte) tpid;
        tagged[14] = (byte) (tci >> 8);
        tagged[15] = (byte) tci;
        System.arraycopy(full, 12, tagged, 16, full.length - 12);
        // to the server's MAC, so that the veth delivers it
        System.arraycopy(mac(lab.server, lab.serverIf), 0, tagged, 0, 6);
        MemorySegment.copy(tagged, 0, out, ValueLayout.JAVA_BYTE, 0, tagged.length);
        assertThat(tx.send(out, 0, tagged.length)).isEqualTo(tagged.length);
        sent.add(tagged);
      }
      Capture restored = new Capture();
      Capture kernel = new Capture();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((udp(restored) < 40 || udp(kernel) < 40) && System.nanoTime() < deadline) {
        rx.poll(50);
        rx.receive(restored, 64);
        raw.receive(kernel, 64);
      }
      List<byte[]> got = restored.frames.stream().filter(f -> isUdp(f)).toList();
      assertThat(got).hasSize(40);
      for (int i = 0; i < 40; i++) {
        assertThat(got.get(i)).as("frame %d, tag and all", i).isEqualTo(sent.get(i));
      }
      assertThat(rx.count(PacketSocket.Counter.VLAN_TAGS_RESTORED)).isEqualTo(40);
      // Left alone, the kernel's frames have lost the tag (it is in the ring's metadata).
      assertThat(kernel.frames.stream().filter(f -> isUdp(f)).toList()).hasSize(40)
          .allSatisfy(f -> assertThat(WireCheck.u16(f, 12)).isIn(0x0800, 0x86DD));
    }
  }

  private static byte[] mac(String namespace, String iface) {
    try (NetworkNamespace ns = NetworkNamespace.enter(namespace)) {
      return NetInterface.byName(iface).macAddress().toBytes();
    }
  }

  /** UDP frames of the test (tagged or not), by their source port 5353. */
  private static boolean isUdp(byte[] f) {
    int at = 12;
    int type = WireCheck.u16(f, at);
    while (type == 0x8100 || type == 0x88A8) {
      at += 4;
      type = WireCheck.u16(f, at);
    }
    int l4 = type == 0x86DD ? at + 2 + 40 : type == 0x0800 ? at + 2 + 20 : -1;
    int proto = type == 0x86DD ? f[at + 2 + 6] : type == 0x0800 ? f[at + 2 + 9] : -1;
    return l4 > 0 && proto == 17 && f.length > l4 + 2 && WireCheck.u16(f, l4) == 5353;
  }

  private static long udp(Capture c) {
    return c.frames.stream().filter(f -> isUdp(f)).count();
  }

  @Test
  void udpSegmentationOffload_becomesOneDatagramPerSegment() throws Exception {
    try (PacketSocket s = open(lab.server, lab.serverIf, PacketSocket.Options.defaults().rxRing(64, 2048));
        Arena arena = Arena.ofConfined()) {
      // A UDP socket with UDP_SEGMENT (udp(7)): one 5000-byte send leaves as a GSO super-frame of five
      // 1000-byte datagrams, and veth passes it unsegmented.
      MemorySegment state = LibC.captureState(arena);
      int fd;
      try (NetworkNamespace ns = NetworkNamespace.enter(lab.client)) {
        fd = LibC.socket(state, LibC.AF_INET, LibC.SOCK_DGRAM, 0);
      }
      assertThat(fd).isNotNegative();
      try {
        Sockets.setIntOption(arena, state, fd, 17, 103, 1000, "UDP_SEGMENT");
        MemorySegment to = arena.allocate(SocketAddresses.SOCKADDR_IN_SIZE);
        SocketAddresses.write(to, StandardProtocolFamily.INET, InetAddress.getByName("192.0.2.2"), 9);
        MemorySegment payload = arena.allocate(5000);
        for (int i = 0; i < 5000; i++) {
          payload.set(ValueLayout.JAVA_BYTE, i, (byte) (i / 1000));
        }
        assertThat(LibC.sendto(state, fd, payload, 5000, 0, to, SocketAddresses.SOCKADDR_IN_SIZE)).isEqualTo(5000);
      } finally {
        LibC.close(state, fd);
      }
      Capture c = new Capture();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (c.frames.stream().map(WireCheck::of).filter(w -> w != null && w.protocol == 17).count() < 5 && System.nanoTime() < deadline) {
        if (s.poll(100)) {
          s.receive(c, 16);
        }
      }
      List<WireCheck> udp = c.frames.stream().map(WireCheck::of).filter(w -> w != null && w.protocol == 17).toList();
      assertThat(udp).hasSize(5);
      for (int i = 0; i < 5; i++) {
        assertThat(udp.get(i).l4ChecksumOk).isTrue();
        byte[] expected = new byte[1000];
        Arrays.fill(expected, (byte) i);
        assertThat(udp.get(i).payload).isEqualTo(expected);
      }
      assertThat(s.count(PacketSocket.Counter.SUPER_FRAMES)).isEqualTo(1);
    }
  }
}
