package io.github.lb4j.pool;

import io.github.lb4j.api.NanoClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock the test moves by hand. Thread-safe. */
final class ManualClock implements NanoClock {

  private final AtomicLong now = new AtomicLong(1_000_000_000_000L);

  @Override
  public long nanoTime() {
    return now.get();
  }

  void set(long nanos) {
    now.set(nanos);
  }

  void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }
}
