package io.github.lb4j.algorithms;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A shared 64-bit counter on its own cache line, so threads that bump it do not slow the readers
 * of the snapshot field next to it (false sharing). Fields of a superclass are laid out before those
 * of a subclass, which keeps the padding on both sides (Agrona's and JCTools' layout).
 *
 * <p>Thread-safe, lock-free, never allocates.
 */
final class PaddedCounter extends PaddedCounterValue {

  @SuppressWarnings("unused")
  private long q1, q2, q3, q4, q5, q6, q7;

  PaddedCounter(long initial) {
    super(initial);
  }

  long getAndIncrement() {
    return (long) VALUE.getAndAdd(this, 1L);
  }

  long getAndAdd(long delta) {
    return (long) VALUE.getAndAdd(this, delta);
  }

  long get() {
    return (long) VALUE.getVolatile(this);
  }
}

/** The padding before the value. */
abstract class PaddedCounterLeft {
  @SuppressWarnings("unused")
  private long p1, p2, p3, p4, p5, p6, p7;
}

/** The value, between two paddings. */
abstract class PaddedCounterValue extends PaddedCounterLeft {
  static final VarHandle VALUE;

  static {
    try {
      VALUE = MethodHandles.lookup().findVarHandle(PaddedCounterValue.class, "value", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused")
  private volatile long value;

  PaddedCounterValue(long initial) {
    value = initial;
  }
}
