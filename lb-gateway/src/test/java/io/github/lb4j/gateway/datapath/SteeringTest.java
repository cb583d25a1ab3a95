package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lb4j.linux.Bpf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SteeringTest {

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 7, 64})
  void everySourceNatPortOfAWorkersRun_namesThatWorker(int n) {
    for (int port = Steering.SNAT_PORT_LOW; port <= Steering.SNAT_PORT_HIGH; port++) {
      int w = Steering.workerOfSnatPort(port, n);
      assertThat(w).isBetween(0, n - 1);
      if (port < Steering.snatPortLow(w, n) || port > Steering.snatPortHigh(w, n)) {
        throw new AssertionError("port " + port + " steered to worker " + w + " of " + n + " outside its run");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 7, 64})
  void theRunsCoverEveryPortAboveTheWellKnownOnes_withoutOverlap(int n) {
    int next = Steering.SNAT_PORT_LOW;
    for (int w = 0; w < n; w++) {
      assertThat(Steering.snatPortLow(w, n)).isEqualTo(next);
      assertThat(Steering.snatPortHigh(w, n)).isGreaterThanOrEqualTo(Steering.snatPortLow(w, n));
      next = Steering.snatPortHigh(w, n) + 1;
    }
    assertThat(next - 1).isEqualTo(Steering.SNAT_PORT_HIGH);
  }

  @Test
  void aWellKnownPortIsInNoWorkersRun() {
    assertThat(Steering.workerOfSnatPort(80, 2)).isEqualTo(-1);
  }

  @Test
  void theClientPortsOfOneAddressSpreadOverTwoWorkers() {
    int[] per = new int[2];
    for (int port = 32_768; port < 33_768; port++) {
      per[Steering.workerOf(0xCB00_710A, port, 2)]++;
    }
    assertThat(per[0]).isBetween(400, 600);
  }

  @Test
  void theProgramAssembles_everyJumpForward_andEndsByReturning() {
    long[] p = Steering.program(2, 0xC000_0264, new int[] {0xC633_6403, 0xC633_6404});
    assertThat(p.length).isBetween(40, 200);
    assertThat((int) (p[p.length - 1] >>> 48)).isEqualTo(Bpf.RET_K);
  }
}
