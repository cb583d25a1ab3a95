package io.github.lb4j.algorithms;

import io.github.lb4j.api.NanoClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded, lock-free map from a 64-bit client hash to a backend handle with a last-seen time: the
 * memory behind persistence (IPVS persistent templates) and behind locality-least-connections
 * (IPVS lblc's destination table).
 *
 * <p>Layout: 4-way set-associative, two parallel {@code long[]} (key, value), power-of-two sets,
 * fixed at creation. A new key takes an empty or expired way of its set, else the way least
 * recently seen: within its set, the least recently used client is forgotten first. The value packs
 * the time (in units of 2^20 ns, about 1 ms, 40 bits) above the handle (24 bits).
 *
 * <p>Concurrency: a writer claims a way by CAS of its key to {@code BUSY}, writes the value, then
 * releases the new key; a reader reads key, value, key and accepts only when both key reads match
 * (the key acts as a sequence lock). A writer that finds a way busy skips the write: persistence is
 * best effort, never a reason to wait. Any thread; never allocates; never blocks.
 */
final class AffinityTable {

  static final int MISS = -1;

  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final long EMPTY = 0L;
  private static final long BUSY = 1L;
  private static final int WAYS = 4;
  private static final int TIME_SHIFT = 20;
  private static final int HANDLE_BITS = 24;
  private static final long HANDLE_MASK = (1L << HANDLE_BITS) - 1;

  private final long[] keys;
  private final long[] values;
  private final int setMask;
  private final long timeoutUnits;
  private final long refreshUnits;
  private final long origin;

  AffinityTable(int capacity, long timeoutNanos, NanoClock clock) {
    int sets = Integer.highestOneBit(Math.max(1, (capacity + WAYS - 1) / WAYS) * 2 - 1);
    this.keys = new long[sets * WAYS];
    this.values = new long[sets * WAYS];
    this.setMask = sets - 1;
    this.timeoutUnits = Math.max(1L, (timeoutNanos + (1L << TIME_SHIFT) - 1) >>> TIME_SHIFT);
    this.refreshUnits = Math.max(1L, timeoutUnits / 8);
    this.origin = clock.nanoTime();
  }

  int capacity() {
    return keys.length;
  }

  /**
   * Returns the handle remembered for {@code key} if it was seen within the timeout, refreshing its
   * time; {@link #MISS} otherwise.
   */
  int lookup(long hash, long now) {
    long key = normalize(hash);
    long t = units(now);
    int base = set(key);
    for (int w = 0; w < WAYS; w++) {
      int slot = base + w;
      if ((long) LONGS.getAcquire(keys, slot) != key) {
        continue;
      }
      long v = (long) LONGS.getAcquire(values, slot);
      if ((long) LONGS.getAcquire(keys, slot) != key || v == 0) {
        return MISS;
      }
      long seen = v >>> HANDLE_BITS;
      if (t - seen > timeoutUnits) {
        return MISS;
      }
      int handle = (int) (v & HANDLE_MASK);
      if (t - seen >= refreshUnits) {
        write(slot, key, handle, t);
      }
      return handle;
    }
    return MISS;
  }

  /** Remembers {@code handle} for {@code key} as seen at {@code now}. */
  void record(long hash, int handle, long now) {
    if (handle < 0 || handle > HANDLE_MASK) {
      // Beyond 2^24 counters the handle would alias another backend's; not remembering is safe.
      return;
    }
    long key = normalize(hash);
    long t = units(now);
    int base = set(key);
    int victim = base;
    long oldest = Long.MAX_VALUE;
    for (int w = 0; w < WAYS; w++) {
      int slot = base + w;
      long k = (long) LONGS.getAcquire(keys, slot);
      if (k == key || k == EMPTY) {
        victim = slot;
        break;
      }
      long v = (long) LONGS.getAcquire(values, slot);
      long seen = v >>> HANDLE_BITS;
      long age = t - seen > timeoutUnits ? Long.MIN_VALUE : seen;
      if (age < oldest) {
        oldest = age;
        victim = slot;
      }
    }
    write(victim, key, handle, t);
  }

  private void write(int slot, long key, int handle, long t) {
    long k = (long) LONGS.getVolatile(keys, slot);
    if (k == BUSY || !LONGS.compareAndSet(keys, slot, k, BUSY)) {
      return;
    }
    LONGS.setRelease(values, slot, (t << HANDLE_BITS) | (handle & HANDLE_MASK));
    LONGS.setRelease(keys, slot, key);
  }

  private long units(long now) {
    return 1L + (Math.max(0L, now - origin) >>> TIME_SHIFT);
  }

  private int set(long key) {
    return ((int) (key ^ (key >>> 32)) & setMask) * WAYS;
  }

  private static long normalize(long hash) {
    return (hash & ~1L) == 0 ? hash | 2L : hash;
  }
}
