package io.github.lb4j.gateway.datapath;

import io.github.lb4j.linux.NetInterface;
import io.github.lb4j.linux.PacketSocket;
import io.github.lb4j.testing.linux.NetworkNamespace;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Decapsulates IPv4-in-IPv4 (RFC 2003) for the lab's servers in user space, standing in for the
 * kernel's {@code ipip} module, which this test kernel lacks. For each server given as {@code
 * NAMESPACE=ADDRESS}, one thread in that namespace reads the frames arriving on {@code eth0}
 * (AF_PACKET sees them before the IP layer, where an nft rule drops them), and for each IPIP packet
 * addressed to the server sends the inner packet out of {@code dcp0}, a veth whose peer {@code
 * dcp1} in the same namespace hands it to the kernel as if it had arrived unencapsulated: the
 * server's socket on the VIP answers the client directly, as a decapsulating server would. The
 * outer frame's source MAC is kept, so rules matching it (the second-chance tags) still apply.
 * Runs until killed.
 */
final class LabIpipDecap {

  private LabIpipDecap() {}

  public static void main(String[] args) throws Exception {
    List<Thread> threads = new ArrayList<>();
    for (String a : args) {
      String[] kv = a.split("=");
      Thread t = Thread.ofPlatform().name("decap-" + kv[0]).start(() -> run(kv[0], kv[1]));
      threads.add(t);
    }
    System.out.println("decapsulating " + args.length);
    System.out.flush();
    for (Thread t : threads) {
      t.join();
    }
  }

  private static void run(String namespace, String address) {
    PacketSocket in;
    PacketSocket out;
    long peerMac;
    try (NetworkNamespace ns = NetworkNamespace.enter(namespace)) {
      in = PacketSocket.open(NetInterface.byName("eth0"), PacketSocket.Options.defaults());
      out = PacketSocket.open(NetInterface.byName("dcp0"), PacketSocket.Options.defaults());
      peerMac = NetInterface.byName("dcp1").macAddress().toLong();
    }
    int server;
    try {
      server = ByteBuffer.wrap(InetAddress.getByName(address).getAddress()).getInt();
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
    ByteBuffer rx = ByteBuffer.allocateDirect(65_536);
    ByteBuffer tx = ByteBuffer.allocateDirect(65_536);
    MemorySegment txSegment = MemorySegment.ofBuffer(tx);
    for (;;) {
      if (!in.poll(1000)) {
        continue;
      }
      for (;;) {
        rx.clear();
        int n = in.receive(rx);
        if (n < 0) {
          break;
        }
        if (n < 14 + 20 + 20 || rx.getShort(12) != 0x0800 || (rx.get(14 + 9) & 0xFF) != 4 || rx.getInt(14 + 16) != server) {
          continue;
        }
        int outer = (rx.get(14) & 0x0F) * 4;
        int total = rx.getShort(14 + 2) & 0xFFFF;
        int inner = total - outer;
        if (inner < 20 || 14 + total > n) {
          continue;
        }
        tx.clear();
        tx.putShort(0, (short) (peerMac >>> 32));
        tx.putInt(2, (int) peerMac);
        for (int i = 6; i < 12; i++) {
          tx.put(i, rx.get(i));
        }
        tx.putShort(12, (short) 0x0800);
        for (int i = 0; i < inner; i++) {
          tx.put(14 + i, rx.get(14 + outer + i));
        }
        out.send(txSegment, 0, 14 + inner);
      }
    }
  }
}
