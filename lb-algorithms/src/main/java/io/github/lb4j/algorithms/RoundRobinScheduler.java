package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Round robin (seed S3.1): each backend in turn, weights ignored except 0 = drain.
 *
 * One counter survives every snapshot swap and starts at a position drawn from the seed, as gRPC's
 * round_robin does since starting at 0 sent every restarted client to the first backend at once
 * (grpc-java #4462). Slow start thins a ramping backend's turns.
 */
final class RoundRobinScheduler extends AbstractScheduler<Object> {

  private final PaddedCounter turn;

  RoundRobinScheduler(SchedulerConfig config, Options options) {
    super("round-robin", config, SlowStart.THINNING);
    this.turn = new PaddedCounter(FlowHash.mix64(seed ^ 0x5EED_0001_7E00_0001L) >>> 33);
  }

  @Override
  Object build(Backend[] backends, int[] weights) {
    return NO_TABLE;
  }

  @Override
  int choose(Pool<Object> pool, FlowKey flow, long now, boolean ramping) {
    return (int) ((turn.getAndIncrement() & Long.MAX_VALUE) % pool.size());
  }
}
