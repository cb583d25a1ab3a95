package io.github.lb4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.lb4j.api.Protocol;
import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.Requirements;
import io.github.lb4j.testing.linux.ThreadCapabilities;
import java.net.StandardProtocolFamily;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NativeCallExceptionTest {

  @Test
  void unknownInterface_namesTheCallAndTheErrno() {
    assertThatThrownBy(() -> NetInterface.byName("lbnosuch0"))
        .isInstanceOf(NativeCallException.class)
        .hasMessageStartingWith("if_nametoindex(\"lbnosuch0\") failed: ENODEV")
        .satisfies(e -> {
          NativeCallException n = (NativeCallException) e;
          assertThat(n.errno()).isEqualTo(LibC.ENODEV);
          assertThat(n.errnoName()).isEqualTo("ENODEV");
          assertThat(n.call()).isEqualTo("if_nametoindex(\"lbnosuch0\")");
        });
  }

  @Test
  void badInterfaceName_isRejectedBeforeAnyCall() {
    assertThatThrownBy(() -> NetInterface.byName("a-name-longer-than-15"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a-name-longer-than-15");
  }

  @Test
  void pingSocket_outsideThePingGroupRange_saysWhichSysctlToChange() throws Exception {
    String range = Files.readString(Path.of("/proc/sys/net/ipv4/ping_group_range")).trim();
    String[] bounds = range.split("\\s+");
    long gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
    boolean excluded = gid < Long.parseLong(bounds[0]) || gid > Long.parseLong(bounds[1]);
    Requirements.require(excluded, "this host allows ping sockets for gid " + gid + " (range " + range + "); nothing to refuse");
    assertThatThrownBy(() -> IpSocket.ping(StandardProtocolFamily.INET))
        .isInstanceOf(MissingCapabilityException.class)
        .hasMessageContaining("socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) failed: EACCES")
        .hasMessageContaining("net.ipv4.ping_group_range")
        .hasMessageContaining("sysctl -w");
  }

  @Test
  void withoutCapNetRaw_rawAndPacketSocketsFail_namingTheCapability() throws Exception {
    Requirements.requireCapabilities("dropping CAP_NET_RAW from one thread", Capability.NET_RAW);
    Throwable raw = ThreadCapabilities.without(() -> catchThrowable(() -> IpSocket.raw(StandardProtocolFamily.INET, Protocol.ICMP)), Capability.NET_RAW);
    assertThat(raw)
        .isInstanceOf(MissingCapabilityException.class)
        .hasMessageStartingWith("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) failed: EPERM (Operation not permitted); raw sockets need CAP_NET_RAW");
    Throwable packet = ThreadCapabilities.without(() -> catchThrowable(() -> PacketSocket.open(NetInterface.byName("lo"), PacketSocket.Options.defaults())), Capability.NET_RAW);
    assertThat(packet).isInstanceOf(MissingCapabilityException.class).hasMessageContaining("CAP_NET_RAW");
  }

  @Test
  void missingRawCapability_namesCapNetRawAndHowToGrantIt() {
    MissingCapabilityException e = new MissingCapabilityException("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)", LibC.EPERM, IpSocket.rawRemedy());
    assertThat(e.getMessage())
        .startsWith("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) failed: EPERM (Operation not permitted); raw sockets need CAP_NET_RAW")
        .contains("setcap cap_net_raw+ep");
    assertThat(e.remedy()).contains("CAP_NET_RAW");
  }
}
