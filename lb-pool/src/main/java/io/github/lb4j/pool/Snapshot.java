package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import java.util.IdentityHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What one publication of the control plane gives the data plane: the members a pick may fall back
 * to (in configuration order), and the table from the {@link Backend} objects the scheduler returns
 * to their members.
 *
 * <p>The table is keyed and hashed by object identity. It holds this publication's backend
 * objects and the previous one's: the scheduler is
 * updated after the snapshot is published, so a select that raced with the update returns an object
 * of either generation, and both resolve. Immutable after construction; any thread may read it;
 * {@link #lookup} never allocates or blocks.
 */
final class Snapshot {

  static final Snapshot EMPTY = new Snapshot(new Member[0], new IdentityHashMap<>(), false);
  static final Snapshot CLOSED = new Snapshot(new Member[0], new IdentityHashMap<>(), true);

  /** The members a pick may fall back to, in order, with the scheduler's own panic and fail-open rules. */
  final Member[] selectable;
  final boolean closed;
  private final Object[] keys;
  private final Member[] values;
  private final int mask;

  Snapshot(Member[] selectable, Map<Backend, Member> byObject, boolean closed) {
    this.selectable = selectable;
    this.closed = closed;
    int capacity = Stripes.ceilPowerOfTwo(Math.max(4, byObject.size() * 2));
    this.keys = new Object[capacity];
    this.values = new Member[capacity];
    this.mask = capacity - 1;
    for (Map.Entry<Backend, Member> e : byObject.entrySet()) {
      int i = slot(e.getKey());
      while (keys[i] != null) {
        i = (i + 1) & mask;
      }
      keys[i] = e.getKey();
      values[i] = e.getValue();
    }
  }

  /** Builds the table of one generation plus the objects of the previous one that still name a member. */
  static Map<Backend, Member> table(Map<Backend, Member> current, Snapshot previous) {
    Map<Backend, Member> out = new IdentityHashMap<>(current);
    for (int i = 0; i < previous.keys.length; i++) {
      Object k = previous.keys[i];
      if (k != null && !out.containsKey(k)) {
        out.put((Backend) k, previous.values[i]);
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
    int i = slot(backend);
    for (;;) {
      Object k = keys[i];
      if (k == backend) {
        return values[i];
      }
      if (k == null) {
        return null;
      }
      i = (i + 1) & mask;
    }
  }
}
