package io.github.lb4j.announce;

import java.time.Duration;

/**
 * Announces VIPs to the routers in front of a balancer while the balancer can serve them, and
 * withdraws them otherwise, so that the routers spread flows by ECMP over the balancers that can
 * (Maglev NSDI'16 §3.1, Katran: every balancer announces the VIP by BGP). Routing is left to a real
 * speaker daemon ({@link BgpConfig.Speaker}); the announcer runs it, tells it what to announce and
 * reports its sessions.
 *
 * <p><b>Input</b>: one level-triggered signal, {@link #serving(boolean)}: "this balancer can serve
 * the VIPs now" (it runs and at least one backend is healthy). Call it whenever that may have
 * changed, from any thread; repeating a value costs nothing.
 *
 * <p><b>Graceful stop</b>: {@code serving(false)}, {@link #awaitApplied} (the speaker has withdrawn
 * the routes and sent the withdrawal), let the flows move to the other balancers (drain), then
 * {@link #close()}. A balancer process that dies takes its speaker with it: the speaker runs as its
 * child with a parent-death signal, so its sessions close and the peers withdraw at once; a
 * balancer that goes silent (host down, link cut) is withdrawn by the peers after the BFD detection
 * time or the hold time ({@link BgpConfig#detectionTime()}).
 *
 * <p>Thread-safe; {@code serving} and {@link #status()} never block and allocate little; {@link
 * #awaitApplied} and {@link #close()} block.
 */
public interface VipAnnouncer extends AutoCloseable {

  /**
   * Says whether the VIPs should be announced now. Any thread; non-blocking; idempotent.
   *
   * @param canServe true to announce, false to withdraw
   */
  void serving(boolean canServe);

  /**
   * Waits until the speaker has applied the last {@link #serving} value (routes exported to, or
   * withdrawn from, every established session).
   *
   * @param timeout the longest wait
   * @return whether it was applied in time
   * @throws InterruptedException when the calling thread is interrupted
   */
  boolean awaitApplied(Duration timeout) throws InterruptedException;

  /**
   * Returns what the announcer and its speaker are doing. Any thread; does not block.
   *
   * @return the current status
   */
  AnnouncerStatus status();

  /**
   * Withdraws the VIPs, stops the speaker (its sessions end with a Cease notification, RFC 4271
   * §6.7) and its thread. Idempotent; blocks up to a few seconds.
   */
  @Override
  void close();
}
