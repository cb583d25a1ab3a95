package io.github.lb4j.gateway.datapath;

import io.github.lb4j.linux.FrameHandler;
import io.github.lb4j.linux.NetInterface;
import io.github.lb4j.linux.PacketSocket;
import io.github.lb4j.linux.Poller;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The lab's 802.1Q switch, for kernels without VLAN support (no 8021q module, no VLAN-filtering
 * bridge): access ports carry untagged frames of one VLAN each, the trunk carries every VLAN
 * tagged. A frame from an access port leaves on the trunk with the port's tag; a frame from the
 * trunk leaves on the access port of its VLAN without the tag; frames of other VLANs are dropped.
 * Run inside the switch's namespace by {@link Lab}: {@code LabVlanSwitch TRUNK ACCESS=VID...};
 * prints {@code switching} once its sockets are open; stops on SIGTERM.
 */
final class LabVlanSwitch {

  private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

  private LabVlanSwitch() {}

  public static void main(String[] args) throws Exception {
    int n = args.length;
    PacketSocket[] sockets = new PacketSocket[n];
    int[] vid = new int[n];
    PacketSocket.Options options = PacketSocket.Options.defaults().rxRing(512, 2048).promiscuous(true);
    sockets[0] = PacketSocket.open(NetInterface.byName(args[0]), options);
    for (int i = 1; i < n; i++) {
      String[] a = args[i].split("=");
      sockets[i] = PacketSocket.open(NetInterface.byName(a[0]), options);
      vid[i] = Integer.parseInt(a[1]);
    }
    MemorySegment out = Arena.ofAuto().allocate(65536 + 64);
    FrameHandler fromTrunk = (memory, offset, length) -> {
      if (length < 18 || (memory.get(BE16, offset + 12) & 0xFFFF) != 0x8100) {
        return;
      }
      int v = memory.get(BE16, offset + 14) & 0x0FFF;
      for (int i = 1; i < n; i++) {
        if (vid[i] == v) {
          MemorySegment.copy(memory, offset, out, 0, 12);
          MemorySegment.copy(memory, offset + 16, out, 12, length - 16);
          sockets[i].send(out, 0, length - 4);
        }
      }
    };
    FrameHandler[] fromAccess = new FrameHandler[n];
    for (int i = 1; i < n; i++) {
      int port = i;
      fromAccess[i] = (memory, offset, length) -> {
        MemorySegment.copy(memory, offset, out, 0, 12);
        out.set(BE16, 12, (short) 0x8100);
        out.set(BE16, 14, (short) vid[port]);
        MemorySegment.copy(memory, offset + 12, out, 16, length - 12);
        sockets[0].send(out, 0, length + 4);
      };
    }
    Poller poller = Poller.open(n);
    for (PacketSocket s : sockets) {
      poller.add(s.fd(), Poller.IN);
    }
    System.out.println("switching");
    System.out.flush();
    while (true) {
      poller.poll(1000);
      sockets[0].receive(fromTrunk, 256);
      for (int i = 1; i < n; i++) {
        sockets[i].receive(fromAccess[i], 256);
      }
    }
  }
}
