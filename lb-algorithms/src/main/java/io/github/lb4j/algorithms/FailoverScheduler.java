package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Weighted failover as IPVS fo (net/netfilter/ipvs/ip_vs_fo.c): every new flow goes to the
 * selectable backend with the highest weight, the first in update order on ties; the others are
 * standbys that take over when it is drained, removed or unhealthy. HAProxy's "balance first" is the
 * same idea ordered by server id; give the primary the highest weight for that behaviour.
 *
 * The choice depends only on the snapshot, so it is made in update and select is one load: O(1).
 */
final class FailoverScheduler extends AbstractScheduler<int[]> {

  FailoverScheduler(SchedulerConfig config, Options options) {
    super("failover", config, SlowStart.NONE);
  }

  @Override
  int[] build(Backend[] backends, int[] weights) {
    int best = 0;
    for (int i = 1; i < weights.length; i++) {
      if (weights[i] > weights[best]) {
        best = i;
      }
    }
    work.add(weights.length);
    return new int[] {best};
  }

  @Override
  int choose(Pool<int[]> pool, FlowKey flow, long now, boolean ramping) {
    return pool.table[0];
  }
}
