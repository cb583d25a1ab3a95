package io.github.lb4j.gateway.proxy;

import io.github.lb4j.health.MonitorScheduler;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs lb-health's {@code HealthMonitor} on the proxy's control thread, so that health transitions,
 * weight changes and {@code Scheduler.update} calls are serialized on one thread without locks
 * (DESIGN.md, "Two planes"). Tasks offered after the proxy closed are dropped.
 */
final class ControlScheduler implements MonitorScheduler {

  private final ScheduledExecutorService control;

  ControlScheduler(ScheduledExecutorService control) {
    this.control = control;
  }

  @Override
  public void execute(Runnable task) {
    try {
      control.execute(task);
    } catch (RejectedExecutionException e) {
      // The proxy is closing: no check result matters any more.
    }
  }

  @Override
  public Cancellable schedule(Runnable task, long delayNanos) {
    try {
      ScheduledFuture<?> f = control.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
      return () -> f.cancel(false);
    } catch (RejectedExecutionException e) {
      return () -> { };
    }
  }

  @Override
  public void close() {
    // The proxy owns the control thread and stops it in ProxyServer.close().
  }
}
