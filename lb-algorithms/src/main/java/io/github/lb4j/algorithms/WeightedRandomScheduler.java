package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Weighted random: a draw with probability proportional to weight (Envoy RANDOM with weights,
 * HAProxy random), in O(1) through an alias table (Walker 1977, Vose 1991) built per snapshot. Draws
 * come from the seeded SplitMix64 stream. Slow start thins a ramping backend's draws.
 */
final class WeightedRandomScheduler extends AbstractScheduler<AliasTable> {

  WeightedRandomScheduler(SchedulerConfig config, Options options) {
    super("weighted-random", config, SlowStart.THINNING);
  }

  @Override
  AliasTable build(Backend[] backends, int[] weights) {
    work.add(4L * weights.length);
    return new AliasTable(weights);
  }

  @Override
  int choose(Pool<AliasTable> pool, FlowKey flow, long now, boolean ramping) {
    return pool.table.draw(nextRandom());
  }
}
