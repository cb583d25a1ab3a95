package io.github.lb4j.health.linux;

import io.github.lb4j.api.HealthResult;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One check in flight: its target, deadline and future, plus the key under which its engine finds
 * the answer (ICMP sequence number, local TCP port). Fields other than the constructor's belong to
 * the engine's I/O thread.
 */
final class Probe {

  final Object owner;
  final InetAddress address;
  final byte[] addressBytes;
  final int port;
  final long timeoutNanos;
  final CompletableFuture<HealthResult> future = new CompletableFuture<>();
  /** When {@code check} was called; the deadline and the elapsed time of failures count from here. */
  long startNanos;
  /** When the first packet left; the round-trip time counts from here. */
  long sentNanos;
  long deadlineNanos;
  int key = -1;
  int sequence;
  boolean done;
  @Nullable Object resource;

  Probe(Object owner, InetAddress address, int port, long timeoutNanos) {
    this.owner = owner;
    this.address = address;
    this.addressBytes = address.getAddress();
    this.port = port;
    this.timeoutNanos = timeoutNanos;
  }

  boolean ipv6() {
    return addressBytes.length == 16;
  }
}
