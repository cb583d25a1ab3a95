package io.github.lb4j.api;

import java.util.Objects;

/**
 * The outcome of one health check: healthy or not, the reason, a human-readable detail (for example
 * {@code "status 503"}), and how long the check took (the RTT for ICMP).
 *
 * <p>Immutable; any thread may use it. The factories allocate; accessors do not. Never blocks.
 */
public final class HealthResult {

  private final boolean healthy;
  private final HealthReason reason;
  private final String detail;
  private final long elapsedNanos;

  private HealthResult(boolean healthy, HealthReason reason, String detail, long elapsedNanos) {
    this.healthy = healthy;
    this.reason = reason;
    this.detail = detail;
    this.elapsedNanos = elapsedNanos;
  }

  /**
   * A passing result.
   *
   * @param elapsedNanos how long the check took
   * @param detail what was seen, for example {@code "status 200"}
   * @return the result
   */
  public static HealthResult healthy(long elapsedNanos, String detail) {
    return new HealthResult(true, HealthReason.OK, Objects.requireNonNull(detail, "detail"), Math.max(0, elapsedNanos));
  }

  /**
   * A failing result.
   *
   * @param reason why, not {@link HealthReason#OK}
   * @param elapsedNanos how long the check took
   * @param detail what was seen, for example {@code "status 503"} or {@code "connect: Connection refused"}
   * @return the result
   * @throws IllegalArgumentException when {@code reason} is {@link HealthReason#OK}
   */
  public static HealthResult unhealthy(HealthReason reason, long elapsedNanos, String detail) {
    if (Objects.requireNonNull(reason, "reason") == HealthReason.OK) {
      throw new IllegalArgumentException("reason of an unhealthy result must not be OK");
    }
    return new HealthResult(false, reason, Objects.requireNonNull(detail, "detail"), Math.max(0, elapsedNanos));
  }

  /**
   * Returns whether the target passed.
   *
   * @return whether the target passed
   */
  public boolean healthy() {
    return healthy;
  }

  /**
   * Returns why; {@link HealthReason#OK} exactly when healthy.
   *
   * @return why; {@link HealthReason#OK} exactly when healthy
   */
  public HealthReason reason() {
    return reason;
  }

  /**
   * Returns what was seen, for logs and status pages.
   *
   * @return what was seen, for logs and status pages
   */
  public String detail() {
    return detail;
  }

  /**
   * Returns how long the check took, in nanoseconds.
   *
   * @return how long the check took, in nanoseconds
   */
  public long elapsedNanos() {
    return elapsedNanos;
  }

  @Override
  public boolean equals(@org.jspecify.annotations.Nullable Object o) {
    if (!(o instanceof HealthResult)) {
      return false;
    }
    HealthResult r = (HealthResult) o;
    return healthy == r.healthy && elapsedNanos == r.elapsedNanos && reason == r.reason && detail.equals(r.detail);
  }

  @Override
  public int hashCode() {
    return Objects.hash(healthy, reason, detail, elapsedNanos);
  }

  @Override
  public String toString() {
    return (healthy ? "healthy" : "unhealthy") + " " + reason + " (" + detail + ", " + elapsedNanos / 1000 + " us)";
  }
}
