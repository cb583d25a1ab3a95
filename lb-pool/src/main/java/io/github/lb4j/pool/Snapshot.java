package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import java.util.IdentityHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What one publication of the control plane gives the data plane: the routes of picks (priority
 * levels, zone groups, subsets; see {@link Route}), and the table from the {@link Backend} objects the scheduler returns
 * to their members.
 *
 * <p>The table is keyed and hashed by object identity. It holds this publication's backend
 * objects and the previous one's: the scheduler is
 * updated after the snapshot is published, so a select that raced with the update returns an object
 * of either generation, and both resolve. Immutable after construction; any thread may read it;
 * {@link #lookup} never allocates or blocks.
 */
final class Snapshot {

  static final Snapshot EMPTY = new Snapshot(Route.EMPTY, Map.of(), null, new IdentityHashMap<>(), false);
  static final Snapshot CLOSED = new Snapshot(Route.EMPTY, Map.of(), null, new IdentityHashMap<>(), true);

  /** Where picks without a subset go (the fallback's route when subsets are configured). */
  final Route route;
  /** The route of each subset by {@link Subset#key}; empty when subsets are off. */
  private final Map<String, Route> subsets;
  /** The route of a pick whose subset matches no selector; {@code null} when subsets are off. */
  private final @Nullable Route fallback;
  final boolean closed;
  /**
   * Open addressing, key and member side by side ({@code [2i]} the backend object, {@code [2i+1]}
   * its member), so a hit reads one cache line, not one in a key array and one in a value array.
   */
  private final Object[] slots;
  private final int mask;

  Snapshot(Route route, Map<String, Route> subsets, @Nullable Route fallback, Map<Backend, Member> byObject,
      boolean closed) {
    this.subsets = subsets;
    this.fallback = fallback;
    this.route = fallback != null ? fallback : route;
    this.closed = closed;
    int capacity = Stripes.ceilPowerOfTwo(Math.max(4, byObject.size() * 2));
    this.slots = new Object[2 * capacity];
    this.mask = capacity - 1;
    for (Map.Entry<Backend, Member> e : byObject.entrySet()) {
      int i = slot(e.getKey());
      while (slots[2 * i] != null) {
        i = (i + 1) & mask;
      }
      slots[2 * i] = e.getKey();
      slots[2 * i + 1] = e.getValue();
    }
  }

  private Snapshot(Snapshot table, Route route, Map<String, Route> subsets, @Nullable Route fallback) {
    this.subsets = subsets;
    this.fallback = fallback;
    this.route = fallback != null ? fallback : route;
    this.closed = table.closed;
    this.slots = table.slots;
    this.mask = table.mask;
  }

  /** This table with other routes. */
  Snapshot withRoutes(Route route, Map<String, Route> subsets, @Nullable Route fallback) {
    return new Snapshot(this, route, subsets, fallback);
  }

  /** This publication's routes with another table. */
  Snapshot withTable(Map<Backend, Member> byObject) {
    return new Snapshot(route, subsets, fallback, byObject, closed);
  }

  /**
   * The route of a pick: the pool's, or with subsets configured the subset's when its labels
   * match a selector, else the fallback's. Allocation-free: the subset's key caches its hash.
   */
  Route route(@Nullable Subset subset) {
    Route f = fallback;
    if (f == null) {
      return subset == null ? route : Route.EMPTY;
    }
    if (subset == null) {
      return f;
    }
    Route r = subsets.get(subset.key());
    return r != null ? r : f;
  }

  /** Builds the table of one generation plus the objects of the previous one that still name a member. */
  static Map<Backend, Member> table(Map<Backend, Member> current, Snapshot previous) {
    Map<Backend, Member> out = new IdentityHashMap<>(current);
    Object[] slots = previous.slots;
    for (int i = 0; i < slots.length; i += 2) {
      Object k = slots[i];
      if (k != null && !out.containsKey(k)) {
        out.put((Backend) k, (Member) slots[i + 1]);
      }
    }
    return out;
  }

  private int slot(Backend key) {
    // The identity hash sits in the object's header: one load, on the line the published copies
    // share (the pool allocates them together), where the id's hash would need two.
    int h = System.identityHashCode(key) * 0x9E37_79B9;
    return (h ^ (h >>> 16)) & mask;
  }

  /** The member of a backend object the scheduler returned, or {@code null} when it is older than the previous generation. */
  @Nullable Member lookup(Backend backend) {
    Object[] s = slots;
    int i = slot(backend);
    for (;;) {
      Object k = s[2 * i];
      if (k == backend) {
        return (Member) s[2 * i + 1];
      }
      if (k == null) {
        return null;
      }
      i = (i + 1) & mask;
    }
  }
}
