package io.github.lb4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.MacAddress;
import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.NamespaceLab;
import io.github.lb4j.testing.Requirements;
import io.github.lb4j.testing.linux.NetworkNamespace;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** AF_PACKET frames over a veth pair between two namespaces (issue 8's datapath sockets). */
class PacketSocketTest {

  private static final int ETHERTYPE = 0x88B5;
  private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
  private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

  private static NamespaceLab lab;

  @BeforeAll
  static void createLab() {
    Requirements.requireCapabilities("AF_PACKET tests", Capability.NET_RAW, Capability.NET_ADMIN, Capability.SYS_ADMIN);
    lab = NamespaceLab.create("p");
  }

  @AfterAll
  static void deleteLab() {
    if (lab != null) {
      lab.close();
    }
  }

  /** Keeps only our experimental EtherType, so router solicitations and MLD reports do not interfere. */
  private static long[] onlyTestFrames() {
    return new long[] {
      Bpf.insn(Bpf.LD_H_ABS, 0, 0, 12),
      Bpf.insn(Bpf.JEQ_K, 0, 1, ETHERTYPE),
      Bpf.insn(Bpf.RET_K, 0, 0, 0xFFFF),
      Bpf.insn(Bpf.RET_K, 0, 0, 0),
    };
  }

  private static PacketSocket open(String namespace, String iface, PacketSocket.Options options) {
    try (NetworkNamespace ns = NetworkNamespace.enter(namespace)) {
      PacketSocket s = PacketSocket.open(NetInterface.byName(iface), options);
      s.attachFilter(onlyTestFrames());
      // Frames queued between the bind and the filter (IPv6 router solicitations or MLD reports of a
      // fresh veth) are not the test's: drop them so that every receive below sees test frames only.
      try (Arena a = Arena.ofConfined()) {
        MemorySegment junk = a.allocate(65536);
        while (s.receive(junk) >= 0) {
          // discarded
        }
      }
      return s;
    }
  }

  private static MacAddress mac(String namespace, String iface) {
    try (NetworkNamespace ns = NetworkNamespace.enter(namespace)) {
      return NetInterface.byName(iface).macAddress();
    }
  }

  private static int frame(MemorySegment f, MacAddress dst, MacAddress src, int number, int length) {
    byte[] d = dst.toBytes();
    byte[] s = src.toBytes();
    MemorySegment.copy(d, 0, f, ValueLayout.JAVA_BYTE, 0, 6);
    MemorySegment.copy(s, 0, f, ValueLayout.JAVA_BYTE, 6, 6);
    f.set(BE16, 12, (short) ETHERTYPE);
    f.set(BE32, 14, number);
    for (int i = 18; i < length; i++) {
      f.set(ValueLayout.JAVA_BYTE, i, (byte) (number + i));
    }
    return length;
  }

  @Test
  void framesSentOnOneEnd_arriveWholeOnTheOther_withoutARing() {
    MacAddress a = mac(lab.client, lab.clientIf);
    MacAddress b = mac(lab.server, lab.serverIf);
    try (PacketSocket tx = open(lab.client, lab.clientIf, PacketSocket.Options.defaults());
        PacketSocket rx = open(lab.server, lab.serverIf, PacketSocket.Options.defaults());
        Arena arena = Arena.ofConfined()) {
      assertThat(rx.hasRxRing()).isFalse();
      MemorySegment out = arena.allocate(1514);
      MemorySegment in = arena.allocate(2048);
      for (int n = 0; n < 50; n++) {
        int len = frame(out, b, a, n, 60 + n * 29);
        assertThat(tx.send(out, 0, len)).isEqualTo(len);
        assertThat(rx.poll(2000)).as("frame %d arrives", n).isTrue();
        int got = rx.receive(in);
        assertThat(got).isEqualTo(len);
        assertThat(in.asSlice(0, len).mismatch(out.asSlice(0, len))).isEqualTo(-1L);
      }
      assertThat(rx.receive(in)).isEqualTo(-1);
      assertThat(rx.statistics().packets()).isGreaterThanOrEqualTo(50);
    }
  }

  @Test
  void theRxRing_handsOutABurstInOrder_andRecyclesItsFrames() {
    MacAddress a = mac(lab.client, lab.clientIf);
    MacAddress b = mac(lab.server, lab.serverIf);
    PacketSocket.Options ring = PacketSocket.Options.defaults().rxRing(64, 2048);
    try (PacketSocket tx = open(lab.client, lab.clientIf, PacketSocket.Options.defaults());
        PacketSocket rx = open(lab.server, lab.serverIf, ring);
        Arena arena = Arena.ofConfined()) {
      assertThat(rx.hasRxRing()).isTrue();
      MemorySegment out = arena.allocate(1514);
      List<Integer> numbers = new ArrayList<>();
      List<Integer> lengths = new ArrayList<>();
      FrameHandler handler = (memory, offset, length) -> {
        assertThat(memory.get(BE16, offset + 12) & 0xFFFF).isEqualTo(ETHERTYPE);
        int n = memory.get(BE32, offset + 14);
        for (int i = 18; i < length; i++) {
          assertThat(memory.get(ValueLayout.JAVA_BYTE, offset + i)).isEqualTo((byte) (n + i));
        }
        numbers.add(n);
        lengths.add(length);
      };
      int sent = 0;
      // Five bursts of 50 frames go around a 64-frame ring several times.
      for (int burst = 0; burst < 5; burst++) {
        for (int i = 0; i < 50; i++, sent++) {
          int len = frame(out, b, a, sent, 60 + (sent % 1400));
          assertThat(tx.send(out, 0, len)).isEqualTo(len);
        }
        while (numbers.size() < sent) {
          assertThat(rx.poll(2000)).as("frames up to %d arrive", sent).isTrue();
          rx.receive(handler, 32);
        }
      }
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < sent; i++) {
        expected.add(i);
        assertThat(lengths.get(i)).isEqualTo(60 + (i % 1400));
      }
      assertThat(numbers).isEqualTo(expected);
      assertThat(rx.statistics().drops()).isZero();
    }
  }

  @Test
  void theTxRing_sendsQueuedFramesAtFlush_andWrapsAroundWhenFull() {
    MacAddress a = mac(lab.client, lab.clientIf);
    MacAddress b = mac(lab.server, lab.serverIf);
    try (PacketSocket tx = open(lab.client, lab.clientIf, PacketSocket.Options.defaults().txRing(32));
        PacketSocket rx = open(lab.server, lab.serverIf, PacketSocket.Options.defaults().rxRing(256, 2048));
        Arena arena = Arena.ofConfined()) {
      assertThat(tx.hasTxRing()).isTrue();
      MemorySegment out = arena.allocate(1514);
      List<Integer> numbers = new ArrayList<>();
      FrameHandler collect = (memory, offset, length) -> {
        numbers.add(memory.get(BE32, offset + 14));
        assertThat(length).isEqualTo(60 + memory.get(BE32, offset + 14) * 7);
      };
      for (int i = 0; i < 10; i++) {
        assertThat(tx.send(out, 0, frame(out, b, a, i, 60 + i * 7))).isEqualTo(60 + i * 7);
      }
      assertThat(rx.poll(200)).as("nothing leaves before flush").isFalse();
      assertThat(tx.flush()).isEqualTo(10);
      int sent = 10;
      // 150 more frames through a 32-frame ring: enqueueing into a full ring flushes it first.
      for (; sent < 160; sent++) {
        int len = 60 + sent * 7;
        while (tx.send(out, 0, frame(out, b, a, sent, len)) < 0) {
          tx.flush();
        }
      }
      tx.flush();
      while (numbers.size() < sent) {
        assertThat(rx.poll(2000)).as("frames up to %d arrive", sent).isTrue();
        rx.receive(collect, 64);
      }
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < sent; i++) {
        expected.add(i);
      }
      assertThat(numbers).isEqualTo(expected);
      assertThat(tx.txRejected()).isZero();
    }
  }

  /** The datapath's inner loop: take a frame in place from the RX ring, rewrite it, send it back out. */
  @Test
  void aWorker_rewritesFramesInTheRxRing_andReflectsThemThroughItsTxRing() {
    MacAddress a = mac(lab.client, lab.clientIf);
    MacAddress b = mac(lab.server, lab.serverIf);
    PacketSocket.Options worker = PacketSocket.Options.defaults().rxRing(64, 2048).txRing(64);
    try (PacketSocket client = open(lab.client, lab.clientIf, PacketSocket.Options.defaults().rxRing(64, 2048));
        PacketSocket reflector = open(lab.server, lab.serverIf, worker);
        Arena arena = Arena.ofConfined()) {
      byte[] clientMac = a.toBytes();
      byte[] serverMac = b.toBytes();
      FrameHandler reflect = (memory, offset, length) -> {
        MemorySegment.copy(clientMac, 0, memory, ValueLayout.JAVA_BYTE, offset, 6);
        MemorySegment.copy(serverMac, 0, memory, ValueLayout.JAVA_BYTE, offset + 6, 6);
        memory.set(BE32, offset + 14, memory.get(BE32, offset + 14) + 1000);
        assertThat(reflector.send(memory, offset, length)).isEqualTo(length);
      };
      MemorySegment out = arena.allocate(300);
      for (int i = 0; i < 40; i++) {
        client.send(out, 0, frame(out, b, a, i, 300));
      }
      int reflected = 0;
      while (reflected < 40) {
        assertThat(reflector.poll(2000)).isTrue();
        reflected += reflector.receive(reflect, 16);
        reflector.flush();
      }
      List<Integer> back = new ArrayList<>();
      while (back.size() < 40) {
        assertThat(client.poll(2000)).as("reflected frames arrive").isTrue();
        client.receive((memory, offset, length) -> {
          assertThat(memory.asSlice(offset, 6).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(clientMac);
          back.add(memory.get(BE32, offset + 14));
        }, 64);
      }
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        expected.add(1000 + i);
      }
      assertThat(back).isEqualTo(expected);
    }
  }

  @Test
  void byteBuffers_heapAndDirect_sendAndReceiveByCopy_withTheRingToo() {
    MacAddress a = mac(lab.client, lab.clientIf);
    MacAddress b = mac(lab.server, lab.serverIf);
    try (PacketSocket tx = open(lab.client, lab.clientIf, PacketSocket.Options.defaults());
        PacketSocket rx = open(lab.server, lab.serverIf, PacketSocket.Options.defaults().rxRing(16, 2048));
        Arena arena = Arena.ofConfined()) {
      MemorySegment frame = arena.allocate(200);
      int len = frame(frame, b, a, 7, 200);
      ByteBuffer heap = ByteBuffer.wrap(frame.toArray(ValueLayout.JAVA_BYTE));
      assertThat(tx.send(heap)).isEqualTo(len);
      assertThat(heap.hasRemaining()).isFalse();
      ByteBuffer direct = ByteBuffer.allocateDirect(2048);
      assertThat(rx.poll(2000)).isTrue();
      assertThat(rx.receive(direct)).isEqualTo(len);
      direct.flip();
      assertThat(direct.remaining()).isEqualTo(len);
      assertThat(direct.getInt(14)).isEqualTo(7);
      ByteBuffer small = ByteBuffer.allocate(64);
      heap.rewind();
      assertThat(tx.send(heap)).isEqualTo(len);
      assertThat(rx.poll(2000)).isTrue();
      assertThat(rx.receive(small)).as("truncated to the buffer").isEqualTo(64);
      assertThat(small.position()).isEqualTo(64);
    }
  }

  @Test
  void aFanoutGroup_sharesTheInterfacesFramesBetweenItsSockets() {
    MacAddress a = mac(lab.client, lab.clientIf);
    MacAddress b = mac(lab.server, lab.serverIf);
    PacketSocket.Options member = PacketSocket.Options.defaults().rxRing(128, 2048).fanout(PacketSocket.Fanout.ROUND_ROBIN, 4242);
    try (PacketSocket tx = open(lab.client, lab.clientIf, PacketSocket.Options.defaults());
        PacketSocket rx1 = open(lab.server, lab.serverIf, member);
        PacketSocket rx2 = open(lab.server, lab.serverIf, member);
        Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(100);
      for (int i = 0; i < 100; i++) {
        tx.send(out, 0, frame(out, b, a, i, 100));
      }
      int[] got = new int[2];
      await().pollInSameThread().atMost(Duration.ofSeconds(30)).until(() -> {
        got[0] += rx1.receive((m, o, l) -> { }, 64);
        got[1] += rx2.receive((m, o, l) -> { }, 64);
        return got[0] + got[1] >= 100;
      });
      assertThat(got[0] + got[1]).as("every frame reaches exactly one member").isEqualTo(100);
      assertThat(got[0]).as("round robin gives both members frames").isBetween(30, 70);
    }
  }

  @Test
  void promiscuousMode_isAMembershipTheKernelDropsOnClose() {
    PacketSocket s = open(lab.server, lab.serverIf, PacketSocket.Options.defaults().promiscuous(true));
    try {
      assertThat(lab.exec(lab.server, "ip", "-d", "link", "show", "dev", lab.serverIf)).contains("promiscuity 1");
    } finally {
      s.close();
    }
    assertThat(lab.exec(lab.server, "ip", "-d", "link", "show", "dev", lab.serverIf)).contains("promiscuity 0");
  }

  @Test
  void pollerWaitsOnSeveralSockets_andWakesFromAnotherThread() throws Exception {
    MacAddress a = mac(lab.client, lab.clientIf);
    MacAddress b = mac(lab.server, lab.serverIf);
    try (PacketSocket tx = open(lab.client, lab.clientIf, PacketSocket.Options.defaults());
        PacketSocket rx = open(lab.server, lab.serverIf, PacketSocket.Options.defaults().rxRing(16, 2048));
        Poller poller = Poller.open(2);
        Arena arena = Arena.ofConfined()) {
      int txSlot = poller.add(tx.fd(), Poller.IN);
      int rxSlot = poller.add(rx.fd(), Poller.IN);
      // Whether the wakeup comes before or during the poll, the eventfd ends the poll with nothing ready.
      Thread waker = new Thread(poller::wakeup);
      waker.start();
      assertThat(poller.poll(10_000)).as("woken, nothing ready").isZero();
      waker.join();
      MemorySegment out = arena.allocate(100);
      tx.send(out, 0, frame(out, b, a, 1, 100));
      assertThat(poller.poll(2000)).isEqualTo(1);
      assertThat(poller.readyOps(rxSlot) & Poller.IN).isNotZero();
      assertThat(poller.readyOps(txSlot)).isZero();
    }
  }
}
