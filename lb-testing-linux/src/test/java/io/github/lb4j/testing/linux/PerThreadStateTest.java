package io.github.lb4j.testing.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.testing.Capability;
import io.github.lb4j.testing.NamespaceLab;
import io.github.lb4j.testing.Privileged;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class PerThreadStateTest {

  private static long effectiveCapabilities() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
      if (line.startsWith("CapEff:")) {
        return Long.parseUnsignedLong(line.substring(7).trim(), 16);
      }
    }
    throw new AssertionError("no CapEff line");
  }

  @Test
  @Privileged(capabilities = Capability.NET_RAW)
  void without_dropsTheCapabilityOnItsThreadOnly() throws Exception {
    long inside = ThreadCapabilities.without(PerThreadStateTest::effectiveCapabilities, Capability.NET_RAW);
    assertThat(inside & (1L << Capability.NET_RAW.number())).isZero();
    assertThat(effectiveCapabilities() & (1L << Capability.NET_RAW.number())).isNotZero();
  }

  @Test
  @Privileged(capabilities = {Capability.NET_ADMIN, Capability.SYS_ADMIN}, commands = "ip")
  void enter_showsTheNamespacesInterfaces_andCloseReturns() throws Exception {
    try (NamespaceLab lab = NamespaceLab.create("t")) {
      String before = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
      try (NetworkNamespace ns = NetworkNamespace.enter(lab.client)) {
        List<String> names = Collections.list(NetworkInterface.getNetworkInterfaces()).stream().map(NetworkInterface::getName).toList();
        assertThat(names).contains(lab.clientIf);
        assertThat(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString()).isNotEqualTo(before);
      }
      assertThat(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString()).isEqualTo(before);
    }
  }

  @Test
  void enter_aMissingNamespace_namesIt() {
    assertThatThrownBy(() -> NetworkNamespace.enter("lb4j-no-such-namespace"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("/run/netns/lb4j-no-such-namespace");
  }
}
