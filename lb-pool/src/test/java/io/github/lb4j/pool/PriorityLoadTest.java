package io.github.lb4j.pool;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PriorityLoadTest {

  private static int[][] load(int[] hosts, int[] healthy, int[] degraded) {
    return PriorityLoad.compute(hosts, healthy, degraded, 140);
  }

  @Test
  void envoysPriorityTable_twoLevels() {
    // Envoy's "Priority levels" table: P0 healthy share -> traffic to P0 and P1 (P1 all healthy).
    int[][] cases = {{100, 100, 0}, {72, 100, 0}, {71, 99, 1}, {50, 70, 30}, {25, 35, 65}, {0, 0, 100}};
    for (int[] c : cases) {
      int[][] l = load(new int[] {100, 100}, new int[] {c[0], 100}, new int[] {0, 0});
      assertThat(l[0]).as("P0 %d%% healthy", c[0]).containsExactly(c[1], c[2]);
      assertThat(l[1]).containsExactly(0, 0);
    }
  }

  @Test
  void envoysDegradedTable_oneLevel() {
    // Envoy's "Degraded endpoints" table: healthy/degraded/unhealthy -> to healthy, to degraded.
    int[][] cases = {{100, 0, 100, 0}, {71, 0, 100, 0}, {71, 29, 99, 1}, {25, 65, 35, 65}, {5, 0, 100, 0}};
    for (int[] c : cases) {
      int[][] l = load(new int[] {100}, new int[] {c[0]}, new int[] {c[1]});
      assertThat(new int[] {l[0][0], l[1][0]}).as("%d/%d", c[0], c[1]).containsExactly(c[2], c[3]);
    }
  }

  @Test
  void totalHealthBelow100_isNormalized_threeLevels() {
    // Envoy's table row "20%/20%/20%": each level 28, total 84, normalized 33/33/34 with the
    // remainder to the first healthy level.
    int[][] l = load(new int[] {10, 10, 10}, new int[] {2, 2, 2}, new int[] {0, 0, 0});
    assertThat(l[0]).containsExactly(34, 33, 33);
    int[][] l2 = load(new int[] {10, 10, 10}, new int[] {0, 5, 0}, new int[] {0, 0, 0});
    assertThat(l2[0]).containsExactly(0, 100, 0);
  }

  @Test
  void nothingAvailable_isZero_andTotalPanicSpreadsByHostCount() {
    int[][] l = load(new int[] {4, 6}, new int[] {0, 0}, new int[] {0, 0});
    assertThat(l[0]).containsExactly(0, 0);
    assertThat(PriorityLoad.byHostCount(new int[] {4, 6})).containsExactly(40, 60);
    assertThat(PriorityLoad.byHostCount(new int[] {0, 1, 2})).containsExactly(0, 34, 66);
  }

  @Property
  void loadsSumTo100_whenAnyHostIsAvailable(@ForAll @IntRange(min = 1, max = 50) int h0, @ForAll @IntRange(min = 0, max = 50) int a0,
      @ForAll @IntRange(min = 1, max = 50) int h1, @ForAll @IntRange(min = 0, max = 50) int a1,
      @ForAll @IntRange(min = 0, max = 50) int d1) {
    int healthy0 = Math.min(a0, h0);
    int healthy1 = Math.min(a1, h1);
    int degraded1 = Math.min(d1, h1 - healthy1);
    int[][] l = load(new int[] {h0, h1}, new int[] {healthy0, healthy1}, new int[] {0, degraded1});
    int sum = l[0][0] + l[0][1] + l[1][0] + l[1][1];
    assertThat(sum).isEqualTo(healthy0 + healthy1 + degraded1 == 0 ? 0 : 100);
    if (healthy0 * 140 >= h0 * 100) {
      assertThat(l[0][0]).isEqualTo(100);
    }
  }
}
