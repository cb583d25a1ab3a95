package io.github.lb4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.api.Protocol;
import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.Descriptors;
import io.github.lb4j.testing.Requirements;
import java.net.StandardProtocolFamily;
import org.junit.jupiter.api.Test;

/** Every native resource is released: the descriptor count is the same after many cycles. */
class DescriptorLeakTest {

  private static void cycle(boolean raw) throws Exception {
    try (Poller p = Poller.open(4)) {
      p.wakeup();
      p.poll(0);
    }
    NetInterface.byName("lo").mtu();
    if (raw) {
      try (IpSocket s = IpSocket.raw(StandardProtocolFamily.INET, Protocol.ICMP)) {
        s.icmpFilter(0);
      }
      try (IpSocket s = IpSocket.raw(StandardProtocolFamily.INET6, Protocol.TCP)) {
        s.receiveBufferSize(1 << 16);
      }
      try (PacketSocket s = PacketSocket.open(NetInterface.byName("lo"), PacketSocket.Options.defaults().rxRing(32, 2048).txRing(32))) {
        s.poll(0);
      }
    }
  }

  @Test
  void manyOpenCloseCycles_leaveTheDescriptorCountUnchanged() throws Exception {
    boolean raw = Requirements.hasCapability(Capability.NET_RAW);
    if (!raw) {
      // Pollers and ioctls need nothing: they are still checked when the sockets cannot be.
      Requirements.require(!Requirements.strict(), "the raw and packet socket cycles need CAP_NET_RAW");
      System.out.println("SKIPPED part: raw and packet sockets need CAP_NET_RAW; checking pollers and ioctls only");
    }
    cycle(raw);
    int before = Descriptors.open();
    for (int i = 0; i < 200; i++) {
      cycle(raw);
    }
    assertThat(Descriptors.open()).isEqualTo(before);
  }
}
