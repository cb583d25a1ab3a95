package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Random: a uniform draw among the backends (Envoy RANDOM, HAProxy random with one draw), weights
 * ignored except 0 = drain. Draws come from one SplitMix64 stream (Steele, Lea & Flood, OOPSLA
 * 2014) seeded by the configuration, shared lock-free by all threads, and are mapped onto [0, n)
 * with Lemire's multiply-shift. Slow start thins a ramping backend's draws.
 */
final class RandomScheduler extends AbstractScheduler<Object> {

  RandomScheduler(SchedulerConfig config, Options options) {
    super("random", config, SlowStart.THINNING);
  }

  @Override
  Object build(Backend[] backends, int[] weights) {
    return NO_TABLE;
  }

  @Override
  int choose(Pool<Object> pool, FlowKey flow, long now, boolean ramping) {
    return Hashing.reduce(nextRandom(), pool.size());
  }
}
