package io.github.lb4j.pool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A pool-wide count of things in flight with an exact upper bound (the circuit breaker), in which
 * threads on different stripes write different cache lines while the pool is below its limit.
 *
 * <p>The limit is capacity that moves between a central reserve and the stripes, like the sloppy
 * counters of Boyd-Wickizer et al., "An Analysis of Linux Scalability to Many Cores" (OSDI 2010).
 * Each stripe's padded cell packs its quota (capacity it holds) and its in-flight count in one
 * {@code long}, so one CAS admits a unit when {@code inFlight < quota}. A stripe without spare
 * quota takes a chunk from the reserve, or, when the reserve is empty, one unit of another stripe's
 * spare quota; a stripe that holds more than two chunks of spare quota gives one back on release.
 * Quota plus reserve always equals the limit and no cell holds more in flight than its quota, so
 * the total never exceeds the limit, and a unit is refused only when no stripe has spare quota (or
 * while another stripe is moving one chunk between the reserve and its cell).
 *
 * <p>A unit must be released on the stripe that acquired it (leases remember their stripe). Any
 * thread; lock-free; never allocates or blocks.
 */
final class StripedGauge {

  private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle RESERVE;

  static {
    try {
      RESERVE = MethodHandles.lookup().findVarHandle(StripedGauge.class, "reserve", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** 16 longs = 128 bytes between cells: two cache lines, as adjacent-line prefetchers pair them. */
  private static final int PAD = 16;

  /** The limit meaning "no limit": every stripe holds all the quota a cell can count. */
  static final int UNLIMITED = Integer.MAX_VALUE;

  private final long[] cells;
  private final int stripes;
  private final int limit;
  private final int chunk;
  @SuppressWarnings("unused") // Through RESERVE.
  private volatile long reserve;

  StripedGauge(int stripes, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    this.stripes = stripes;
    this.cells = new long[(stripes + 2) * PAD];
    this.limit = limit;
    if (limit == UNLIMITED) {
      this.chunk = 0;
      for (int s = 0; s < stripes; s++) {
        cells[index(s)] = (long) UNLIMITED << 32;
      }
    } else {
      this.chunk = Math.max(1, Math.min(64, limit / (stripes * 8)));
      this.reserve = limit;
    }
  }

  private static int index(int stripe) {
    return (stripe + 1) * PAD;
  }

  private static int quota(long cell) {
    return (int) (cell >>> 32);
  }

  private static int inFlight(long cell) {
    return (int) cell;
  }

  /** Counts one more unit on {@code stripe} unless the limit is reached. */
  boolean tryAcquire(int stripe) {
    int i = index(stripe);
    for (;;) {
      long c = (long) CELL.getVolatile(cells, i);
      if (inFlight(c) >= quota(c)) {
        break;
      }
      if (CELL.compareAndSet(cells, i, c, c + 1)) {
        return true;
      }
    }
    int got = takeReserve();
    if (got == 0) {
      got = steal(stripe);
      if (got == 0) {
        return false;
      }
    }
    for (;;) {
      long c = (long) CELL.getVolatile(cells, i);
      long next = ((long) (quota(c) + got) << 32) | (inFlight(c) + 1);
      if (CELL.compareAndSet(cells, i, c, next)) {
        return true;
      }
    }
  }

  /**
   * Gives back one unit acquired on {@code stripe}. A release without a unit in flight on the stripe
   * (a lease completed twice) is ignored, so the count never goes below zero.
   *
   * @return whether a unit was in flight
   */
  boolean release(int stripe) {
    int i = index(stripe);
    for (;;) {
      long c = (long) CELL.getVolatile(cells, i);
      int q = quota(c);
      int f = inFlight(c) - 1;
      if (f < 0) {
        return false;
      }
      int give = chunk > 0 && q - f > 2 * chunk ? chunk : 0;
      if (CELL.compareAndSet(cells, i, c, ((long) (q - give) << 32) | f)) {
        if (give > 0) {
          RESERVE.getAndAdd(this, (long) give);
        }
        return true;
      }
    }
  }

  private int takeReserve() {
    if (chunk == 0) {
      return 0;
    }
    for (;;) {
      long r = (long) RESERVE.getVolatile(this);
      if (r == 0) {
        return 0;
      }
      int take = (int) Math.min(r, chunk);
      if (RESERVE.compareAndSet(this, r, r - take)) {
        return take;
      }
    }
  }

  /** Takes one unit of spare quota from another stripe; 0 when none has any. */
  private int steal(int stripe) {
    for (int k = 1; k < stripes; k++) {
      int i = index((stripe + k) % stripes);
      for (;;) {
        long c = (long) CELL.getVolatile(cells, i);
        if (inFlight(c) >= quota(c)) {
          break;
        }
        if (CELL.compareAndSet(cells, i, c, c - (1L << 32))) {
          return 1;
        }
      }
    }
    return 0;
  }

  /** The units in flight now, summed over the stripes (reads every stripe's line). */
  long sum() {
    long s = 0;
    for (int k = 0; k < stripes; k++) {
      s += inFlight((long) CELL.getVolatile(cells, index(k)));
    }
    return s;
  }

  int limit() {
    return limit;
  }
}
