package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.SchedulerConfig;

/*
 * Locality-based least connections as IPVS lblc (net/netfilter/ipvs/ip_vs_lblc.c), meant for
 * caches in front of many destination addresses: flows to one destination address keep going to the
 * backend that served it last, unless that backend is overloaded (more active sessions than its
 * weight while some other backend has fewer than half its weight, the kernel's is_overloaded),
 * drained or gone; then weighted least connections picks anew and the table remembers the new
 * choice. Entries expire after the option expiration (seconds, default 86400, the kernel's
 * lblc_expiration of 24 hours); the table holds table-capacity destinations (default 16384, the
 * kernel's 16 * 1024 threshold for its garbage collection), least recently used first out.
 *
 * Cost: O(1) while the remembered backend is not overloaded; the overload test and the wlc fallback
 * scan all backends (O(n)) as in the kernel.
 */
final class LocalityLeastConnectionsScheduler extends AbstractScheduler<Object> {

  private final AffinityTable table;

  LocalityLeastConnectionsScheduler(SchedulerConfig config, Options options) {
    super("locality-least-connections", config, SlowStart.WEIGHT);
    int expiration = options.integer("expiration", 86_400, 1, Integer.MAX_VALUE);
    int capacity = options.integer("table-capacity", 16_384, 4, 1 << 24);
    this.table = new AffinityTable(capacity, expiration * 1_000_000_000L, config.clock());
  }

  @Override
  boolean usesClock() {
    return true;
  }

  @Override
  Object build(Backend[] backends, int[] weights) {
    return NO_TABLE;
  }

  @Override
  int choose(Pool<Object> pool, FlowKey flow, long now, boolean ramping) {
    long destination = FlowHash.mix64(FlowHash.mix64(seed ^ flow.destinationAddressHigh()) ^ flow.destinationAddressLow());
    int i = pool.indexOfHandle(table.lookup(destination, now));
    if (i >= 0 && !overloaded(pool, i)) {
      return i;
    }
    i = LeastConnectionsScheduler.weightedLeastConnections(pool, now, ramping);
    table.record(destination, pool.loads[i].handle(), now);
    return i;
  }

  private static boolean overloaded(Pool<?> pool, int i) {
    BackendLoad[] loads = pool.loads;
    if (loads[i].active() <= pool.weights[i]) {
      return false;
    }
    for (int d = 0; d < loads.length; d++) {
      if (loads[d].active() * 2 < pool.weights[d]) {
        return true;
      }
    }
    return false;
  }
}
