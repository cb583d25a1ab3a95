package io.github.lb4j.health.linux;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link HealthChecker} handle on a shared {@link ProbeEngine}: {@link #check} enqueues a probe,
 * {@link #close()} completes this handle's probes with CLOSED and releases the engine.
 *
 * <p>Thread-safe; {@code check} allocates the probe and its future and never blocks. Futures
 * complete on the engine's thread.
 */
final class SocketChecker implements HealthChecker {

  private final String name;
  private final String engineKey;
  private final ProbeEngine engine;
  private final boolean needsPort;
  private final AtomicBoolean closed = new AtomicBoolean();

  SocketChecker(String name, String engineKey, ProbeEngine engine, boolean needsPort) {
    this.name = name;
    this.engineKey = engineKey;
    this.engine = engine;
    this.needsPort = needsPort;
  }

  ProbeEngine engine() {
    return engine;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CompletableFuture<HealthResult> check(InetSocketAddress target, Duration timeout) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
    if (closed.get()) {
      return CompletableFuture.completedFuture(HealthResult.unhealthy(HealthReason.CLOSED, 0, "checker closed"));
    }
    if (target.isUnresolved() || target.getAddress() == null) {
      return CompletableFuture.completedFuture(
          HealthResult.unhealthy(HealthReason.UNREACHABLE, 0, "unresolved target " + target.getHostString()));
    }
    if (needsPort && target.getPort() == 0) {
      throw new IllegalArgumentException(name + " needs a target port, was 0 in " + target);
    }
    Probe p = new Probe(this, target.getAddress(), target.getPort(), timeout.toNanos());
    engine.submit(p);
    if (closed.get()) {
      engine.cancel(this);
    }
    return p.future;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      engine.cancel(this);
      Engines.release(engineKey, engine);
    }
  }

  @Override
  public String toString() {
    return name + " checker";
  }
}
