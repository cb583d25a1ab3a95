package io.github.lb4j.nat.flow;

import io.github.lb4j.api.NanoClock;
import java.time.Duration;

/** A clock the test moves by hand. */
public final class ManualClock implements NanoClock {
  private long now = 1_000_000_000_000L;

  /** Starts at an arbitrary instant. */
  public ManualClock() {
    super();
  }

  @Override
  public long nanoTime() {
    return now;
  }

  /**
   * Moves the clock forward.
   *
   * @param d how far
   */
  public void advance(Duration d) {
    now += d.toNanos();
  }
}
