package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Verdict;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A translator's event counters ({@link NatCounter}) and drops per {@link DropReason}: written by
 * the translator's thread with opaque stores, read by any thread. Never allocates, never blocks.
 */
final class Counters {

  private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

  private final long[] events = new long[NatCounter.values().length];
  private final long[] drops = new long[64];

  void bump(NatCounter counter) {
    int i = counter.ordinal();
    COUNTS.setOpaque(events, i, events[i] + 1);
  }

  /** Counts a drop and returns its verdict. */
  int drop(DropReason reason) {
    int i = reason.code();
    COUNTS.setOpaque(drops, i, drops[i] + 1);
    return Verdict.drop(reason);
  }

  /** Counts a drop given by a parser result code (an unknown code counts as {@code MALFORMED}). */
  int drop(int code) {
    DropReason r = DropReason.ofCode(code);
    return drop(r == null ? DropReason.MALFORMED : r);
  }

  long count(NatCounter counter) {
    return (long) COUNTS.getOpaque(events, counter.ordinal());
  }

  long drops(DropReason reason) {
    return (long) COUNTS.getOpaque(drops, reason.code());
  }
}
