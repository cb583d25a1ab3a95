package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ZoneAwareTest {

  @Test
  void envoysExample_localKeeps62AndAHalfPercent_andResidualSplitsTwoToOne() {
    ZoneAware z = ZoneAware.compute(new int[] {25, 50, 25}, new long[] {40, 40, 20}, 0, 100, 6);
    assertThat(z.applies()).isTrue();
    assertThat(z.localPercentToRoute).isEqualTo(6250);
    assertThat(z.residual).containsExactly(0, 1000, 1500);
    int[] counts = new int[3];
    for (long d = 0; d < 10_000; d++) {
      for (long e = 0; e < 30; e++) {
        counts[z.choose(d, e * 50)]++;
      }
    }
    assertThat(counts[0]).isEqualTo(6250 * 30);
    assertThat(counts[1]).isEqualTo(2 * counts[2]);
  }

  @Test
  void localZoneWithEnoughBackends_staysLocal() {
    ZoneAware z = ZoneAware.compute(new int[] {4, 4}, new long[] {1, 1}, 1, 8, 6);
    assertThat(z.localPercentToRoute).isEqualTo(10_000);
    assertThat(z.choose(12345, 678)).isEqualTo(1);
  }

  @Test
  void earlyExits_smallCluster_oneZone_noLocalHealthy_noCallers() {
    assertThat(ZoneAware.compute(new int[] {2, 2}, new long[] {1, 1}, 0, 5, 6).applies()).isFalse();
    assertThat(ZoneAware.compute(new int[] {8, 0}, new long[] {1, 1}, 0, 8, 6).applies()).isFalse();
    assertThat(ZoneAware.compute(new int[] {0, 8}, new long[] {1, 1}, 0, 8, 6).applies()).isFalse();
    assertThat(ZoneAware.compute(new int[] {4, 4}, new long[] {0, 0}, 0, 8, 6).applies()).isFalse();
    assertThat(ZoneAware.compute(new int[] {4, 4}, new long[] {1, 1}, -1, 8, 6).applies()).isFalse();
  }
}
