package io.github.lb4j.gateway.proxy;

import java.time.Duration;

/**
 * What a graceful stop ({@link ProxyServer#drain}) did: how many relayed connections ended on their
 * own while the proxy no longer accepted, how many were cut, and why the drain ended.
 *
 * <p>Immutable; any thread may use it.
 *
 * @param finished connections that ended by themselves during the drain
 * @param cut connections still open when the drain ended, closed by the proxy
 * @param elapsed from the end of accepting to the last connection closed
 * @param outcome why the drain ended
 */
public record DrainReport(long finished, long cut, Duration elapsed, Outcome outcome) {

  /** Why a drain ended. */
  public enum Outcome {
    /** Every connection ended before the deadline. */
    COMPLETE,
    /** The deadline passed; what was left was cut. */
    DEADLINE,
    /** {@link ProxyServer#close()} was called meanwhile (a second signal): what was left was cut at once. */
    STOPPED
  }
}
