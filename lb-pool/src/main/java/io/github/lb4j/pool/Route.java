package io.github.lb4j.pool;

import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.Scheduler;
import org.jspecify.annotations.Nullable;

/**
 * Where one kind of pick goes in one publication: the priority levels with their share of the
 * load ({@link PriorityLoad}), within a level the zone groups with their weights or the zone-aware
 * split ({@link ZoneAware}), and within a group the scheduler instance that chooses the backend.
 * The pool's whole membership has one route; each subset has its own, as Envoy's subset load
 * balancer gives each subset its own priority set and load balancer.
 *
 * <p>A pool without priorities, zones or subsets has a route of one group, the pool's scheduler,
 * and a pick costs what it did without routing. Otherwise a pick draws one 64-bit value (from the
 * request's key for hashing schedulers, so equal keys land in the same group while the loads stand,
 * as Envoy's hashing load balancers choose the priority from the hash; else from the thread's
 * random stream) and derives the level, the zone and the zone-aware split from it by remixing.
 *
 * <p>Immutable; any thread; {@link #chooser} allocates nothing and never blocks.
 */
final class Route {

  static final Route EMPTY = new Route(null, new Member[0], new int[0], new Level[0]);

  /** The one group when the route has one, else {@code null}. */
  final @Nullable StripedScheduler single;
  /** The members a pick may fall back to when its scheduler's answers are excluded or full. */
  final Member[] selectable;
  /** Cumulative percentage per level (the last is 100 unless a level was left out for want of weight); empty when nothing is available. */
  private final int[] cumulative;
  private final Level[] levels;

  Route(@Nullable StripedScheduler single, Member[] selectable, int[] cumulative, Level[] levels) {
    this.single = single;
    this.selectable = selectable;
    this.cumulative = cumulative;
    this.levels = levels;
  }

  static Route single(StripedScheduler scheduler, Member[] selectable) {
    return new Route(scheduler, selectable, new int[0], new Level[0]);
  }

  /** The scheduler instance for a draw and stripe, or {@code null} when no level takes load. */
  @Nullable Scheduler chooser(int stripe, long draw) {
    StripedScheduler s = single;
    if (s != null) {
      return s.forStripe(stripe);
    }
    int[] c = cumulative;
    if (c.length == 0) {
      return null;
    }
    long pct = Long.remainderUnsigned(draw, c[c.length - 1]);
    int level = 0;
    while (pct >= c[level]) {
      level++;
    }
    return levels[level].group(FlowHash.mix64(draw)).forStripe(stripe);
  }

  /** Whether a pick needs a draw. */
  boolean needsDraw() {
    return single == null;
  }

  /** Levels with their load, for tests and toString. */
  int levels() {
    return levels.length;
  }

  int loadOf(int level) {
    return cumulative[level] - (level == 0 ? 0 : cumulative[level - 1]);
  }

  Level level(int i) {
    return levels[i];
  }

  /** One priority level (healthy, degraded or panicking hosts of one priority) split into zone groups. */
  static final class Level {
    final StripedScheduler[] groups;
    /** Cumulative weight per group, for the proportional choice. */
    final double[] cumulative;
    final ZoneAware zoneAware;
    final String name;

    Level(String name, StripedScheduler[] groups, double[] cumulative, ZoneAware zoneAware) {
      this.name = name;
      this.groups = groups;
      this.cumulative = cumulative;
      this.zoneAware = zoneAware;
    }

    StripedScheduler group(long draw) {
      StripedScheduler[] g = groups;
      if (g.length == 1) {
        return g[0];
      }
      ZoneAware z = zoneAware;
      if (z.applies()) {
        return g[z.choose(draw, FlowHash.mix64(draw ^ 0x5DEECE66DL))];
      }
      double[] c = cumulative;
      double u = (draw >>> 11) * 0x1.0p-53 * c[c.length - 1];
      int lo = 0;
      int hi = c.length - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (u < c[mid]) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      return g[lo];
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
