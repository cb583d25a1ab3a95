package io.github.lb4j.api;

/**
 * What {@link Scheduler#select} does when too few backends are healthy (DESIGN.md, "Two planes").
 *
 * <p>Any thread may use it; it never allocates and never blocks.
 */
public enum NoBackendPolicy {
  /** Select only among eligible backends; with none, select returns "none". The default. */
  FAIL_CLOSED,
  /**
   * With no eligible backend, select among the ineligible ones (health is ignored) rather than
   * refuse traffic, as Envoy does in panic mode.
   */
  FAIL_OPEN
}
